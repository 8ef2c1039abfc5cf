#!/usr/bin/env bash
# The README's second install path: a tarball made by `npm pack`, installed with `npm install -g`
# into a fresh prefix and run from there against a throwaway homeserver
# (scripts/ci/installed-command.ts). First it checks what the tarball holds: the built dist/
# (the bundle, its launcher and the prerendered help; no source maps, no code cache) and nothing else of the checkout.
# Needs a built dist/ (npm ci builds it) and the checkout's devDependencies (tsx).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
export JOBS=max # node-gyp: compile with every core
step() { printf '== %s (%ss)\n' "$1" "$SECONDS"; }
fail() { printf 'install-check: %s\n' "$1" >&2; exit 1; }

tmp=$(mktemp -d /tmp/sab-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

step "npm pack"
tarball=$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -n1)
listing=$(tar -tzf "$tarball" | sort)
extra=$(grep -vE '^package/(package\.json|README\.md|LICENSE|dist/.+\.cjs|dist/help\.txt)$' <<<"$listing" || true)
[ -z "$extra" ] || fail "the tarball holds files it should not:"$'\n'"$extra"
expected=$(cd dist && find . -path ./cache -prune -o -type f ! -name '*.map' -print | sed -E 's|^\./|package/dist/|' | sort)
grep -q '^package/dist/cli\.cjs$' <<<"$listing" || fail "the tarball has no dist/cli.cjs"
diff -u <(echo "$expected") <(grep '^package/dist/' <<<"$listing") ||
  fail "the tarball's dist/ is not the built dist/ (missing files are -, stale ones +)"
echo "$(wc -l <<<"$listing") files, $(du -k "$tarball" | cut -f1) kB"

step "npm install -g $(basename "$tarball") into a fresh prefix"
# As the README says: npm versions that ask before running dependencies' install scripts need
# bcrypt and better-sqlite3 allowed (they build native modules); nothing else needs one.
npm install -g --prefix "$tmp/prefix" --no-audit --no-fund --allow-scripts=bcrypt,better-sqlite3 "$tarball"

step "the installed command"
"$src/node_modules/.bin/tsx" "$src/scripts/ci/installed-command.ts" "$tmp/prefix/bin"
step "install check done"
