#!/usr/bin/env bash
# Runs a command inside the Synapse chroot with the given host directories bind-mounted at the
# same paths, plus /proc and the device nodes Python needs.
#
#   in-chroot.sh CHROOT BIND_DIR[:BIND_DIR...] -- COMMAND [ARGS...]
#
# All mounts live in a private mount namespace that ends with the last process in it (a
# daemonized Synapse keeps it alive until it exits), so nothing can leak onto the host or into
# the cached chroot, however the caller ends.
set -euo pipefail

if [ -z "${SAB_IN_CHROOT_NS:-}" ]; then
  exec env SAB_IN_CHROOT_NS=1 unshare --mount --propagation private "$0" "$@"
fi
unset SAB_IN_CHROOT_NS

root=$1 binds=$2
shift 2
[ "${1:-}" = -- ] && shift

mount -t proc proc "$root/proc"
for dev in null zero urandom random; do
  [ -e "$root/dev/$dev" ] || touch "$root/dev/$dev"
  mount --bind "/dev/$dev" "$root/dev/$dev"
done
# A fresh /tmp inside, so the mount points made for binds under /tmp vanish with the namespace.
mount -t tmpfs -o mode=1777 sab-tmp "$root/tmp"

IFS=: read -r -a dirs <<< "$binds"
for dir in "${dirs[@]}"; do
  [ -n "$dir" ] || continue
  mkdir -p "$root$dir"
  mount --bind "$dir" "$root$dir"
done

exec chroot "$root" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 HOME=/root "$@"
