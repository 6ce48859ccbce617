# Source this (`source tools/env.sh`) to use Seedbed's tools in your shell, as `make` does:
# the project's Python, anvil and cast on PATH, the project-local solc, and the chain that
# `make node` keeps up as every script's default network (SEEDBED_NODE_PORT, default 8545).
_seedbed_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export PATH="$_seedbed_root/node_modules/@foundry-rs/anvil-linux-amd64/bin:$_seedbed_root/node_modules/@foundry-rs/cast-linux-amd64/bin:$_seedbed_root/.venv/bin:$PATH"
export SOLCX_BINARY_PATH="$_seedbed_root/.solc"
export SEEDBED_NETWORK="http://127.0.0.1:${SEEDBED_NODE_PORT:-8545}"
unset _seedbed_root
