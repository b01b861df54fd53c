#!/usr/bin/env bash
# Every test: formatting, lints, the core built for the browser target (so no I/O
# dependency creeps in), the conformance corpus through the CLI, the simulator (wasm
# build, corpus through wasm, headless Chromium), and the Rust tests, the bot's
# scenarios on SQLite and again on a throwaway PostgreSQL server.
# Installs what it needs, idempotently; safe on a fresh machine with CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "toolchain components"
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "core and wasm layer build for wasm32-unknown-unknown"
cargo build -p signoff --target wasm32-unknown-unknown --locked
cargo clippy -p signoff-wasm --target wasm32-unknown-unknown --locked -- -D warnings

step "signoff test (conformance corpus and examples, through the CLI)"
cargo run -q -p signoff-bot --locked -- test tests/conformance examples

step "simulator: wasm build, corpus through wasm (byte-identical to the CLI), browser tests"
bash web/test.sh

step "webhook fixtures and the bot's outgoing request bodies against GitHub's OpenAPI"
bash tests/fixtures/github/validate.sh

step "PostgreSQL: a throwaway server for the bot's scenarios"
# shellcheck source=scripts/postgres.sh
source scripts/postgres.sh
log="$(mktemp)"
cleanup() { rm -f "$log"; pg_stop; }
trap cleanup EXIT
pg_start

step "cargo test"
failed=0
# The crash test runs below, with the PostgreSQL server's URL and its figures shown.
env -u SIGNOFF_TEST_POSTGRES cargo test --workspace --all-features --locked -- --skip crash_sqlite --skip crash_postgres 2>&1 |
  tee "$log" || failed=1

step "the bot's scenarios again, on PostgreSQL"
# --nocapture: the fault test prints its figures (the scenarios print nothing else).
SIGNOFF_TEST_POSTGRES="$pg_url" cargo test -p signoff-bot --all-features --locked --test github -- --nocapture 2>&1 |
  tee -a "$log" || failed=1
SIGNOFF_TEST_POSTGRES="$pg_url" cargo test -p signoff-bot --all-features --locked --test gitlab 2>&1 |
  tee -a "$log" || failed=1

step "crash test: kill -9 twenty times, 1 replica on SQLite, 3 on PostgreSQL"
SIGNOFF_TEST_POSTGRES="$pg_url" cargo test -p signoff-bot --all-features --locked --test crash -- --nocapture 2>&1 | tee -a "$log" || failed=1
# One closing line for the whole run (both stores): cargo prints a result line per test
# binary, and the last of those is usually a crate's empty doc-test run, which reads as
# "no tests".
awk '/^test result:/ { for (i = 1; i < NF; i++) { if ($(i + 1) == "passed;") p += $i; if ($(i + 1) == "failed;") f += $i } }
     END { printf "cargo: %d passed, %d failed\n", p, f }' "$log"
exit "$failed"
