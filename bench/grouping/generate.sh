#!/usr/bin/env bash
# Regenerates the grouping corpus: runs every program (Python, Node, Java, Go, Ruby, PHP) from a
# fixed working copy (so paths in the traces do not depend on the checkout) and writes
# corpus/NAME.ndjson (one record or OTLP/JSON request per line) and corpus/NAME.truth (the true
# group of each line). Needs python3 (loguru, python-json-logger, opentelemetry-sdk), node with
# npm, javac with Debian's liblogback-java and liblogstash-logback-encoder-java, go with
# golang-go.uber-zap-dev, ruby, and php-cli with php-monolog; the committed corpus lets CI and
# tests do without them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work=/tmp/logbridge-grouping
rm -rf "$work" && mkdir -p "$work" && cp -r "$here"/{python,node,java,go,ruby,php} "$work/"
out="$here/corpus"
rm -rf "$out" && mkdir -p "$out"
(cd "$work/python" && for logger in loguru jsonlogger otel; do
    python3 "run_$logger.py" "$out/$logger.ndjson" "$out/$logger.truth" 40
done)
(cd "$work/node" && npm ci --no-audit --no-fund --silent 2>/dev/null || npm install --no-audit --no-fund --silent
 for logger in pino winston; do node "run_$logger.js" "$out/$logger.ndjson" "$out/$logger.truth" 36; done)
"$work/java/run.sh" "$out/logback.ndjson" "$out/logback.truth" 40
"$work/go/run.sh" "$out/zap.ndjson" "$out/zap.truth" 40
ruby "$work/ruby/shop.rb" "$out/ruby.ndjson" "$out/ruby.truth" 32
php "$work/php/shop.php" json "$out/monolog.ndjson" "$out/monolog.truth" 36
php "$work/php/shop.php" line "$out/monolog-line.ndjson" "$out/monolog-line.truth" 32
wc -l "$out"/*.truth
