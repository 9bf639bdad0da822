#!/usr/bin/python3
"""`make demo`: all of Vigil on real QEMU guests in the lab, narrated and measured.

Three lab hosts (deploy/lab: own libvirtd, virtlogd, virtlockd and etcd member each, a lab BMC as
their fence device, an emulated watchdog each) run vigild. The demo then shows, with `vigil`
commands as an operator types them and times measured from outside the agents:

  the HA wizard refusing a bad VM and making six guests highly available; a drain of h1 with live
  progress and its failback; a power-off of h2 (detect, fence, start, first heartbeat per guest);
  h2 coming back; a guest crash restarted in place; an exclusive-storage group moved by quick
  migration with its memory kept; `vigil verify`; `vigil events` of the whole run; a summary table.

An observer independent of the agents polls every host's libvirtd the whole time and counts any
moment a guest ran on two hosts. `--keep` leaves the lab and the agents up to explore.
"""
import argparse
import datetime
import fcntl
import json
import os
import shlex
import subprocess
import sys
import threading
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(REPO, "deploy/lab/lab")
BIN = os.path.join(REPO, ".build/debug")
LAB_DIR = os.environ.get("VIGIL_LAB_DIR", "/var/lib/vigil-lab")
AGENTS = os.path.join(LAB_DIR, "agents")
SHARED = os.path.join(LAB_DIR, "shared")
HOSTS = ["h1", "h2", "h3"]
GUESTS = ["web", "db", "cache", "mail", "git", "ci"]
EXCLUSIVE = "files"          # the guest whose group has exclusive storage (a LUN mounted on its owner only)
BMC = ("10.77.0.1", 6230)    # the lab BMC (deploy/lab/lib/common.sh: BMC_ADDR, BMC_PORT)
T0 = time.time()
SUMMARY = []                 # (step, result) rows of the closing table
HOLDING_LAB = False          # this run holds the lab's lock: only then does it take the lab down


class DemoFailed(Exception):
    """A step of the demo did not do what it says: the demo stops and says which."""


def say(text):
    print(f"\n\033[1m== [{time.time() - T0:5.0f} s] {text}\033[0m", flush=True)


def note(text):
    print(f"   {text}", flush=True)


def run(args, check=True, timeout=120):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise DemoFailed(f"{' '.join(map(shlex.quote, args))} exited {p.returncode}: {(p.stderr or p.stdout).strip()}")
    return p


def lab(*args, check=True):
    return run([LAB, *args], check=check).stdout.strip()


def run_dir(host):
    uri = lab("uri", host)
    return os.path.dirname(os.path.dirname(uri.split("socket=", 1)[1]))


def vigil(host, *args, show=True, check=True, timeout=300):
    """Runs `vigil ARGS` against HOST's agent; with `show`, prints the command and what it printed."""
    argv = [os.path.join(BIN, "vigil"), *args, "--socket", os.path.join(run_dir(host), "vigil/vigild.sock")]
    if show:
        print(f"\n   \033[2m{host}#\033[0m vigil {' '.join(map(shlex.quote, args))}", flush=True)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = []
        for line in p.stdout:
            out.append(line)
            print(f"     {line}", end="", flush=True)
        rc = p.wait(timeout=timeout)
        text = "".join(out)
    else:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        rc, text = p.returncode, p.stdout + p.stderr
    if check and rc != 0:
        raise DemoFailed(f"vigil {' '.join(args)} exited {rc}: {text.strip()[-400:]}")
    return rc, text


def status(host="h1"):
    rc, text = vigil(host, "status", "--output", "json", show=False, check=False, timeout=20)
    return json.loads(text) if rc == 0 else None


def group(s, name):
    return next((g for g in (s or {}).get("groups", []) if g["name"] == name), None)


def wait_until(what, timeout, predicate, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (json.JSONDecodeError, subprocess.TimeoutExpired, KeyError, TypeError):
            pass
        time.sleep(interval)
    raise DemoFailed(f"timed out after {timeout} s waiting until {what}")


def heartbeat(vm):
    """The guest's last serial heartbeat: (unix time, boot count) or None."""
    p = run([LAB, "heartbeat", vm], check=False)
    f = p.stdout.split()
    return (float(f[0]), int(f[1])) if p.returncode == 0 and len(f) >= 2 else None


def beating_since(vm, t):
    hb = heartbeat(vm)
    return hb if hb and hb[0] > t else None


def gap(vm, since, until):
    p = run([LAB, "gap", vm, f"{since:.3f}", f"{until:.3f}"], check=False)
    return float(p.stdout.split()[0]) if p.returncode == 0 else None


class Observer(threading.Thread):
    """Polls every host's libvirtd (`virsh list --state-running`, one virsh shell kept open per host)
    and records where each HA guest runs; a guest seen running on two hosts in one round, and again
    when both are asked once more, is a double run. Independent of the agents: it asks libvirt only."""

    def __init__(self, uris):
        super().__init__(daemon=True)
        self.uris = uris
        self.shells = {}
        self.lock = threading.Lock()
        self.where = {}          # guest -> set of hosts, last round
        self.rounds = 0
        self.doubles = []
        self.stopped = False
        self.began = time.time()

    def running_on(self, host):
        shell = self.shells.get(host)
        if shell is None or shell.poll() is not None:
            shell = subprocess.Popen(["virsh", "-q", "-c", self.uris[host]], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
            self.shells[host] = shell
        try:
            # virsh echoes each command after its prompt ("virsh # CMD"); the marker's line is
            # followed by a prompt without a newline, hence the bare `echo` after it.
            shell.stdin.write("list --state-running --name\necho ENDOFLIST\necho\n")
            shell.stdin.flush()
            names = set()
            for line in shell.stdout:
                if line.startswith("ENDOFLIST"):
                    return names
                if not line.startswith("virsh #"):
                    names.update(line.split())
        except (BrokenPipeError, OSError):
            pass
        self.shells.pop(host, None)  # a host powered off: its libvirtd is gone, and so is the shell
        return set()

    def run(self):
        while not self.stopped:
            seen = {h: self.running_on(h) for h in self.uris}
            where = {}
            for h, names in seen.items():
                for n in names:
                    where.setdefault(n, set()).add(h)
            for n, hs in where.items():
                if len(hs) > 1:  # ask those hosts again: a live migration's switch-over can straddle a round
                    again = {h for h in hs if n in self.running_on(h)}
                    if len(again) > 1:
                        with self.lock:
                            self.doubles.append(f"{n} on {'+'.join(sorted(again))} at {time.time() - T0:.1f} s")
            with self.lock:
                self.where = where
                self.rounds += 1
            time.sleep(0.05)
        for shell in self.shells.values():
            shell.kill()

    def hosts_of(self, vm):
        with self.lock:
            return set(self.where.get(vm, set()))


def agent_config(host, address, secret, bmc_password):
    """The host's vigild.yaml: the lab's etcd, its BMC as the fence device, its watchdog, peers."""
    fence = (f"{{agent: {os.path.join(REPO, 'deploy/lab/fence_lab')}, options: {{ip: {BMC[0]}, "
             f"ipport: \"{BMC[1]}\", password: {bmc_password}}}, timeout_seconds: 5}}")
    probe = (f"a=$({LAB} heartbeat \"$0\" 2>/dev/null | cut -d' ' -f4); [ -n \"$a\" ] && [ \"${{a%.*}}\" -lt 10 ]")
    endpoints = lab("endpoints").replace(",", ", ")
    return f"""node: {host}
cluster: demo
libvirt_uri: qemu:///system
migration_uri: qemu+tcp://{address}/system
shared_storage: {SHARED}
store: {{etcd_endpoints: [{endpoints}], call_timeout_seconds: 1}}
membership: {{self_fence_margin_seconds: 1.5, fencing_margin_seconds: 1}}
health:
  reconcile_interval_seconds: 3
  guest_agent_timeout_seconds: 2
  probe_command: ["/bin/sh", "-c", {json.dumps(probe)}]
  probe_interval_seconds: 2
  probe_failures: 4
  probe_start_grace_seconds: 40
  shutdown_deadline_seconds: 5
migration: {{allow_unsafe: true}}
capacity: {{reserved_memory_mib: 256}}
watchdog: {{device: /run/watchdog, timeout_seconds: 10}}  # the lab's emulated one, never this machine's
fencing:
  nodes:
""" + "".join(f"    {h}:\n      - - {fence}\n" for h in HOSTS) + f"""peers:
  listen: "{address}:7947"
  address: "{address}:7947"
  secret_file: {secret}
"""


def start_agent(host, addresses, secret, bmc_password):
    path = os.path.join(AGENTS, f"{host}.yaml")
    with open(path, "w") as f:
        f.write(agent_config(host, addresses[host], secret, bmc_password))
    if not os.path.exists(os.path.join(run_dir(host), "watchdog")):
        lab("watchdog", host, "10")
    log = os.path.join(AGENTS, f"{host}.log")
    pid = lab("exec", host, "/bin/sh", "-c",
              f"setsid {BIN}/vigild --config {path} </dev/null >>{log} 2>&1 & echo $!")
    return int(pid)


def bad_vm_xml(good_xml):
    """A copy of a lab guest whose disks cannot be highly available: one image off shared storage
    and one raw host disk by its unstable /dev/sdX name."""
    tree = ET.parse(good_xml)
    root = tree.getroot()
    root.find("name").text = "legacy"
    uuid = root.find("uuid")
    if uuid is None:
        uuid = ET.SubElement(root, "uuid")
    uuid.text = str(uuid_module.uuid4())
    devices = root.find("devices")
    for disk in devices.findall("disk"):
        devices.remove(disk)
    local = ET.SubElement(devices, "disk", type="file", device="disk")
    ET.SubElement(local, "driver", name="qemu", type="qcow2")
    ET.SubElement(local, "source", file="/var/lib/libvirt/images/legacy.qcow2")
    ET.SubElement(local, "target", dev="vda", bus="virtio")
    raw = ET.SubElement(devices, "disk", type="block", device="disk")
    ET.SubElement(raw, "driver", name="qemu", type="raw")
    ET.SubElement(raw, "source", dev="/dev/sdb")
    ET.SubElement(raw, "target", dev="vdb", bus="virtio")
    path = os.path.join(SHARED, "vms", "legacy.xml")
    tree.write(path)
    return path


def owner(s, name):
    g = group(s, name)
    return g["nodes"][0] if g and g["status"] == "online" and len(g["nodes"]) == 1 else None


def iso(t):
    return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave the lab and its agents up at the end")
    keep = parser.parse_args().keep
    if os.geteuid() != 0:
        sys.exit("make demo needs root (network namespaces, libvirtd per lab host)")
    for tool in ("vigil", "vigild"):
        if not os.access(os.path.join(BIN, tool), os.X_OK):
            sys.exit(f"no {BIN}/{tool}: run `make demo` (it builds first)")

    lock = open("/run/lock/vigil-lab.lock", "a")  # the lab's lock (LabLock.path): a test run holds it too
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        note("another run (make test?) holds the lab; waiting for it")
        fcntl.flock(lock, fcntl.LOCK_EX)
    global HOLDING_LAB
    HOLDING_LAB = True
    run([LAB, "down"], check=False)
    say("bringing up 3 lab hosts: libvirtd + virtlogd + virtlockd + an etcd member each, a BMC, shared storage")
    # etcd with the raft timing deploy/vigild.yaml recommends (heartbeat 50 ms, election 500 ms): with
    # etcd's defaults, the election after the power loss of the host that leads etcd can outlast a
    # survivor's lease budget on a loaded machine, and that survivor then powers its guests off.
    timing = os.environ.get("VIGIL_LAB_ETCD_TIMING", "50/500")
    note(f"etcd raft heartbeat/election timeout: {timing} ms (deploy/vigild.yaml's recommendation)")
    subprocess.run([LAB, "up", "3"], check=True, env={**os.environ, "VIGIL_LAB_ETCD_TIMING": timing})
    os.makedirs(AGENTS, exist_ok=True)
    addresses, uris = {}, {}
    for line in lab("hosts").splitlines():
        name, address, uri = line.split()[:3]
        addresses[name], uris[name] = address, uri
    secret = os.path.join(AGENTS, "cluster.secret")
    with open(os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write(os.urandom(16).hex())
    bmc_password = lab("bmc-secret")
    agents = {h: start_agent(h, addresses, secret, bmc_password) for h in HOSTS}
    note(f"vigild on {', '.join(f'{h} (PID {p})' for h, p in agents.items())}; logs and configs in {AGENTS}")
    note("each host: the lab BMC as its fence device (fence_lab, the fence-agents protocol), an emulated watchdog")
    wait_until("every agent answers and the cluster has a leader", 90,
               lambda: (s := status()) and s.get("leader") and len([n for n in s["nodes"] if n["state"] == "up"]) == 3)
    observer = Observer(uris)
    observer.start()
    vigil("h1", "status")

    say("the HA wizard refuses a VM that cannot be highly available")
    xmls = {vm: lab("guest", vm) for vm in GUESTS}
    bad = bad_vm_xml(xmls[GUESTS[0]])
    rc, _ = vigil("h1", "vm", "add", "--xml", bad, check=False)
    if rc == 0:
        raise DemoFailed("the wizard accepted a VM with a disk off shared storage and a /dev/sdX path")
    note(f"refused (exit {rc}): nothing stored")
    SUMMARY.append(("HA wizard, bad VM", f"refused with its report (exit {rc})"))

    say(f"making {len(GUESTS)} guests highly available (the wizard checks each on every host)")
    start = time.time()
    for vm in GUESTS:
        vigil("h1", "vm", "add", "--xml", xmls[vm])
    wait_until("every guest online and beating", 180,
               lambda: all(owner(status(), vm) for vm in GUESTS) and all(beating_since(vm, start) for vm in GUESTS), 0.5)
    took = time.time() - start
    SUMMARY.append((f"{len(GUESTS)} guests made HA", f"all running and beating {took:.1f} s after the first add"))
    vigil("h1", "status")
    vigil("h1", "capacity", "--failures", "1")

    s = status()
    on_h1 = [g["name"] for g in s["groups"] if g["nodes"] == ["h1"]]
    say(f"draining h1 for maintenance ({len(on_h1)} groups on it): live migration, progress as it goes")
    boots = {vm: heartbeat(vm)[1] for vm in GUESTS}
    start = time.time()
    vigil("h1", "node", "drain", "h1")
    took = time.time() - start
    s = status()
    left = [g["name"] for g in s["groups"] if "h1" in g["nodes"]]
    if left:
        raise DemoFailed(f"groups still on h1 after the drain: {left}")
    gaps = {vm: gap(vm, start, time.time()) for vm in on_h1}
    rebooted = [vm for vm in on_h1 if heartbeat(vm)[1] != boots[vm]]
    if rebooted:
        raise DemoFailed(f"the drain rebooted {rebooted}")
    worst = max((g for g in gaps.values() if g is not None), default=0)
    note(f"h1 empty after {took:.1f} s; heartbeat gap per guest: "
         + ", ".join(f"{vm} {g:.2f} s" for vm, g in gaps.items() if g is not None) + "; no guest rebooted")
    SUMMARY.append((f"drain h1 ({len(on_h1)} guests, live)", f"{took:.1f} s, largest heartbeat gap {worst:.2f} s, no reboot"))
    vigil("h1", "status")

    say("h1 back in service: resume with failback brings its groups home, live")
    start = time.time()
    vigil("h1", "node", "resume", "h1", "--failback")
    wait_until("h1's groups back on h1", 120, lambda: all(owner(status(), vm) == "h1" for vm in on_h1), 0.3)
    took = time.time() - start
    rebooted = [vm for vm in on_h1 if heartbeat(vm)[1] != boots[vm]]
    note(f"{', '.join(on_h1) or 'nothing'} home on h1 after {took:.1f} s; rebooted: {rebooted or 'none'}")
    SUMMARY.append(("resume h1 --failback", f"{len(on_h1)} groups home in {took:.1f} s, no reboot" if not rebooted
                    else f"{took:.1f} s, rebooted {rebooted}"))

    s = status()
    victims = [g["name"] for g in s["groups"] if g["nodes"] == ["h2"]]
    say(f"power loss of h2 ({len(victims)} guests on it): every process in it SIGKILLed at once")
    boots = {vm: heartbeat(vm)[1] for vm in victims}
    loss = time.time()
    lab("kill", "h2")
    running, beating = {}, {}
    deadline = loss + 120
    while time.time() < deadline and len(beating) < len(victims):
        now = time.time() - loss
        for vm in victims:
            hs = observer.hosts_of(vm)
            if vm not in running and hs and "h2" not in hs:
                running[vm] = now
            hb = heartbeat(vm)
            if vm not in beating and hb and hb[0] > loss and hb[1] != boots[vm]:
                beating[vm] = now
        time.sleep(0.05)
    if len(beating) < len(victims):
        raise DemoFailed(f"after 120 s only {sorted(beating)} of {victims} beat again")
    rc, text = vigil("h1", "events", "--node", "h2", "--since", f"{int(time.time() - loss) + 5}s", "--output", "json", show=False)
    events = json.loads(text)
    fence = next((e for e in events if e["kind"] == "fence" and iso(e["time"]) >= loss), None)
    fenced = next((e for e in events if e["trigger"].startswith("node-fenced") and iso(e["time"]) >= loss), None)
    detect = iso(fence["time"]) - loss if fence else None
    proven = iso(fenced["time"]) - loss if fenced else None
    print(f"\n   {'guest':8} {'detect':>8} {'fenced':>8} {'running':>8} {'heartbeat':>10}   (seconds after the power loss)")
    for vm in victims:
        print(f"   {vm:8} {detect or float('nan'):8.2f} {proven or float('nan'):8.2f} {running.get(vm, float('nan')):8.2f} {beating[vm]:10.2f}")
    note("detect: the leader decided to fence h2; fenced: the BMC confirmed the power-off; running: another "
         "host's libvirtd runs the guest; heartbeat: the guest's first serial beat from its new boot (its kernel's "
         "boot under TCG takes most of that: see the crash below)")
    SUMMARY.append((f"power loss of h2 ({len(victims)} guests)",
                    f"fenced at {proven or float('nan'):.1f} s, all running at {max(running.values()):.1f} s, "
                    f"all beating at {max(beating.values()):.1f} s"))
    vigil("h1", "status")

    say("h2 powered on again (lab start h2) with its agent: it rejoins, empty, and takes groups again")
    start = time.time()
    lab("start", "h2")
    agents["h2"] = start_agent("h2", addresses, secret, bmc_password)
    wait_until("h2 online in the cluster", 120,
               lambda: any(n["name"] == "h2" and n["state"] == "up" for n in status()["nodes"]), 0.5)
    took = time.time() - start
    SUMMARY.append(("h2 back", f"online in the cluster {took:.1f} s after power-on"))
    vigil("h1", "node", "list")

    vm = GUESTS[1]
    home = owner(status(), vm)
    say(f"guest crash: QEMU of {vm} on {home} killed (kill -9); Vigil restarts it in place")
    boot = heartbeat(vm)[1]
    pid = run(["pgrep", "-f", f"guest={vm},"]).stdout.split()[0]
    crash = time.time()
    os.kill(int(pid), 9)
    wait_until(f"libvirt sees {vm} stopped", 10, lambda: not observer.hosts_of(vm), 0.02)
    wait_until(f"{vm} running again", 60, lambda: observer.hosts_of(vm), 0.02)
    again = time.time() - crash
    wait_until(f"{vm} beats from a new boot", 90,
               lambda: (hb := heartbeat(vm)) and hb[0] > crash and hb[1] != boot, 0.1)
    took = time.time() - crash
    where = observer.hosts_of(vm)
    note(f"{vm} running again on {', '.join(sorted(where))} {again:.1f} s after the crash, its first heartbeat "
         f"from the new boot at {took:.1f} s (boot {boot} -> {heartbeat(vm)[1]})")
    SUMMARY.append((f"guest crash ({vm})", f"restarted in place on {home}: running at {again:.1f} s, beating at {took:.1f} s"
                    if where == {home} else f"running on {sorted(where)} after {took:.1f} s"))

    say(f"exclusive storage: {EXCLUSIVE} needs a LUN mounted on its owner only, so it moves by quick migration")
    lun = os.path.join(SHARED, "lun1.img")
    run(["truncate", "-s", "32M", lun])
    run(["mkfs.ext4", "-q", "-F", lun])
    mount = os.path.join(LAB_DIR, "mnt/lun1")
    xml = lab("guest", EXCLUSIVE)
    vigil("h1", "vm", "add", "--xml", xml, "--exclusive", f"lun1={lun}:{mount}")
    wait_until(f"{EXCLUSIVE} online and beating", 120, lambda: owner(status(), EXCLUSIVE) and heartbeat(EXCLUSIVE), 0.5)
    vigil("h1", "group", "show", EXCLUSIVE)
    src = owner(status(), EXCLUSIVE)
    boot = heartbeat(EXCLUSIVE)[1]
    start = time.time()
    vigil("h1", "group", "move", EXCLUSIVE)
    took = time.time() - start
    dst = owner(status(), EXCLUSIVE)
    wait_until(f"{EXCLUSIVE} beats again", 30, lambda: beating_since(EXCLUSIVE, start + took - 0.5), 0.1)
    kept = heartbeat(EXCLUSIVE)[1] == boot
    pause = gap(EXCLUSIVE, start, time.time())
    note(f"{src} -> {dst} in {took:.1f} s, guest paused {pause or 0:.1f} s, boot {'kept' if kept else 'NOT kept'}")
    if not kept:
        raise DemoFailed(f"{EXCLUSIVE} rebooted in its quick migration")
    SUMMARY.append(("quick migration (exclusive LUN)", f"{src} -> {dst} in {took:.1f} s, state kept (paused {pause or 0:.1f} s)"))

    vm = GUESTS[2]
    say(f"vigil verify {vm}: the group visits every possible owner and comes back")
    start = time.time()
    rc, _ = vigil("h1", "verify", vm, check=False)
    took = time.time() - start
    SUMMARY.append((f"verify {vm}", f"{'every owner worked' if rc == 0 else f'exit {rc}'}, {took:.1f} s"))
    if rc != 0:
        raise DemoFailed(f"vigil verify {vm} exited {rc}")

    say("vigil events: every decision of this run and why")
    vigil("h1", "events", "--limit", "400")

    observer.stopped = True
    observer.join(5)
    doubles = observer.doubles
    SUMMARY.append(("observer (polls every libvirtd)",
                    f"{observer.rounds} rounds ({observer.rounds / (time.time() - observer.began):.0f}/s), {'no guest ever ran twice' if not doubles else f'DOUBLE RUNS: {doubles}'}"))
    say("summary")
    width = max(len(r[0]) for r in SUMMARY)
    for step, result in SUMMARY:
        print(f"   {step:<{width}}  {result}")
    commit = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    print(f"\n   {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}")
    print(f"   demo took {time.time() - T0:.0f} s on {os.cpu_count()} cores ({'KVM' if ET.parse(xmls[GUESTS[0]]).getroot().get('type') == 'kvm' else 'TCG'})")
    if doubles:
        raise DemoFailed(f"a guest ran on two hosts: {doubles}")
    if keep:
        say("the lab stays up (--keep)")
        note(f"vigil: {BIN}/vigil status --socket {run_dir('h1')}/vigil/vigild.sock")
        note(f"a host's shell: {LAB} exec h1 bash; agents' logs: {AGENTS}; take it down: {LAB} down")
        note(f"agent PIDs: {agents}")


if __name__ == "__main__":
    keep = "--keep" in sys.argv
    try:
        main()
    except DemoFailed as e:
        print(f"\n\033[1;31mdemo failed: {e}\033[0m (agents' logs in {AGENTS})", file=sys.stderr)
        keep = False
        sys.exit(1)
    except KeyboardInterrupt:
        keep = False
        sys.exit(130)
    finally:
        if HOLDING_LAB and not keep:
            say("taking the lab down")
            subprocess.run([LAB, "down"], capture_output=True)
