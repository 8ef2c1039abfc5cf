#!/usr/bin/env bash
# Builds (or verifies) the cached Debian unstable chroot that holds a real Synapse for the
# end-to-end suite. Idempotent: a good cache is reused in seconds, a missing or broken one is
# rebuilt. Prints the Synapse version on its last stdout line.
#
#   SAB_CHROOT   where the chroot lives (default /var/cache/synapse-admin-bootstrap/chroot)
#   SAB_MIRROR   Debian mirror (default: the first Debian URI in the host's apt sources)
#   SAB_SUITE    Debian suite (default unstable: the only one that ships matrix-synapse)
set -euo pipefail

CHROOT=${SAB_CHROOT:-/var/cache/synapse-admin-bootstrap/chroot}
SUITE=${SAB_SUITE:-unstable}
PACKAGES=(matrix-synapse python3-psycopg2)
# Written last: a chroot without it was interrupted mid-build and is never trusted.
MARKER=etc/sab-chroot-info

log() { echo "chroot.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
trap 'log "error: command failed at line $LINENO: $BASH_COMMAND"' ERR

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap and chroot need it); try: sudo $0"

# Every mount this script makes lives in a private mount namespace, so none can outlive it,
# not even when it is killed.
if [ -z "${SAB_CHROOT_NS:-}" ]; then
  exec env SAB_CHROOT_NS=1 unshare --mount --propagation private "$0" "$@"
fi

host_mirror() {
  local uri
  uri=$(grep -hsE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources \
          | tr ' ' '\n' | grep -E '^https?://.*/debian/?$' | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hsE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            | sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  fi
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list{,.d}; set SAB_MIRROR"
  echo "${uri%/}"
}

# /proc and the device nodes Python needs, mounted only for the commands that run inside.
mount_runtime() {
  local root=$1 dev
  mount -t proc proc "$root/proc"
  for dev in null zero urandom random; do
    [ -e "$root/dev/$dev" ] || touch "$root/dev/$dev"
    mount --bind "/dev/$dev" "$root/dev/$dev"
  done
}

unmount_runtime() {
  local root=$1 dev
  for dev in null zero urandom random; do umount -l "$root/dev/$dev" 2>/dev/null || true; done
  umount -l "$root/proc" 2>/dev/null || true
}

synapse_version() {
  chroot "$1" python3 -c 'import synapse, psycopg2; print(synapse.__version__)'
}

verify() {
  local root=$1 version
  [ -f "$root/$MARKER" ] || return 1
  [ "$(stat -c %a "$root")" = 755 ] || return 1
  mount_runtime "$root"
  version=$(synapse_version "$root" 2>/dev/null) || { unmount_runtime "$root"; return 1; }
  unmount_runtime "$root"
  echo "$version"
}

ensure_debootstrap() {
  command -v debootstrap >/dev/null && return
  log "installing debootstrap on the host"
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
}

build() {
  local parent build mirror start version
  parent=$(dirname "$CHROOT")
  mkdir -p "$parent"
  rm -rf "$parent"/.build.* # leftovers of interrupted builds
  build=$(mktemp -d "$parent/.build.XXXXXX")
  chmod 755 "$build" # mktemp's 0700 would lock out every non-root user inside
  mirror=${SAB_MIRROR:-$(host_mirror)}
  start=$SECONDS
  log "building $SUITE chroot from $mirror in $build"

  debootstrap --variant=minbase "$SUITE" "$build" "$mirror" >&2 \
    || die "debootstrap failed; see $build/debootstrap/debootstrap.log"

  # Never start services inside the chroot.
  printf '#!/bin/sh\nexit 101\n' > "$build/usr/sbin/policy-rc.d"
  chmod 755 "$build/usr/sbin/policy-rc.d"
  echo force-unsafe-io > "$build/etc/dpkg/dpkg.cfg.d/sab-unsafe-io"
  # Snapshot-style mirrors serve Release files past their Valid-Until.
  echo 'Acquire::Check-Valid-Until "false";' > "$build/etc/apt/apt.conf.d/99sab-no-valid-until"
  echo 'APT::Install-Recommends "false";' > "$build/etc/apt/apt.conf.d/99sab-no-recommends"
  cp /etc/resolv.conf "$build/etc/resolv.conf" 2>/dev/null || true

  mount_runtime "$build"
  echo 'matrix-synapse matrix-synapse/server-name string localhost' \
    | chroot "$build" debconf-set-selections
  echo 'matrix-synapse matrix-synapse/report-stats boolean false' \
    | chroot "$build" debconf-set-selections
  chroot "$build" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o Acquire::Check-Valid-Until=false update -q >&2
  chroot "$build" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o Acquire::Check-Valid-Until=false install -y -q "${PACKAGES[@]}" >&2
  chroot "$build" apt-get clean
  version=$(synapse_version "$build") || die "synapse does not import in the new chroot"
  unmount_runtime "$build"

  printf 'synapse=%s\nsuite=%s\nmirror=%s\nbuilt=%s\n' \
    "$version" "$SUITE" "$mirror" "$(date -u +%FT%TZ)" > "$build/$MARKER"
  rm -rf "$CHROOT"
  mv "$build" "$CHROOT"
  log "built in $((SECONDS - start))s: Synapse $version"
}

main() {
  local version
  mkdir -p "$(dirname "$CHROOT")"
  # One builder at a time; a second caller waits and then finds the cache good.
  exec 9>"$(dirname "$CHROOT")/.lock"
  flock 9
  if version=$(verify "$CHROOT"); then
    log "cached chroot at $CHROOT is good"
  else
    [ -e "$CHROOT" ] && log "chroot at $CHROOT is missing its marker or broken: rebuilding"
    ensure_debootstrap
    build
    version=$(verify "$CHROOT") || die "freshly built chroot at $CHROOT does not verify"
  fi
  echo "synapse $version"
}

main "$@"
