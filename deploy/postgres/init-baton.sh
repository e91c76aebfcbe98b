#!/bin/sh
# Runs once on the first start of the PostgreSQL container: Baton's own database and role.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" <<SQL
CREATE ROLE baton LOGIN PASSWORD '${BATON_DB_PASSWORD}';
CREATE DATABASE baton OWNER baton;
SQL
