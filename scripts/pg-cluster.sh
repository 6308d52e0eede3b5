#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback, for tests and benchmarks
# (issue 10): Debian's server binaries, a data folder of its own, run as an
# unprivileged user, stopped by the PID in its postmaster.pid.
#
#   scripts/pg-cluster.sh start DIR PORT   # initdb (first time) and start; prints the URL
#   scripts/pg-cluster.sh stop DIR         # fast shutdown by PID, waits for the exit
#
# As root the cluster runs as the user `nobody` (initdb refuses root).
set -euo pipefail
command=${1:-}
dir=${2:-}
[[ -n "$command" && -n "$dir" ]] || { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 64; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/postgres" ]] || { echo "pg-cluster: PostgreSQL server not installed (apt-get install postgresql)" >&2; exit 69; }

as_user=()
if [[ $(id -u) -eq 0 ]]; then as_user=(runuser -u nobody --); fi

case "$command" in
start)
  port=${3:?port}
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir"; fi
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    "${as_user[@]}" "$bin/initdb" --pgdata="$dir/data" --username=commsd --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  # Loopback only, a socket folder of its own, fsync on (it is the durability under test).
  "${as_user[@]}" "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" --wait \
    --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
    start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
  echo "postgres://commsd@127.0.0.1:$port/postgres"
  ;;
stop)
  pidfile="$dir/data/postmaster.pid"
  [[ -f "$pidfile" ]] || exit 0
  pid=$(head -1 "$pidfile")
  kill -INT "$pid" 2>/dev/null || exit 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 64
  ;;
esac
