#!/usr/bin/env bash
# A throwaway N-member etcd cluster on 127.0.0.1 for development (the Swift tests start their own).
# Every member's PID is kept in DIR; `stop` kills only those PIDs, and only if /proc/PID/cmdline
# still names DIR, so no other etcd on the machine (e.g. the lab's) is ever touched.
#   loopback-cluster.sh start DIR [MEMBERS=3]   prints ETCD_ENDPOINTS=http://127.0.0.1:P1,...
#   loopback-cluster.sh stop DIR                 kills the members and removes DIR
#   loopback-cluster.sh status DIR               etcdctl endpoint status of the members
set -euo pipefail

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { sed -n '2,8p' "$0" >&2; exit 2; }

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
next_free_port() { local p=$1; while ! port_free "$p"; do p=$((p + 1)); done; echo "$p"; }

ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q -- "--data-dir $dir/"; }

case "$cmd" in
start)
  n=${3:-3}
  [ ! -e "$dir/endpoints" ] || { echo "loopback-cluster: $dir already holds a cluster; stop it first" >&2; exit 1; }
  mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
  port=23800; clients=(); peers=(); initial=()
  for i in $(seq 0 $((n - 1))); do
    c=$(next_free_port "$port"); p=$(next_free_port $((c + 1))); port=$((p + 1))
    clients+=("$c"); peers+=("$p"); initial+=("m$i=http://127.0.0.1:$p")
  done
  cluster=$(IFS=,; echo "${initial[*]}")
  for i in $(seq 0 $((n - 1))); do
    etcd --name "m$i" --data-dir "$dir/m$i" \
      --listen-client-urls "http://127.0.0.1:${clients[$i]}" --advertise-client-urls "http://127.0.0.1:${clients[$i]}" \
      --listen-peer-urls "http://127.0.0.1:${peers[$i]}" --initial-advertise-peer-urls "http://127.0.0.1:${peers[$i]}" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$(basename "$dir")" \
      --log-level error >"$dir/m$i.log" 2>&1 &
    echo $! >"$dir/m$i.pid"
  done
  endpoints=$(for c in "${clients[@]}"; do printf 'http://127.0.0.1:%s,' "$c"; done); endpoints=${endpoints%,}
  echo "$endpoints" >"$dir/endpoints"
  for _ in $(seq 1 100); do
    ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout=1s put /probe ok >/dev/null 2>&1 && break
    sleep 0.2
  done
  ETCDCTL_API=3 etcdctl --endpoints "$endpoints" --command-timeout=1s put /probe ok >/dev/null \
    || { echo "loopback-cluster: cluster in $dir did not become writable (logs: $dir/m*.log)" >&2; exit 1; }
  echo "ETCD_ENDPOINTS=$endpoints"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  dir=$(cd "$dir" && pwd)
  for f in "$dir"/m*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    if ours "$pid"; then kill -9 "$pid"; fi
    rm -f "$f"
  done
  rm -rf "$dir"
  ;;
status)
  ETCDCTL_API=3 etcdctl --endpoints "$(cat "$dir/endpoints")" --command-timeout=2s endpoint status -w table
  ;;
*) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
