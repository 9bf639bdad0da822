# A host's etcd member (h1..h3): started at boot by host-init.sh, and alone by `lab etcd-start`.

# --pre-vote: a member coming back from a partition must not force an election (its term grew while
# it was cut off); without it the healed cluster loses its leader for seconds and lease renewals fail.
# Auto-compaction: every node rewrites its record each second, so history must not grow forever.
etcd_member_start() {  # $1 = host; runs inside the host's namespaces; no-op on a host without a member
  local h=$1 d ip cluster timing; d=$(host_dir "$1"); ip=$(host_ip "$1")
  cluster=$(cat "$STATE/etcd-cluster")
  timing=$(cat "$STATE/etcd-timing" 2>/dev/null || echo 100/1000)
  [[ ",$cluster" == *",$h="* ]] || return 0
  # Raised above the guests and other load, as deploy/vigild.yaml recommends for etcd (vigild raises itself).
  setsid nice -n -10 etcd --name "$h" --data-dir "$d/etcd" \
    --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
    --listen-client-urls "http://$ip:2379,http://127.0.0.1:2379" --advertise-client-urls "http://$ip:2379" \
    --initial-cluster "$cluster" --initial-cluster-token vigil-lab --initial-cluster-state new \
    --heartbeat-interval "${timing%/*}" --election-timeout "${timing#*/}" \
    --pre-vote --auto-compaction-mode=periodic --auto-compaction-retention=1h \
    </dev/null >>"$d/etcd.log" 2>&1 &
  echo $! > /run/etcd.pid
}

# The host's etcd member PID, if it runs (read inside the host's namespaces).
etcd_member_pid() { local p; p=$(cat /run/etcd.pid 2>/dev/null) && pid_alive "$p" && echo "$p"; }

# `lab etcd-kill HOST`: kill -9 of the host's etcd member alone (the host and its other processes run on).
etcd_member_kill() {
  local a; a=$(host_anchor "$1") || die "host $1 is down (lab start $1)"
  nsenter -t "$a" -n -m -u -- bash -c ". '$LAB_LIB/common.sh'; . '$LAB_LIB/etcd-member.sh'; p=\$(etcd_member_pid) && kill -9 \$p" \
    || die "no etcd member runs on $1"
}

# `lab etcd-start HOST`: starts the host's etcd member again (its data kept) and waits until it is healthy.
etcd_member_boot() {
  local a; a=$(host_anchor "$1") || die "host $1 is down (lab start $1)"
  nsenter -t "$a" -n -m -u -- bash -c ". '$LAB_LIB/common.sh'; . '$LAB_LIB/etcd-member.sh'; ! etcd_member_pid >/dev/null && etcd_member_start '$1'" \
    || die "the etcd member of $1 already runs"
  wait_for "etcd member of $1" 30 etcdctl --endpoints "http://$(host_ip "$1"):2379" endpoint health
}
