#!/usr/bin/env bash
# Installs every Debian package Vigil needs to build, test and run its lab. Idempotent and
# non-interactive: packages already present are not touched, and apt is only asked when one is missing.
set -euo pipefail

PACKAGES=(
  # build: libvirt and libxml2 headers, pkg-config, SQLite for the embedded store
  pkg-config libvirt-dev libxml2-dev libsqlite3-dev
  # hypervisor: libvirtd (monolithic in Debian 12), QEMU with TCG, qemu-img
  libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-utils
  # coordination
  etcd-server etcd-client
  # the multi-host lab: namespaces, bridge, guest initramfs
  iproute2 util-linux busybox-static cpio gzip procps psmisc curl python3 e2fsprogs
  # the web console's browser tests: headless Chromium driven through WebDriver
  chromium chromium-driver python3-selenium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || { echo "install-deps: must run as root to install packages" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libvirt's qemu driver parses its default user even when qemu.conf says user = "root".
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

# Debian starts etcd as a service on install where it can; Vigil's tests start their own members.
echo "install-deps: all dependencies present"
