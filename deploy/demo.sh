#!/usr/bin/env bash
# The end-to-end demo behind `make demo`: three simulated KVM hosts (deploy/lab) with a 3-member etcd,
# vigild on each, three highly available guests, then a host loses power and Vigil brings its guests
# back on the survivors, each exactly once. Needs root; cleans up everything it started on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB=deploy/lab/lab
BIN=.build/debug
LAB_DIR=${VIGIL_LAB_DIR:-/var/lib/vigil-lab}
AGENTS=$LAB_DIR/agents
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() { say "cleaning up"; "$LAB" down >/dev/null 2>&1 || true; }
trap cleanup EXIT

run_dir() { local uri; uri=$("$LAB" uri "$1"); uri=${uri#*socket=}; dirname "$(dirname "$uri")"; }
vigil() { local h=$1; shift; VIGIL_SOCKET="$(run_dir "$h")/vigil/vigild.sock" "$BIN/vigil" "$@"; }

"$LAB" down >/dev/null 2>&1 || true
say "bringing up 3 lab hosts (libvirtd + virtlogd + virtlockd + etcd member each)"
"$LAB" up 3
mkdir -p "$AGENTS"
endpoints=$("$LAB" endpoints)
for h in h1 h2 h3; do
  addr=$("$LAB" hosts | awk -v h="$h" '$1 == h { print $2 }')
  cat > "$AGENTS/$h.yaml" <<YAML
node: $h
cluster: demo
migration_uri: qemu+tcp://$addr/system
shared_storage: $LAB_DIR/shared
store: { etcd_endpoints: [${endpoints//,/, }], call_timeout_seconds: 1 }
health: { reconcile_interval_seconds: 3, shutdown_deadline_seconds: 5 }
migration: { allow_unsafe: true }
capacity: { reserved_memory_mib: 256 }
watchdog: { device: /run/watchdog }  # the lab's emulated one (lab watchdog HOST SECONDS), never this machine's
YAML
  "$LAB" exec "$h" /bin/sh -c "setsid $PWD/$BIN/vigild --config $AGENTS/$h.yaml </dev/null >>$AGENTS/$h.log 2>&1 &"
done
say "vigild runs on h1, h2, h3 (logs in $AGENTS)"
for i in $(seq 1 60); do vigil h1 status >/dev/null 2>&1 && break; sleep 1; done

say "making three guests highly available"
for vm in web db cache; do
  xml=$("$LAB" guest "$vm")
  vigil h1 vm add "$vm" --xml "$xml"
done
for i in $(seq 1 90); do
  vigil h1 status --output json | python3 -c 'import json,sys; s=json.load(sys.stdin); sys.exit(0 if sum(g["status"]=="online" for g in s["groups"])>=3 else 1)' && break; sleep 1
done
vigil h1 status
vigil h1 capacity --failures 1
for vm in web db cache; do
  for i in $(seq 1 60); do "$LAB" heartbeat "$vm" >/dev/null 2>&1 && break; sleep 0.5; done
done

victim=$(vigil h1 status --output json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(max((n for n in s["nodes"] if n["name"]!="h1"), key=lambda n: len(n["groups"]))["name"])')
say "powering off $victim (SIGKILL of every process in it: agent, etcd member, QEMU guests)"
start=$(date +%s.%N)
"$LAB" kill "$victim"
for i in $(seq 1 60); do
  sleep 1
  vigil h1 status --output json | python3 -c '
import json,sys
s=json.load(sys.stdin); v=sys.argv[1]
ok=all(g["status"]=="online" and v not in g["nodes"] for g in s["groups"])
sys.exit(0 if ok else 1)' "$victim" && break
done
python3 -c 'import sys,time; print("every guest online on the survivors %.1f s after the power loss" % (time.time()-float(sys.argv[1])))' "$start"
vigil h1 status
say "each guest's serial heartbeat (unix-time boot sequence age-seconds): alive, and booted again if it moved"
for vm in web db cache; do
  for i in $(seq 1 60); do
    hb=$("$LAB" heartbeat "$vm" 2>/dev/null || true)
    # Alive now (a beat under 1.5 s old) and since the power loss: a dead guest's last beats can
    # still arrive just after it was killed, and those age.
    [ -n "$hb" ] && python3 -c 'import sys; f=sys.argv[1].split(); sys.exit(0 if float(f[0]) > float(sys.argv[2]) and float(f[3]) < 1.5 else 1)' "$hb" "$start" && break
    sleep 0.5
  done
  echo "$vm: ${hb:-no heartbeat}"
done
say "demo done"
