#!/usr/bin/env bash
# Starts Debian's PostgreSQL in a throwaway directory for `npm test` and prints an admin URL for
# SAB_TEST_PG_URL; `stop DIR` stops it again. PostgreSQL refuses to run as root, so the cluster
# belongs to the postgres user. Like the embedded server of `npm test` (test/setup/postgres.ts,
# THROWAWAY_SETTINGS), it keeps its data in memory and syncs nothing.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
case "${1:-}" in
  start)
    parent=/tmp
    # Not a container's small /dev/shm: at least 1 GB free, as test/setup/postgres.ts asks.
    if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR == 2 { print $4 }')" -ge 1048576 ]; then parent=/dev/shm; fi
    dir=$(mktemp -d "$parent/sab-ci-pg.XXXXXX")
    chmod 755 "$dir"
    chown postgres: "$dir"
    password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s\n' "$password" > "$dir/pwfile"
    chown postgres: "$dir/pwfile"
    runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" \
      --auth=scram-sha-256 --encoding=UTF8 --locale=C >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=256MB" start >/dev/null
    echo "postgres://postgres:$password@127.0.0.1:$port/postgres $dir"
    ;;
  stop)
    [ -d "${2:-}" ] || exit 0
    runuser -u postgres -- "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null || true
    rm -rf "$2"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
