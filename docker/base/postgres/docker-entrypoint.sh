#!/bin/bash
# First start: a cluster in $PGDATA owned by $POSTGRES_USER with database $POSTGRES_DB, password authentication
# over TCP. Every start: the server in the foreground, as PID 1.
set -euo pipefail

if [[ $# -eq 0 || "${1:0:1}" == "-" ]]; then
    set -- postgres "$@"
fi
if [[ "$1" != "postgres" ]]; then
    exec "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set (the password of POSTGRES_USER)}"
    user=${POSTGRES_USER:-postgres}
    db=${POSTGRES_DB:-$user}
    pwfile=$(mktemp)
    printf '%s' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    if [[ "$db" != "postgres" ]]; then
        # a server on a private socket only, as the official image does, to create the database
        pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start
        psql -v ON_ERROR_STOP=1 -h /tmp -U "$user" -d postgres -q \
            -c "CREATE DATABASE \"${db//\"/\"\"}\" OWNER \"${user//\"/\"\"}\""
        pg_ctl -D "$PGDATA" -m fast -w stop
    fi
    echo "PostgreSQL cluster made in $PGDATA: user $user, database $db"
fi

exec "$@"
