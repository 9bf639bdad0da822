#!/usr/bin/env bash
# Runs inside a host's network namespace, in its own mount + UTS namespace (see host_boot):
# bind-mounts the host's directories over the daemons' paths, starts virtlogd, virtlockd,
# libvirtd (TCP on the host's address) and its etcd member, and records every PID in its /run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
h=$1; d=$(host_dir "$h"); ip=$(host_ip "$h")

if [ "${2:-}" != --daemons ]; then
  hostname "$h"
  for m in etc:/etc/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt run:/run; do
    mkdir -p "${m#*:}"
    mount --bind "$d/${m%%:*}" "${m#*:}"
  done
  mount --bind "$d/hosts" /etc/hosts
  # The host's init (lib/anchor.py): holds its namespaces and reaps its processes; it runs this script
  # again with --daemons to start them as its descendants.
  setsid python3 "$LAB_LIB/anchor.py" /run/anchor.pid "$0" "$h" --daemons </dev/null >>"$d/boot.log" 2>&1 &
  wait_for "the daemons of $h" 30 test -e /run/daemons.started
  exit 0
fi

virtlogd -d
virtlockd -d
libvirtd -d --listen

cluster=$(cat "$STATE/etcd-cluster")
timing=$(cat "$STATE/etcd-timing" 2>/dev/null || echo 100/1000)
# --pre-vote: a member coming back from a partition must not force an election (its term grew while
# it was cut off); without it the healed cluster loses its leader for seconds and lease renewals fail.
# Auto-compaction: every node rewrites its record each second, so history must not grow forever.
if [[ ",$cluster" == *",$h="* ]]; then
  # Raised above the guests and other load, as deploy/vigild.yaml recommends for etcd (vigild raises itself).
  setsid nice -n -10 etcd --name "$h" --data-dir "$d/etcd" \
    --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
    --listen-client-urls "http://$ip:2379,http://127.0.0.1:2379" --advertise-client-urls "http://$ip:2379" \
    --initial-cluster "$cluster" --initial-cluster-token vigil-lab --initial-cluster-state new \
    --heartbeat-interval "${timing%/*}" --election-timeout "${timing#*/}" \
    --pre-vote --auto-compaction-mode=periodic --auto-compaction-retention=1h \
    </dev/null >>"$d/etcd.log" 2>&1 &
  echo $! > /run/etcd.pid
fi
touch /run/daemons.started
