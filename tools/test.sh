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

shard() {  # shard NAME COMMAND... ; one line when it ends, its log, its status in NAME.rc
  local name=$1 rc=0
  shift
  ("$@") >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc" >"$logs/$name.rc"
}

echo "test: two shards at once (logs in $logs/): a = the rest of tests/; b = ${B_DIRS[*]}, tests/private, tests/lifecycle, tests/scripts"
start=$SECONDS
shard a "${APE_TEST[@]}" tests "${ignores[@]}" &
a=$!
slow_then_scripts() {
  local rc=0 module
  "${APE_TEST[@]}" "${B_DIRS[@]}" || rc=1
  for module in tests/private/test_*.py tests/lifecycle/test_*.py; do
    "${APE_TEST[@]}" "$module" || rc=1
  done
  "${APE_TEST[@]}" tests/scripts || rc=1
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
