#!/bin/sh
# Creates the pipeline's replication user (pgconvex-user.psql) with the password from the compose secret.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pgconvex_user="${PGCONVEX_DB_USER:-pgconvex}" \
  -v pgconvex_password="$(cat /run/secrets/pgconvex_db_password)" \
  -f /docker-entrypoint-initdb.d/pgconvex-user.psql
