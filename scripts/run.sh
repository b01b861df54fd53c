#!/usr/bin/env bash
# The main job: lint the shipped example policy against its directory and evaluate a
# shipped case. (When the bot lands, this starts `signoff serve` instead.)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p signoff-bot --locked
./target/debug/signoff lint examples/production.yml --directory examples/directory.yml
echo "examples/production.yml: no problems"
./target/debug/signoff eval examples/production-pending.yml
