#!/usr/bin/env bash
# `make compile`: ape rebuilds per changed file, so a contract importing an edited library kept
# its old bytecode. Rebuild everything whenever any Solidity source or the compiler settings
# changed since the last successful build; otherwise the incremental (no-op) compile is enough.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.build/.sources-stamp
want=$( { find contracts interfaces deps/openzeppelin -name '*.sol' -not -path '*/.cache/*' -print0 \
          | sort -z | xargs -0 sha256sum; sha256sum ape-config.yaml; } | sha256sum | cut -c1-32)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d .build ]; then
  exec ape compile
fi
ape compile --force
mkdir -p .build && echo "$want" > "$stamp"
