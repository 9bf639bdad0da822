#!/bin/busybox sh
# /init of the lab guest (busybox). Loads virtio, bumps a boot counter in sector 0 of /dev/vda
# with a real flush (conv=fsync) before reporting it, then prints "VIGIL-HB <name> <boot> <seq>"
# every 100 ms on the serial port, which the lab's collector records.
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
name=$(sed -n 's/.*vigil\.name=\([^ ]*\).*/\1/p' /proc/cmdline)
echo "VIGIL-UP $name" > /dev/ttyS0
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
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
seq=0
while :; do
  echo "VIGIL-HB $name $boot $seq"
  seq=$((seq + 1))
  usleep 100000
done > /dev/ttyS0
