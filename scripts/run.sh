#!/usr/bin/env bash
# The main job: build the simulator into web/dist, then start the bot, which serves it at
# http://127.0.0.1:8080/ next to its webhooks, on the embedded SQLite default
# (signoff.db in the current folder). With no configuration it needs no secrets; add a
# signoff.toml or SIGNOFF_* variables to connect GitHub (see the README).
# Installs what it needs, idempotently. Stop it with Ctrl-C (graceful shutdown).
set -euo pipefail
cd "$(dirname "$0")/.."
bash web/build.sh
cargo build --release -p signoff-bot --locked
args=(serve)
if [ -f signoff.toml ]; then args+=(--config signoff.toml); fi
exec ./target/release/signoff "${args[@]}"
