#!/usr/bin/env bash
# `npm test` from a clone in a directory no one else may enter, as root's 0700 home is: as root
# the test PostgreSQL runs as another user, who must not need to enter the clone. Then the same
# clone as `nobody` in a 0700 directory of its own (the non-root case), and the first install
# path of the README, `npm install -g .` from the clone, run against a throwaway homeserver.
#
# It clones the committed HEAD (not uncommitted changes). `npm ci` there reuses the npm cache,
# so it downloads nothing again, but it builds better-sqlite3 from source: most of the time.
# The failure this guards against was in vitest's global setup, so that setup and the tests
# that use PostgreSQL run, not the whole suite a second time.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
[ "$(id -u)" = 0 ] || { echo "clone-check: needs root (it runs the tests as root and as nobody)" >&2; exit 2; }
export JOBS=max # node-gyp: compile with every core
# The PostgreSQL tests: connections (TCP, socket, passfile), then every command on both dialects.
tests=(test/database/transactions.test.ts test/commands/commands-postgres.test.ts)
step() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }

home=$(mktemp -d /root/sab-clone.XXXXXX) # 0700, owned by root
nobody_home=$(mktemp -d /tmp/sab-clone-nobody.XXXXXX)
trap 'rm -rf "$home" "$nobody_home"' EXIT
git clone -q --no-checkout "$src" "$home/clone"
git -C "$home/clone" checkout -q --detach "$(git rev-parse HEAD)"
cd "$home/clone"

step "npm ci in $home/clone (mode $(stat -c %a "$home"))"
npm ci --no-audit --no-fund --prefer-offline >/dev/null

step "npm test as root: ${tests[*]}"
npm test -- "${tests[@]}"

step "as nobody, in a 0700 directory of its own: test/database/transactions.test.ts"
cp -a "$home/clone" "$nobody_home/clone"
chown -R nobody: "$nobody_home"
(cd "$nobody_home/clone" &&
  setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    env HOME="$nobody_home" npm_config_update_notifier=false npm test -- test/database/transactions.test.ts)

step "npm install -g . from the clone"
npm install -g --prefix "$home/prefix" --no-audit --no-fund . >/dev/null
"$src/node_modules/.bin/tsx" "$src/scripts/ci/installed-command.ts" "$home/prefix/bin"
step "clone check done"
