#!/usr/bin/env bash
# Builds the simulator into web/dist: the wasm package (settings in ../wasm-pack.toml)
# and the page, a self-contained static bundle. Prints the module's gzipped size.
#   bash web/build.sh            then   node web/scripts/serve.mjs   (http://127.0.0.1:8000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bash "$here/scripts/setup.sh"
export PATH="$HOME/.cargo/bin:$here/node_modules/.bin:$PATH"
exec node "$here/scripts/build.mjs" "$@"
