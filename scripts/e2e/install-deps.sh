#!/usr/bin/env bash
# Host packages the end-to-end suite needs: Debian's PostgreSQL server (started by the suite
# itself on a free port), openssl (its TLS certificates) and debootstrap (for the Synapse
# chroot); and pgbouncer, which test/database/pgbouncer.test.ts starts in front of the test server.
# Idempotent; run as root.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v unshare >/dev/null || missing+=(util-linux)
command -v openssl >/dev/null || missing+=(openssl)
[ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: postgresql, debootstrap, unshare, openssl and pgbouncer are present" >&2
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-deps.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; }

# The suite runs its own throwaway server: no system cluster is wanted.
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/sab-no-main-cluster.conf

echo "install-deps.sh: installing ${missing[*]}" >&2
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
