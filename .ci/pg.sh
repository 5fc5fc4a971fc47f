#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and CI.
#
#   .ci/pg.sh start DIR   initdb + pg_ctl start in DIR (created if missing)
#                         on a free loopback port; prints the URL to use as
#                         MCP_AGENTS_TEST_PG (also written to DIR/url)
#   .ci/pg.sh stop DIR    stops that cluster and removes DIR
#
# initdb and pg_ctl run as the postgres user when this runs as root (they
# refuse root), as the current user otherwise. When initdb is missing,
# Debian's postgresql package is installed with apt-get. Trust
# authentication on loopback only: the cluster lives as long as one run.
set -euo pipefail

cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2; exit 2
fi

# find_bin NAME: NAME on PATH, else the newest Debian versioned one.
find_bin() {
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return; fi
  ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1
}

# as_pg CMD...: run CMD as the cluster's owner.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    local q; printf -v q '%q ' "$@"
    su postgres -s /bin/sh -c "$q"
  else
    "$@"
  fi
}

case "$cmd" in
start)
  initdb=$(find_bin initdb)
  if [ -z "$initdb" ]; then
    sudo=""
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then sudo="sudo -n"; fi
    if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" != 0 ] && [ -z "$sudo" ]; }; then
      echo "no initdb, and no apt-get (as root) to install postgresql" >&2; exit 1
    fi
    echo "installing postgresql with apt-get" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >&2
    initdb=$(find_bin initdb)
    [ -n "$initdb" ] || { echo "postgresql installed but no initdb found" >&2; exit 1; }
  fi
  pg_ctl=$(dirname "$initdb")/pg_ctl
  [ -x "$pg_ctl" ] || pg_ctl=$(find_bin pg_ctl)
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    echo "running as root and there is no postgres user to run the cluster as" >&2; exit 1
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  if ! as_pg test -w "$dir"; then
    echo "$dir cannot be written by the cluster's owner (a parent directory it cannot enter?); use a directory under /tmp" >&2
    exit 1
  fi
  as_pg "$initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  # A free port: pick one nobody answers on, and try another if the
  # server still cannot bind it (someone took it in between).
  for _ in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if as_pg "$pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null; then
      url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
      echo "$url" >"$dir/url"
      echo "$url"
      exit 0
    fi
  done
  echo "could not start PostgreSQL; its log:" >&2; cat "$dir/log" >&2 || true; exit 1
  ;;
stop)
  if [ -d "$dir/data" ]; then
    pg_ctl=$(find_bin pg_ctl)
    as_pg "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2
  ;;
esac
