# Sourced by scripts/test.sh: a throwaway PostgreSQL server for the bot's scenarios.
# `pg_start` installs Debian's postgresql when missing (idempotently), starts a private
# cluster in a temporary directory on a free loopback port (as the `postgres` user when
# run as root: initdb refuses root) and sets `pg_url` (for SIGNOFF_TEST_POSTGRES); `pg_stop` stops it
# and removes the directory (call it from an EXIT trap, so it also runs on failure).

pg_dir=""
pg_bin=""
pg_url=""

pg_run() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}

pg_find() {
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]
}

pg_start() {
  if ! pg_find; then
    echo "postgres: installing Debian's postgresql" >&2
    local sudo_cmd=""
    if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends postgresql >&2
    pg_find || { echo "postgres: initdb not found after installing postgresql" >&2; return 1; }
  fi
  pg_dir="$(mktemp -d)"
  chmod 755 "$pg_dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; fi
  pg_run "$pg_bin/initdb -D $pg_dir/data -A trust -U signoff >/dev/null"
  local port tries
  for tries in 1 2 3 4 5 6 7 8; do
    port=$((30000 + RANDOM % 10000))
    # A port something already answers on is taken.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if pg_run "$pg_bin/pg_ctl -D $pg_dir/data -o '-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c fsync=off' -l $pg_dir/log -w start >/dev/null"; then
      pg_url="postgres://signoff@127.0.0.1:$port"
      echo "postgres: $("$pg_bin/postgres" --version) on 127.0.0.1:$port" >&2
      return 0
    fi
  done
  echo "postgres: could not start a server; log:" >&2
  cat "$pg_dir/log" >&2 || true
  return 1
}

pg_stop() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir" ]; then
    pg_run "$pg_bin/pg_ctl -D $pg_dir/data -m fast -w stop" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
    pg_dir=""
  fi
}
