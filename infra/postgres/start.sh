#!/usr/bin/env bash
# Starts the machine's Postgres for the integration tests when nothing accepts connections on
# 127.0.0.1:5432 (the newest Debian cluster, through pg_ctlcluster), waits for it, creates the tests'
# database when it is missing, and prints the URL the tests use (POLYFLOW_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test, trust auth). A URL of another server is left alone.
# Run by `.ci/run` and by the integration suite's global setup (`npm run test:integration`).
set -euo pipefail
url="${POLYFLOW_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
case "$url" in
  *@127.0.0.1:5432/* | *@localhost:5432/*) ;;
  *) echo "$url"; exit 0 ;;
esac
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "infra/postgres/start.sh: nothing on 127.0.0.1:5432 and no pg_ctlcluster: install Debian's postgresql, or set POLYFLOW_TEST_POSTGRES_URL" >&2
    exit 1
  fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "infra/postgres/start.sh: Postgres did not accept connections on 127.0.0.1:5432 within 30 s" >&2
    exit 1
  fi
fi
database="${url##*/}"
database="${database%%\?*}"
credentials="${url#postgres://}"
credentials="${credentials%%@*}"
user="${credentials%%:*}"
# A password in the URL, for psql and createdb (never printed).
if [ "$credentials" != "$user" ]; then export PGPASSWORD="${credentials#*:}"; fi
if ! psql -h 127.0.0.1 -p 5432 -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  createdb -h 127.0.0.1 -p 5432 -U "$user" "$database"
fi
echo "$url"
