#!/usr/bin/env bash
# `make test`: the whole suite as two shards at once, one per core. Each ape session starts
# its own anvil on a free port (foundry `host: auto`), so the shards share nothing but the
# compiled build. tests/scripts calls every script in-process, each entering ape network
# contexts of its own: it runs in a session of its own so it can neither see nor leave another
# module's chain state. Each shard's output goes to .test-logs/<shard>.log and is printed when
# it ends; the exit status is non-zero if any session failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=.test-logs
rm -rf "$logs" && mkdir -p "$logs"
APE_TEST=(ape test -q -p no:cacheprovider)

# Shard "b": the slow end-to-end folders (the README walkthrough, the installed package, the
# metering adversary, the vault), then private data and the lifecycle scripts one module per
# session (a seal made in one module's fixtures outlived ape's snapshot revert when the modules
# shared a session), then the scripts.
B_DIRS=(tests/docs tests/api tests/meter tests/vault)
ignores=()
for dir in "${B_DIRS[@]}" tests/private tests/lifecycle tests/scripts; do ignores+=(--ignore="$dir"); done

# A session whose anvil did not answer within ape's 20 s start-up timeout (a loaded machine:
# both shards start anvils) ran no test at all: run it once more. Any other failure stands.
session() {  # session PATH... : one ape test session
  local out rc=0
  out=$(mktemp)
  "${APE_TEST[@]}" "$@" 2>&1 | tee "$out" || rc=$?
  if [ "$rc" != 0 ] && grep -q "RPCTimeoutError: Timed out waiting for successful RPC connection" "$out"; then
    echo "test: the anvil of the session for $* did not start in time; running it again"
    rc=0
    "${APE_TEST[@]}" "$@" || rc=$?
  fi
  rm -f "$out"
  return "$rc"
}

shard() {  # shard NAME COMMAND... ; one line when it ends, its log, its status in NAME.rc
  local name=$1 rc=0
  shift
  ("$@") >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$name.rc"
}

echo "test: two shards at once (logs in $logs/): a = the rest of tests/; b = ${B_DIRS[*]}, tests/private, tests/lifecycle, tests/scripts"
start=$SECONDS
shard a session tests "${ignores[@]}" &
a=$!
slow_then_scripts() {
  local rc=0 module
  session "${B_DIRS[@]}" || rc=1
  for module in tests/private/test_*.py tests/lifecycle/test_*.py; do
    session "$module" || rc=1
  done
  session tests/scripts || rc=1
  return $rc
}
shard b slow_then_scripts &
b=$!

status=0
for pid_name in "$a:a" "$b:b"; do
  wait "${pid_name%%:*}"
  name=${pid_name##*:}
  echo "---- shard $name ----"
  cat "$logs/$name.log"
  [ "$(cat "$logs/$name.rc")" = 0 ] || status=1
done
echo "test: both shards done in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s; $([ $status = 0 ] && echo 'all passed' || echo 'FAILURES above')"
exit $status
