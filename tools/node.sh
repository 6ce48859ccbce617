#!/usr/bin/env bash
# `make node` / `make node-stop`: a local anvil that stays up for hand use, on a known port
# (SEEDBED_NODE_PORT, default 8545), with the suite deployed. Its state is saved on stop and
# loaded on the next start, so a walkthrough resumes where it was left.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SEEDBED_NODE_PORT:-8545}
DIR=.node/$PORT
URL=http://127.0.0.1:$PORT

answers() { cast chain-id --rpc-url "$URL" >/dev/null 2>&1; }

start() {
  if answers; then
    echo "node: already running at $URL"
  else
    mkdir -p "$DIR"
    anvil --host 127.0.0.1 --port "$PORT" --state "$DIR/state.json" --silent \
      >"$DIR/anvil.log" 2>&1 &
    echo $! > "$DIR/pid"
    for _ in $(seq 1 100); do answers && break; sleep 0.1; done
    answers || { echo "error: anvil did not answer at $URL (log: $DIR/anvil.log)" >&2; exit 1; }
    echo "node: anvil started at $URL (pid $(cat "$DIR/pid"), state in $DIR/state.json)"
  fi
  SEEDBED_NETWORK=$URL ape run deploy --account TEST::0 --min-commit-age 0 | sed 's/^/node: /'
  cat <<EOT
node: ready. In each shell that uses it:
  source tools/env.sh
then run any script without --network, e.g. 'ape run offers'. Stop it with 'make node-stop'.
EOT
}

stop() {
  if [ -f "$DIR/pid" ] && kill -0 "$(cat "$DIR/pid")" 2>/dev/null; then
    kill -INT "$(cat "$DIR/pid")"   # SIGINT: anvil saves its state before it exits
    for _ in $(seq 1 50); do kill -0 "$(cat "$DIR/pid")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$DIR/pid"
    echo "node: stopped (state kept in $DIR/state.json; 'make node' resumes it)"
  else
    rm -f "$DIR/pid"
    echo "node: not running on port $PORT"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: tools/node.sh start|stop" >&2; exit 2 ;;
esac
