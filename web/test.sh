#!/usr/bin/env bash
# Runs every web test from a clean clone: installs what is missing (wasm32 target,
# wasm-bindgen-cli, npm packages, Debian's chromium), builds web/dist and the native CLI,
# then node --test: the conformance corpus through wasm in Node, byte for byte against
# the CLI, and the page in headless Chromium. Screenshots land in web/dist/screenshots/.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
bash "$here/scripts/setup.sh" --browser
bash "$here/build.sh"
export PATH="$HOME/.cargo/bin:$PATH"
(cd "$root" && cargo build --quiet -p signoff-bot)
export SIGNOFF_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/signoff"
cd "$here"
exec node --test --test-concurrency=1 test/*.test.mjs
