#!/usr/bin/env bash
# npm run setup: everything `npm start` (on its fast path, with Redis) and `npm test` need, on a
# fresh Debian or Ubuntu machine with Node 20+ and npm. Runs before node_modules exists, so it is
# plain bash. The README's Quick start and .ci/run both use it.
#   1. redis-server on the PATH: installed with apt-get when missing, as root or with passwordless
#      sudo, without starting the system service (Threadline runs its own redis-server processes);
#      otherwise it prints what to run and exits 1. Debian's chromium too, which the browser tests
#      drive: installed in the same apt-get run; without root, a warning (npm start does not need it).
#   2. As root: the embedded Postgres runs as the `postgres` user, which must be able to enter
#      DATA_DIR (default ./.threadline): refused here, with the fix, rather than by initdb later.
#   3. The locked npm dependencies (npm ci), skipped when node_modules was installed by this
#      script from the same package-lock.json with the same Node version.
# Reads DATA_DIR from the environment (as the server will) because that is where Postgres will live.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'setup: %s\n' "$*"; }
fail() {
  printf 'setup: %s\n' "$@" >&2
  exit 1
}

check_node() {
  command -v node >/dev/null || fail 'Node.js 20 or later is needed (https://nodejs.org), and npm with it.'
  command -v npm >/dev/null || fail 'npm is needed (it comes with Node.js).'
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || fail "Node.js 20 or later is needed; this is $(node --version)."
  say "node $(node --version), npm $(npm --version)"
}

# The command prefix that runs something as root: none when root, `sudo -n` with passwordless
# sudo; returns 1 when neither.
root_prefix() {
  if [ "$(id -u)" -eq 0 ]; then
    echo ''
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo 'sudo -n'
  else
    return 1
  fi
}

# apt-get install with a policy-rc.d that answers 101 ("action forbidden"), so the package's
# post-install does not start (and enable) the system redis-server; the previous policy, if any,
# is put back.
# Usage: install_without_starting PREFIX PACKAGE...
install_without_starting() {
  local prefix=$1
  shift
  # shellcheck disable=SC2016
  $prefix bash -c '
    set -euo pipefail
    policy=/usr/sbin/policy-rc.d saved=""
    if [ -e "$policy" ]; then saved="$(mktemp)"; cp -p "$policy" "$saved"; fi
    printf "#!/bin/sh\nexit 101\n" > "$policy"
    chmod 755 "$policy"
    status=0
    DEBIAN_FRONTEND=noninteractive apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" || status=$?
    if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi
    exit "$status"
  ' install "$@"
}

ensure_redis() {
  if command -v redis-server >/dev/null; then
    say "$(redis-server --version | cut -d' ' -f1-3)"
    return
  fi
  command -v apt-get >/dev/null || fail \
    'redis-server (Redis 7) is not on the PATH, and this machine has no apt-get to install it.' \
    'Install it with your package manager (macOS: brew install redis), make sure redis-server is on the PATH,' \
    'then run: npm run setup'
  local prefix
  prefix="$(root_prefix)" || fail \
    'redis-server is not on the PATH, and installing it needs root (or passwordless sudo). Run:' \
    '  sudo apt-get update && sudo apt-get install -y --no-install-recommends redis-server' \
    '(as root, the same without sudo; Threadline starts its own redis-server, the system service need not run), then run: npm run setup'
  say "installing redis-server with apt-get${prefix:+ (through $prefix)}"
  install_without_starting "$prefix" redis-server $(browser_missing && echo chromium)
  command -v redis-server >/dev/null || fail 'apt-get finished, but redis-server is still not on the PATH.'
  say "$(redis-server --version | cut -d' ' -f1-3)"
}

# The browser tests (test/integration/*-browser.test.ts) launch Debian's chromium from this path.
browser_missing() {
  [ ! -x /usr/bin/chromium ]
}

ensure_browser() {
  if ! browser_missing; then
    say "$(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
    return
  fi
  local prefix
  if ! command -v apt-get >/dev/null || ! prefix="$(root_prefix)"; then
    say 'warning: /usr/bin/chromium is missing, and the browser tests of npm test need it:' \
      '  sudo apt-get install -y --no-install-recommends chromium'
    return
  fi
  say "installing chromium with apt-get${prefix:+ (through $prefix)}"
  install_without_starting "$prefix" chromium
}

# As root, every directory above DATA_DIR must let others through (x), or the `postgres` user
# cannot reach the cluster (initdb: could not access directory … Permission denied).
check_data_dir_reachable() {
  [ "$(id -u)" -eq 0 ] || return 0
  local dir
  dir="$(realpath -m "${DATA_DIR:-.threadline}")"
  while [ ! -d "$dir" ]; do dir="$(dirname "$dir")"; done
  while :; do
    case "$(stat -c %A "$dir")" in
      *[xt]) ;;
      *) fail \
        "DATA_DIR would be $(realpath -m "${DATA_DIR:-.threadline}"), but $dir cannot be entered by other users (mode $(stat -c %a "$dir"))," \
        'and as root the embedded Postgres runs as the postgres user, which must reach it.' \
        'Clone the repository elsewhere (e.g. under /srv or /opt), or run setup and the server with DATA_DIR set to such a place:' \
        '  DATA_DIR=/var/lib/threadline npm run setup && DATA_DIR=/var/lib/threadline npm start' ;;
    esac
    [ "$dir" = / ] && break
    dir="$(dirname "$dir")"
  done
}

install_dependencies() {
  local stamp=node_modules/.threadline-setup wanted
  wanted="$(sha256sum package-lock.json | cut -d' ' -f1) node-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
    say 'node_modules matches package-lock.json: npm ci skipped (delete node_modules to force it)'
    return
  fi
  say 'npm ci'
  # package.json's "allowScripts" approves the install scripts that must run (the embedded
  # Postgres binaries, esbuild, chdb); npm 11 skips any other package's scripts.
  npm ci --no-audit --no-fund
  mkdir -p node_modules
  printf '%s\n' "$wanted" > "$stamp"
}

check_node
ensure_redis
ensure_browser
check_data_dir_reachable
install_dependencies
say 'done: npm start serves on the fast path (Redis), npm test runs every test'
