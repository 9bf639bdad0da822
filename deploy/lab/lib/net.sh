# The lab network: a switch namespace with bridge br0, one veth per host, and a root-namespace
# leg ($ROOT_LEG, $LAB_NET.1) so tests and tools in the root namespace reach every host's etcd
# and libvirt TCP port. Partitioning a host downs its switch port: it loses the other hosts, their
# etcd members and the root leg, while its processes keep running.

net_switch_up() {
  ip netns add "$SW_NS"
  ip -n "$SW_NS" link set lo up
  ip -n "$SW_NS" link add br0 type bridge
  ip -n "$SW_NS" link set br0 up
  ip link add "$ROOT_LEG" type veth peer name root netns "$SW_NS"
  ip -n "$SW_NS" link set root master br0 up
  ip addr add "$LAB_NET.1/24" dev "$ROOT_LEG"
  ip link set "$ROOT_LEG" up
}

net_host_up() {  # $1 = host: its namespace, eth0 with its address, plugged into br0
  local ns; ns=$(host_ns "$1")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$SW_NS" link add "$1" type veth peer name eth0 netns "$ns"
  ip -n "$ns" addr add "$(host_ip "$1")/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$SW_NS" link set "$1" master br0 up
}

net_partition() { ip -n "$SW_NS" link set "$1" down; }
net_heal()      { ip -n "$SW_NS" link set "$1" up; }
net_is_partitioned() { ip -n "$SW_NS" -o link show "$1" 2>/dev/null | grep -qv '[<,]UP[,>]'; }

net_down() {  # removes every lab namespace and the root leg; silent when absent
  ip link del "$ROOT_LEG" 2>/dev/null || true
  local ns
  for ns in $(ip netns list | awk '{print $1}' | grep '^vlab-'); do ip netns del "$ns"; done
}
