#!/usr/bin/env bash
# Idempotent setup from the registries only (PyPI, npm). Each step is skipped when its
# stamp matches the hash of the file that defines it, so a warm run costs seconds.
# A failing step prints one line naming the step and the reason, and the next run repairs it.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SOLC_VERSION=$(node -p 'require("./package.json").dependencies.solc' 2>/dev/null || echo "")
LOG_DIR=$ROOT/.setup-logs
mkdir -p "$LOG_DIR"

fail() { echo "setup: step '$1' failed: $2 (log: $LOG_DIR/$1.log)" >&2; exit 1; }
hash_of() { cat "$@" | sha256sum | cut -c1-16; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

# 1. Python virtual environment with pinned packages.
step_python() {
  local want; want=$(hash_of requirements.lock)
  stamp_ok .venv/.seedbed-stamp "$want" && return 0
  command -v python3 >/dev/null || fail python "python3 is not installed"
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' || fail python "python3 >= 3.10 is required"
  [ -x .venv/bin/python ] || python3 -m venv .venv >"$LOG_DIR/python.log" 2>&1 || fail python "could not create .venv"
  echo "setup: installing Python packages (requirements.lock)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock -e . --no-deps \
    >>"$LOG_DIR/python.log" 2>&1 || fail python "pip install -r requirements.lock did not succeed"
  echo "$want" > .venv/.seedbed-stamp
}

# 2. npm packages: anvil, cast, solcjs, OpenZeppelin.
step_npm() {
  local want; want=$(hash_of package-lock.json)
  stamp_ok node_modules/.seedbed-stamp "$want" && return 0
  command -v npm >/dev/null || fail npm "npm (Node.js) is not installed"
  echo "setup: installing npm packages (package-lock.json)"
  npm install --no-audit --no-fund --no-save >"$LOG_DIR/npm.log" 2>&1 || fail npm "npm install did not succeed"
  echo "$want" > node_modules/.seedbed-stamp
}

# 3. A project-local solc-v<version> that py-solc-x finds through SOLCX_BINARY_PATH.
step_solc() {
  local exe=.solc/solc-v$SOLC_VERSION
  local want; want=$(hash_of tools/solc.js package-lock.json)
  stamp_ok .solc/.seedbed-stamp "$want" && [ -x "$exe" ] && return 0
  mkdir -p .solc
  rm -f .solc/solc-v*
  printf '#!/bin/sh\nexec node "%s/tools/solc.js" "$@"\n' "$ROOT" > "$exe" && chmod +x "$exe"
  "$exe" --version >"$LOG_DIR/solc.log" 2>&1 || fail solc "the solcjs wrapper does not answer --version"
  grep -q "Version: $SOLC_VERSION" "$LOG_DIR/solc.log" || fail solc "solcjs reports another version than $SOLC_VERSION"
  echo "$want" > .solc/.seedbed-stamp
}

# 4. OpenZeppelin sources as a local ape dependency (deps/ is git-ignored).
step_openzeppelin() {
  local src=node_modules/@openzeppelin/contracts
  local want; want=$(hash_of package-lock.json)
  stamp_ok deps/openzeppelin/.seedbed-stamp "$want" && return 0
  [ -d "$src" ] || fail openzeppelin "$src is missing (npm step)"
  rm -rf deps/openzeppelin contracts/.cache
  mkdir -p deps/openzeppelin
  (cd "$src" && find . -name '*.sol' -exec cp --parents {} "$ROOT/deps/openzeppelin/" \;) \
    >"$LOG_DIR/openzeppelin.log" 2>&1 || fail openzeppelin "could not copy the sources"
  echo "$want" > deps/openzeppelin/.seedbed-stamp
}

# 5. anvil answers (the real binary, not the Node wrapper).
step_anvil() {
  local bin=node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil
  [ -x "$bin" ] || chmod +x "$bin" 2>/dev/null
  "$bin" --version >"$LOG_DIR/anvil.log" 2>&1 || fail anvil "$bin does not run"
}

# 6. Debian's chromium, for the audit report's browser test (make test only).
step_browser() {
  [ "${SEEDBED_BROWSER:-0}" = 1 ] || return 0
  command -v chromium >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing chromium (Debian) for the HTML report test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } \
      >"$LOG_DIR/browser.log" 2>&1 || fail browser "apt-get install chromium did not succeed"
  else
    echo "setup: chromium is missing and cannot be installed here (not root or no apt-get);" \
      "the HTML report's browser test will be skipped" >&2
  fi
}

# 7. Debian's PostgreSQL server, for the replicated gateway ledger's tests (make test only):
# the tests start throwaway servers of their own (tests/testkit/postgres.py), so only the
# binaries are needed (/usr/lib/postgresql/<version>/bin, or initdb and pg_ctl on PATH).
step_postgres() {
  [ "${SEEDBED_POSTGRES:-0}" = 1 ] || return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null && return 0
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing postgresql (Debian) for the PostgreSQL ledger tests"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } \
      >"$LOG_DIR/postgres.log" 2>&1 || fail postgres "apt-get install postgresql did not succeed"
    compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null \
      || fail postgres "postgresql is installed but /usr/lib/postgresql/*/bin/pg_ctl is missing"
  else
    echo "setup: PostgreSQL (initdb, pg_ctl) is missing and cannot be installed here (not root" \
      "or no apt-get); its tests will fail: install postgresql, or run make test" \
      "SEEDBED_POSTGRES=0 to skip them" >&2
  fi
}

step_python
step_npm
step_solc
step_openzeppelin
step_anvil
step_browser
step_postgres
