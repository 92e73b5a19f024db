#!/usr/bin/env bash
# What storing every span once costs at ingest (bench/RESULTS.md, "Spans stored exactly once"):
# the statements the writer runs, timed with psql on database `logbridge_bench_h13` (made, migrated
# and dropped here). 200,000 spans as COPY text rows (about 700 bytes, the bridge's columns), in
# transactions of 500 (one group commit's worth), into today's partition, three ways:
#   0017   COPY into `spans` with the indexes of migration 0017 (trace_id; service, start_ts;
#          service, duration_ns DESC): before this change;
#   0018   COPY into `spans` with those of 0018 (the unique (trace_id, span_id, start_ts) in place
#          of trace_id): the writer's path for new spans;
#   merge  the writer's path for a group holding a span stored already: COPY into a temporary
#          table, then INSERT ... ON CONFLICT DO NOTHING (all spans new, the worst case);
#   resent the same path when the whole group was stored already (an exporter's retry).
# With WAYS="bare identity service_ts 0018" it gives what each index of `spans` costs instead:
#   bare        COPY into `spans` without any index;
#   identity    with the unique (trace_id, span_id, start_ts) only;
#   service_ts  with it and (service, start_ts);
#   0018        with every index of the migrations (also (service, duration_ns DESC)).
# Each line gives spans/s and the CPU time per span of the PostgreSQL backend that ran the
# statements (steadier than spans/s on a shared machine, and blind to other work on it).
# Usage: [WAYS="..."] bench/traces/exactly_once.sh [runs]   (from the repository root)
set -euo pipefail
RUNS=${1:-3}
WAYS=${WAYS:-0017 0018 merge resent}
DB=logbridge_bench_h13
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null' EXIT
COLUMNS="trace_id, span_id, parent_span_id, name, kind, start_ts, duration_ns, status_code, \
status_message, service, scope, http_route, http_method, http_status, db_system, db_operation, \
db_query_fingerprint, attributes, resource, events, links"

"${PSQL[@]}" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
for file in migrations/*.sql; do "${PSQL[@]}" -d $DB -f "$file" >/dev/null; done
"${PSQL[@]}" -d $DB -c "SELECT logbridge_ensure_day_partition('spans', 'start_ts', current_date)" >/dev/null

"${PSQL[@]}" -d $DB -c "\copy (SELECT md5(t::text), substr(md5(t::text || 's' || s), 1, 16), \
  CASE WHEN s = 0 THEN NULL ELSE substr(md5(t::text || 's0'), 1, 16) END, 'GET /api/v1/orders/{id}', \
  CASE WHEN s = 0 THEN 'server' ELSE 'client' END, \
  date_trunc('day', now()) + make_interval(secs => (t % 80000) + s * 0.001), \
  ((t * 7919 + s * 104729) % 2000000) * 1000, CASE WHEN (t + s) % 20 = 0 THEN 2 ELSE 0 END, NULL, \
  'svc' || ((t + s) % 20), 'io.opentelemetry.http', '/api/v1/orders/{id}', 'GET', 200, NULL, NULL, NULL, \
  jsonb_build_object('http.route', '/api/v1/orders/{id}', 'http.request.method', 'GET', \
    'http.response.status_code', 200, 'url.path', '/api/v1/orders/' || t, 'server.address', 'shop.example.com', \
    'client.address', '10.1.' || (t % 250) || '.' || (s * 40), 'user_agent.original', 'Mozilla/5.0 (X11; Linux x86_64)', \
    'enduser.id', 'user-' || (t % 50000), 'thread.name', 'worker-' || (t % 16)), \
  jsonb_build_object('service.name', 'svc' || ((t + s) % 20), 'service.version', '1.4.2', \
    'deployment.environment', 'production', 'host.name', 'node-' || (t % 8), 'telemetry.sdk.language', 'java', \
    'telemetry.sdk.version', '1.44.0'), '[]'::jsonb, '[]'::jsonb \
  FROM generate_series(1, 40000) t, generate_series(0, 4) s ORDER BY t, s) TO '$WORK/spans.tsv'"
split -l 500 -d -a 4 "$WORK/spans.tsv" "$WORK/batch."
echo "$(wc -l < "$WORK/spans.tsv") spans, $(( $(stat -c %s "$WORK/spans.tsv") / $(wc -l < "$WORK/spans.tsv") )) bytes/row as COPY text, $(ls "$WORK"/batch.* | wc -l) transactions"

# CPU clock ticks so far of process $LB_BACKEND (psql sets it: `\!` interpolates nothing).
cat > "$WORK/pgcpu" <<'SH'
#!/usr/bin/env bash
read -r -a f < "/proc/$LB_BACKEND/stat"
echo $((f[13] + f[14]))
SH
chmod +x "$WORK/pgcpu"
TICKS=$(getconf CLK_TCK)

# Sets the indexes of `spans` a way runs with: the given ones exist, the others not.
only() {
  local all="spans_trace_id_idx spans_identity_idx spans_service_start_ts_idx spans_service_duration_idx"
  local sql=(-c "SET client_min_messages = warning")
  for index in $all; do
    case " $* " in
      *" $index "*) sql+=(-c "$(create "$index")") ;;
      *) sql+=(-c "DROP INDEX IF EXISTS $index") ;;
    esac
  done
  "${PSQL[@]}" -d $DB "${sql[@]}" >/dev/null
}

# The migrations' statement of an index, made only when missing.
create() {
  case $1 in
    spans_trace_id_idx) echo "CREATE INDEX IF NOT EXISTS spans_trace_id_idx ON spans (trace_id)" ;;
    spans_identity_idx) echo "CREATE UNIQUE INDEX IF NOT EXISTS spans_identity_idx ON spans (trace_id, span_id, start_ts)" ;;
    spans_service_start_ts_idx) echo "CREATE INDEX IF NOT EXISTS spans_service_start_ts_idx ON spans (service, start_ts)" ;;
    spans_service_duration_idx) echo "CREATE INDEX IF NOT EXISTS spans_service_duration_idx ON spans (service, duration_ns DESC)" ;;
  esac
}

indexes() {
  local service="spans_service_start_ts_idx spans_service_duration_idx"
  case $1 in
    bare) only ;;
    identity) only spans_identity_idx ;;
    service_ts) only spans_identity_idx spans_service_start_ts_idx ;;
    0017) only spans_trace_id_idx $service ;;
    *) only spans_identity_idx $service ;;
  esac
}

script() {
  local way=$1
  printf 'SELECT pg_backend_pid() AS pid \\gset\n\\setenv LB_BACKEND :pid\n'
  for batch in "$WORK"/batch.*; do
    case $way in
      merge|resent) printf 'BEGIN;\nCREATE TEMP TABLE logbridge_spans_incoming (LIKE spans INCLUDING DEFAULTS) ON COMMIT DROP;\n\\copy logbridge_spans_incoming (%s) FROM %s\nINSERT INTO spans (%s) SELECT %s FROM logbridge_spans_incoming ON CONFLICT (trace_id, span_id, start_ts) DO NOTHING;\nCOMMIT;\n' "$COLUMNS" "$batch" "$COLUMNS" "$COLUMNS" ;;
      *) printf 'BEGIN;\n\\copy spans (%s) FROM %s\nCOMMIT;\n' "$COLUMNS" "$batch" ;;
    esac
  done
  # Read while this session's backend still runs.
  printf '\\! %s > %s\n' "$WORK/pgcpu" "$WORK/cpu.after"
}
for way in $WAYS; do script $way > "$WORK/$way.sql"; done

for run in $(seq 1 "$RUNS"); do
  for way in $WAYS; do
    indexes $way
    if [ $way != resent ]; then "${PSQL[@]}" -d $DB -c "TRUNCATE spans" -c "CHECKPOINT" >/dev/null; fi
    start=$(date +%s.%N)
    "${PSQL[@]}" -d $DB -f "$WORK/$way.sql" >/dev/null
    end=$(date +%s.%N)
    after=$(cat "$WORK/cpu.after")
    rows=$("${PSQL[@]}" -d $DB -tAc "SELECT count(*) FROM spans")
    cpu=$(echo "scale=1; $after * 1000000 / $TICKS / 200000" | bc)
    printf 'run %s  %-10s  %6.2f s  %6d spans/s  backend CPU %5s µs/span  (%s rows)\n' \
      "$run" "$way" "$(echo "$end - $start" | bc)" "$(echo "200000 / ($end - $start)" | bc)" "$cpu" "$rows"
  done
done
