#!/usr/bin/env bash
# Installs what the web build and its tests need, each only when missing, so it is
# cheap to run every time: the wasm32 target, the wasm-bindgen CLI of exactly the
# version in Cargo.lock, the npm packages of web/package-lock.json, and (with
# --browser) Debian's Chromium. Everything comes from the package registries.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown >&2
fi

# The CLI must match the wasm-bindgen crate byte for byte in version (Cargo.lock).
want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$root/Cargo.lock")"
if [ -z "$want" ]; then
  echo "setup: wasm-bindgen is not in Cargo.lock" >&2
  exit 1
fi
have="$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)"
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (found: ${have:-none}); about 2 minutes" >&2
  # Not --locked: its own lockfile pins a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$want" >&2
fi

# npm ci only when package-lock.json changed since the last install.
stamp="$root/web/node_modules/.signoff-installed-lock"
if ! cmp -s "$root/web/package-lock.json" "$stamp" 2>/dev/null; then
  echo "setup: npm ci in web/" >&2
  (cd "$root/web" && npm ci --no-audit --no-fund --loglevel=error >&2)
  cp "$root/web/package-lock.json" "$stamp"
fi

if [ "${1:-}" = "--browser" ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium" >&2
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium chromium-driver >&2
fi
