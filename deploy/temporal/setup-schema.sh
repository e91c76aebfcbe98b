#!/bin/sh
# Create Temporal's two PostgreSQL databases and bring their schemas up to date.
# Idempotent: "create" fails harmlessly when the database exists, update-schema is a no-op.
set -eu
SQL="temporal-sql-tool --plugin postgres12 --ep ${POSTGRES_HOST} -p ${POSTGRES_PORT:-5432} -u ${POSTGRES_USER} --pw ${POSTGRES_PASSWORD}"
SCHEMA_ROOT=/etc/temporal/schema/postgresql/v12

until nc -z "${POSTGRES_HOST}" "${POSTGRES_PORT:-5432}"; do echo "waiting for PostgreSQL"; sleep 1; done

for db in temporal:temporal temporal_visibility:visibility; do
  name=${db%%:*}
  dir=${db##*:}
  $SQL --db "$name" create || true
  $SQL --db "$name" setup-schema -v 0.0 || true
  $SQL --db "$name" update-schema -d "$SCHEMA_ROOT/$dir/versioned"
done
echo "Temporal schema ready"
