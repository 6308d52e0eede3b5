#!/usr/bin/env bash
# A throw-away PostgreSQL cluster on loopback, for tests and benchmarks
# (issue 10): Debian's server binaries, a data folder of its own, run as an
# unprivileged user, stopped by the PID in its postmaster.pid.
#
#   scripts/pg-cluster.sh start DIR PORT   # initdb (first time) and start; prints the URL
#   scripts/pg-cluster.sh stop DIR         # fast shutdown by PID, waits for the exit
#
# A standby for failover tests (issue 27):
#
#   scripts/pg-cluster.sh standby DIR PORT PRIMARY_PORT NAME
#                                          # a fresh pg_basebackup of the primary on
#                                          # PRIMARY_PORT (any earlier data in DIR is
#                                          # removed), streaming as application NAME
#                                          # through a replication slot of that name
#   scripts/pg-cluster.sh promote DIR      # the standby becomes a primary (waits)
#   scripts/pg-cluster.sh kill DIR         # kill -9 the server and every process of
#                                          # it at once, as a lost host would end
#
# As root the cluster runs as the user `nobody` (initdb refuses root).
set -euo pipefail
command=${1:-}
dir=${2:-}
[[ -n "$command" && -n "$dir" ]] || { echo "usage: $0 start DIR PORT | stop DIR | standby DIR PORT PRIMARY_PORT NAME | promote DIR | kill DIR" >&2; exit 64; }
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$bin/postgres" ]] || { echo "pg-cluster: PostgreSQL server not installed (apt-get install postgresql)" >&2; exit 69; }

as_user=()
if [[ $(id -u) -eq 0 ]]; then as_user=(runuser -u nobody --); fi

# Loopback only, a socket folder of its own, fsync on (it is the durability under test).
start_server() {
  local port=$1
  "${as_user[@]}" "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" --wait \
    --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
    start >/dev/null || { tail -20 "$dir/postgres.log" >&2; exit 1; }
  echo "postgres://commsd@127.0.0.1:$port/postgres"
}

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
  start_server "$port"
  ;;
standby)
  port=${3:?port}
  primary=${4:?primary port}
  name=${5:?name}
  [[ "$name" =~ ^[a-z0-9_]+$ ]] || { echo "pg-cluster: NAME must be [a-z0-9_]+" >&2; exit 64; }
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then chown nobody "$dir"; fi
  rm -rf "$dir/data"
  # -R writes standby.signal and primary_conninfo; the slot keeps the WAL the
  # standby has not received yet. initdb's trust lines admit replication
  # from loopback.
  "${as_user[@]}" "$bin/psql" -X -q -d "postgres://commsd@127.0.0.1:$primary/postgres" -c \
    "SELECT pg_drop_replication_slot('$name') FROM pg_replication_slots WHERE slot_name = '$name'" \
    >/dev/null
  "${as_user[@]}" "$bin/pg_basebackup" --pgdata="$dir/data" --host=127.0.0.1 --port="$primary" \
    --username=commsd --wal-method=stream --write-recovery-conf --create-slot --slot="$name" \
    --checkpoint=fast \
    >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  # The application name is what synchronous_standby_names refers to.
  echo "primary_conninfo = 'host=127.0.0.1 port=$primary user=commsd application_name=$name'" |
    "${as_user[@]}" tee -a "$dir/data/postgresql.auto.conf" >/dev/null
  start_server "$port"
  ;;
promote)
  "${as_user[@]}" "$bin/pg_ctl" --pgdata="$dir/data" --wait promote >/dev/null
  ;;
kill)
  pidfile="$dir/data/postmaster.pid"
  [[ -f "$pidfile" ]] || exit 0
  pid=$(head -1 "$pidfile")
  # Stopped first, so that it forks nothing between the listing and the kill.
  kill -STOP "$pid" 2>/dev/null || exit 0
  # shellcheck disable=SC2046 # one word per pid
  kill -KILL "$pid" $(awk -v parent="$pid" '$4 == parent { print $1 }' /proc/[0-9]*/stat 2>/dev/null) 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || exit 0
    sleep 0.05
  done
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
  echo "usage: $0 start DIR PORT | stop DIR | standby DIR PORT PRIMARY_PORT NAME | promote DIR | kill DIR" >&2
  exit 64
  ;;
esac
