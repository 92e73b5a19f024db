#!/bin/sh
# Creates Grafana's read-only login before the bridge migrates; the migration then grants it
# SELECT on the dashboard tables (it skips creating a role that exists).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE logbridge_grafana LOGIN PASSWORD '${GRAFANA_DB_PASSWORD}';
SQL
