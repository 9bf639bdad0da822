#!/usr/bin/env bash
# Runs inside a host's network namespace, in its own mount + UTS namespace (see host_boot):
# bind-mounts the host's directories over the daemons' paths, starts virtlogd, virtlockd,
# libvirtd (TCP on the host's address) and its etcd member, and records every PID in its /run.
set -euo pipefail
. "$(dirname "$0")/common.sh"
. "$(dirname "$0")/etcd-member.sh"
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

etcd_member_start "$h"
touch /run/daemons.started
