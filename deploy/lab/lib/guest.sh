# The tiny lab guest: a Debian cloud kernel (direct boot), a busybox initramfs running
# guest-init.sh, a base qcow2 plus a per-VM differencing qcow2, and the domain XML.
IMAGES=$SHARED/images

cloud_kernel_pkg() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}'; }
fetch_deb() { [ -n "$1" ] && ( cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$1" >&2 ); }

kernel_deb() {  # prints the cached kernel .deb, downloading it once (apt-get update only if needed)
  local deb; deb=$(ls "$CACHE"/debs/linux-image-*-cloud-amd64_*.deb 2>/dev/null | head -n1)
  if [ -z "$deb" ]; then
    mkdir -p "$CACHE/debs"
    local pkg; pkg=$(cloud_kernel_pkg)
    say "downloading ${pkg:-the cloud kernel}"
    if ! fetch_deb "$pkg"; then
      apt-get update -q >&2 || true
      pkg=$(cloud_kernel_pkg)
      fetch_deb "$pkg" || die "cannot download the cloud kernel '${pkg:-?}' (apt-cache depends linux-image-cloud-amd64)"
    fi
    deb=$(ls "$CACHE"/debs/linux-image-*-cloud-amd64_*.deb | head -n1)
  fi
  echo "$deb"
}

GUEST_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk virtio_console"

# Identifies the initramfs contents: an image built from an older init or module list is rebuilt.
initrd_stamp() { { cat "$LAB_LIB/guest-init.sh"; echo "$GUEST_MODULES"; } | md5sum | cut -d' ' -f1; }

build_images() {  # kernel, initramfs and base disk on shared storage, once (initramfs again when its inputs change)
  [ -f "$IMAGES/vmlinuz" ] && [ -f "$IMAGES/initrd.img" ] && [ -f "$IMAGES/base.qcow2" ] &&
    [ "$(cat "$IMAGES/initrd.stamp" 2>/dev/null)" = "$(initrd_stamp)" ] && return 0
  local deb tmp; deb=$(kernel_deb); tmp=$(mktemp -d)
  mkdir -p "$IMAGES"
  dpkg-deb -x "$deb" "$tmp/kernel"
  cp "$tmp"/kernel/boot/vmlinuz-* "$IMAGES/vmlinuz"
  mkdir -p "$tmp/root/bin" "$tmp/root/lib/modules"
  cp /bin/busybox "$tmp/root/bin/busybox"
  cp "$LAB_LIB/guest-init.sh" "$tmp/root/init"; chmod +x "$tmp/root/init"
  local m f
  for m in $GUEST_MODULES; do
    f=$(find "$tmp/kernel/lib/modules" -name "$m.ko*" | head -n1)
    case $f in
      "") ;;  # built into this kernel
      *.xz) xz -dc "$f" > "$tmp/root/lib/modules/$m.ko" ;;
      *) cp "$f" "$tmp/root/lib/modules/$m.ko" ;;
    esac
  done
  ( cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1 ) > "$IMAGES/initrd.img.new"
  mv "$IMAGES/initrd.img.new" "$IMAGES/initrd.img"
  initrd_stamp > "$IMAGES/initrd.stamp"
  [ -f "$IMAGES/base.qcow2" ] || qemu-img create -q -f qcow2 "$IMAGES/base.qcow2" 64M
  rm -rf "$tmp"
}

# Prints "kvm" when a KVM guest really boots here (probed once, cached), else "qemu" (TCG).
guest_accel() {
  [ -s "$CACHE/accel" ] && { cat "$CACHE/accel"; return; }
  local accel=qemu
  if [ -w /dev/kvm ] && timeout -k 2 10 qemu-system-x86_64 -accel kvm -m 128 -nodefaults -display none \
       -no-reboot -serial stdio -kernel "$IMAGES/vmlinuz" -initrd "$IMAGES/initrd.img" \
       -append "console=ttyS0 quiet panic=-1 vigil.name=probe" </dev/null 2>/dev/null | grep -q -m1 VIGIL-UP; then
    accel=kvm
  fi
  mkdir -p "$CACHE"; echo "$accel" > "$CACHE/accel"; say "guest accelerator: $accel"
  echo "$accel"
}

guest_xml() {  # $1 name, $2 MiB, $3 disk, $4 accel, $5 hang-after seconds (or empty)
  cat <<XML
<domain type='$4'>
  <name>$1</name>
  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
  <memory unit='MiB'>$2</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$IMAGES/vmlinuz</kernel>
    <initrd>$IMAGES/initrd.img</initrd>
    <cmdline>console=ttyS0 quiet panic=-1 vigil.name=$1${5:+ vigil.hang_after=$5}</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='none'/>
      <source file='$3'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <serial type='unix'>
      <source mode='connect' path='$HB_SOCK'>
        <reconnect enabled='yes' timeout='1'/>
      </source>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
XML
}

guest_build() {  # $1 name, $2 MiB, $3 hang-after seconds (or empty): prints the domain XML path
  local name=$1 mib=$2 hang=${3:-} dir
  [[ $name =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad guest name '$name' (letters, digits, . _ - only)"
  [[ $mib =~ ^[0-9]+$ ]] && [ "$mib" -ge 64 ] || die "bad --memory '$mib' (MiB, at least 64)"
  [ -z "$hang" ] || [[ $hang =~ ^[0-9]+$ ]] || die "bad --hang-after '$hang' (whole seconds)"
  dir=$SHARED/vms/$name
  [ ! -e "$dir" ] || die "guest $name already exists in $dir"
  build_images
  local accel; accel=$(guest_accel)
  mkdir -p "$dir"
  qemu-img create -q -f qcow2 -b "$IMAGES/base.qcow2" -F qcow2 "$dir/disk.qcow2"
  guest_xml "$name" "$mib" "$dir/disk.qcow2" "$accel" "$hang" > "$dir/domain.xml"
  echo "$dir/domain.xml"
}
