#!/bin/busybox sh
# /init of the lab guest (busybox). Loads virtio, bumps a boot counter in sector 0 of /dev/vda
# with a real flush (conv=fsync) before reporting it, then prints "VIGIL-HB <name> <boot> <seq>"
# every 100 ms on the serial port, which the lab's collector records. A tiny guest agent answers
# on the org.qemu.guest_agent.0 channel. With vigil.hang_after=N on the kernel command line, the
# first boot "hangs" after N seconds: heartbeats and agent stop while QEMU runs on.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
arg() { sed -n "s/.*vigil\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
name=$(arg name)
echo "VIGIL-UP $name" > /dev/ttyS0
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk virtio_console; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do usleep 100000; i=$((i + 1)); done
boot=0
if [ -b /dev/vda ]; then
  old=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | tr -dc 0-9 | head -c 12)
  boot=$((${old:-0} + 1))
  if printf '%-511s\n' "$boot" | dd of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null; then
    echo "VIGIL-BOOT $name $boot" > /dev/ttyS0
  else
    echo "VIGIL-DISK-ERROR $name" > /dev/ttyS0
  fi
fi

# The guest agent's port: the virtio-serial port named org.qemu.guest_agent.0, if the domain has one.
agent_port() {
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && { echo "/dev/${p##*/}"; return; }
  done
}

# Just enough of the QEMU guest agent protocol for libvirt: guest-sync (which precedes every
# command), guest-ping and guest-get-time. The port may be opened only once, hence fd 3 both ways.
# Reads give end-of-file while the host side is not connected (libvirt connects only once it sees
# the guest open the port): the port then stays open and reading resumes shortly.
agent() {
  exec 3<>"$1"
  while :; do
    while read -r line <&3; do
      case $line in
        *guest-sync*) echo "{\"return\": $(echo "$line" | sed -n 's/.*"id": *\([0-9]*\).*/\1/p')}" >&3 ;;
        *guest-get-time*) echo "{\"return\": $(date +%s)000000000}" >&3 ;;
        *guest-ping*) echo '{"return": {}}' >&3 ;;
        *) echo '{"error": {"class": "CommandNotFound", "desc": "the lab guest agent knows guest-sync, guest-ping and guest-get-time"}}' >&3 ;;
      esac
    done
    usleep 200000
  done
}

# A virtio console device (virtio device id 3) carries the channels; its ports appear shortly after.
i=0
if grep -qx 0x0003 /sys/bus/virtio/devices/*/device 2>/dev/null; then
  while [ -z "$(agent_port)" ] && [ $i -lt 30 ]; do usleep 100000; i=$((i + 1)); done
fi
port=$(agent_port)
agent_pid=""
if [ -n "$port" ]; then agent "$port" & agent_pid=$!; fi
echo "VIGIL-AGENT $name ${port:-none}" > /dev/ttyS0

seq=0
while :; do
  echo "VIGIL-HB $name $boot $seq"
  seq=$((seq + 1))
  usleep 100000
done > /dev/ttyS0 &
beats_pid=$!

hang=$(arg hang_after)
if [ -n "$hang" ] && [ "$boot" = 1 ]; then
  sleep "$hang"
  kill -STOP $beats_pid $agent_pid
  echo "VIGIL-HANG $name $boot" > /dev/ttyS0
fi
while :; do sleep 3600; done
