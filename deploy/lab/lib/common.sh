# Shared names, paths and helpers of the lab; sourced by `lab` and by the per-host init.
# Everything the lab creates lives under $LAB_DIR (never in the git tree).
LAB_DIR=${VIGIL_LAB_DIR:-/var/lib/vigil-lab}
LAB_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_NET=10.77.0                  # lab-only /24: exists only inside the lab's namespaces + root leg
ROOT_LEG=vlab0                   # root namespace's veth into the lab switch ($LAB_NET.1)
SW_NS=vlab-sw                    # the "switch" namespace holding bridge br0
SHARED=$LAB_DIR/shared           # shared storage: same path on every host
STATE=$LAB_DIR/state             # hosts list, etcd cluster string, collector pid
CACHE=$LAB_DIR/cache             # kernel .deb, unpacked kernel, QEMU capabilities, accel probe
HB_DIR=$SHARED/heartbeat         # collector socket and per-guest heartbeat logs
HB_SOCK=$HB_DIR/collector.sock
BMC_ADDR=$LAB_NET.1              # the lab BMC (lib/bmc.py) listens on the root leg...
BMC_PORT=6230                    # ...on this TCP port; its password is in $STATE/bmc.secret

say() { echo "lab: $*" >&2; }
die() { echo "lab: error: $*" >&2; exit 1; }

host_ns()  { echo "vlab-$1"; }
host_ip()  { echo "$LAB_NET.$((10 + ${1#h}))"; }
host_dir() { echo "$LAB_DIR/hosts/$1"; }
host_uri() { echo "qemu:///system?socket=$(host_dir "$1")/run/libvirt/libvirt-sock"; }
lab_hosts() { cat "$STATE/hosts" 2>/dev/null; }
lab_is_up() { [ -s "$STATE/hosts" ] || ip netns list 2>/dev/null | grep -q "^$SW_NS\b"; }

# The host's "init": a sleep that holds its mount/UTS/net namespaces for `exec`.
host_anchor() { local p; p=$(cat "$(host_dir "$1")/run/anchor.pid" 2>/dev/null) && pid_alive "$p" && echo "$p"; }

need_host() {
  lab_is_up || die "the lab is not up (run: lab up)"
  lab_hosts | grep -qx "$1" || die "unknown host '$1' (hosts: $(lab_hosts | tr '\n' ' '))"
}

# Waits up to $2 seconds for command "${@:3}" to succeed; $1 names what we wait for.
wait_for() {
  local what=$1 secs=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out after ${secs}s waiting for $what"
    sleep 0.1
  done
}

# True while PID runs; a zombie has released everything and only waits for its reaper.
pid_alive() { local st; st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ "$st" != Z ]; }

# Every PID in the network namespace of PID $1 (never the root one). Found through /proc, so it works
# from any mount namespace: a lab brought up inside another mount namespace (a test run in its own)
# has /run/netns names that this one cannot resolve, and `ip netns pids` would find nothing.
netns_pids_of() {
  local ns p; ns=$(readlink "/proc/$1/ns/net" 2>/dev/null) || return 0
  [ "$ns" != "$(readlink /proc/1/ns/net)" ] || return 0
  for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"; done
  return 0
}

# The anchor of every lab host still running, whichever run or mount namespace booted it.
lab_anchor_pids() {
  local p; for p in /proc/[0-9]*; do
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q "lab/lib/anchor.py /run/anchor.pid .*host-init.sh" && echo "${p#/proc/}"
  done
  return 0
}

# Stops a daemon of the root namespace recorded in $STATE/$1.pid, if that PID still runs script $2.
stop_daemon() {
  local pid; pid=$(cat "$STATE/$1.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && grep -q "$2" "/proc/$pid/cmdline" 2>/dev/null; then kill_pids "$pid"; fi
}

# SIGKILLs the given PIDs and waits until they are gone.
kill_pids() {
  [ $# -gt 0 ] || return 0
  kill -KILL "$@" 2>/dev/null || true
  local end=$((SECONDS + 10)) p
  for p in "$@"; do
    while pid_alive "$p" && [ $SECONDS -lt $end ]; do sleep 0.02; done
  done
}
