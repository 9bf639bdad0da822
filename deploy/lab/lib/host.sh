# One simulated host: configuration (written once by `up`) and boot (by `up` and `start`).
# Per-host directories are bind-mounted by host-init.sh over the daemons' fixed paths.

host_setup() {  # $1 = host: per-host dirs and libvirt configuration
  local h=$1 d ip; d=$(host_dir "$1"); ip=$(host_ip "$1")
  mkdir -p "$d"/{etc/qemu,lib,log,cache/qemu/capabilities,run,etcd}
  cat > "$d/etc/libvirtd.conf" <<CONF
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
listen_tls = 0
listen_tcp = 1
listen_addr = "$ip"
auth_tcp = "none"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  cat > "$d/etc/qemu.conf" <<CONF
user = "root"
group = "root"
security_driver = "none"
remember_owner = 0
cgroup_controllers = [ ]
lock_manager = "lockd"
migration_address = "$ip"
migration_host = "$ip"
CONF
  cat > "$d/etc/qemu-lockd.conf" <<CONF
auto_disk_leases = 1
require_lease_for_disks = 1
file_lockspace_dir = "$SHARED/lockspace"
CONF
  { echo "127.0.0.1 localhost $h"; local o; for o in $(lab_hosts); do echo "$(host_ip "$o") $o"; done; } > "$d/hosts"
}

host_boot() {  # $1 = host: fresh /run (as after a power cycle), then daemons via host-init.sh
  local h=$1 d; d=$(host_dir "$1")
  [ -z "$(host_anchor "$h")" ] || die "host $h is already running"
  rm -rf "$d/run"; mkdir -p "$d/run"
  cp -n "$CACHE"/qemu-caps/*.xml "$d/cache/qemu/capabilities/" 2>/dev/null || true
  ip netns exec "$(host_ns "$h")" unshare --mount --uts --propagation private -- \
    "$LAB_LIB/host-init.sh" "$h" </dev/null >>"$d/boot.log" 2>&1 \
    || die "host $h failed to boot; see $d/boot.log"
  wait_for "libvirtd on $h" 30 virsh -c "$(host_uri "$h")" version
}

host_kill() {  # $1 = host: SIGKILL every process in its network namespace and its watchdog (power loss)
  watchdog_stop "$1"
  local pids a; pids=$(ip netns pids "$(host_ns "$1")" 2>/dev/null || true)
  a=$(host_anchor "$1") && pids="$pids $(netns_pids_of "$a")"  # also when the name does not resolve here
  # shellcheck disable=SC2086
  kill_pids $pids
}

host_line() { echo "$1 $(host_ip "$1") $(host_uri "$1")"; }
