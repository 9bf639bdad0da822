#!/usr/bin/env python3
"""The lab's BMC: power control of the lab hosts from OUTSIDE them, as a real host's BMC.

Started by `lab up` in the root namespace, listening on TCP on the root leg (10.77.0.1:6230), so a
lab host reaches it over the lab network and a partitioned host cannot. One request per connection,
one JSON line each way:
    {"password": "...", "action": "off|on|reboot|status|list|monitor", "plug": "h2"}
    {"ok": true, "power": "on|off"}  /  {"ok": true, "hosts": {"h1": "on", ...}}  /  {"ok": false, "error": "..."}
Power off is the lab's own `lab kill HOST` (SIGKILL of every process of the host's network namespace),
power on is `lab start HOST`; a host is on while its anchor process lives. The password is the one in
the secret file (`lab bmc-secret`). The daemon writes its PID to the PID file and exits by itself
when that file no longer names it (the lab went down without it).
"""
import argparse, hmac, json, os, socket, subprocess, tempfile, threading, time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--listen", required=True, help="ADDRESS:PORT")
parser.add_argument("--secret-file", required=True)
parser.add_argument("--lab", required=True, help="the lab script (deploy/lab/lab)")
parser.add_argument("--lab-dir", required=True, help="$VIGIL_LAB_DIR")
parser.add_argument("--pid-file", required=True)
args = parser.parse_args()

power_lock = threading.Lock()  # one power operation at a time, as the lab script expects


def log(text):
    print(f"{time.time():.3f} {text}", flush=True)


def hosts():
    try:
        with open(os.path.join(args.lab_dir, "state", "hosts")) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def power(host):
    """on while the host's anchor process (holder of its namespaces) lives, as `lab status` says."""
    try:
        with open(os.path.join(args.lab_dir, "hosts", host, "run", "anchor.pid")) as f:
            pid = f.read().strip()
        with open(f"/proc/{pid}/stat") as f:
            return "off" if f.read().rsplit(")", 1)[1].split()[0] == "Z" else "on"
    except (OSError, IndexError):
        return "off"


def lab(command, host):
    """Runs `lab COMMAND HOST`; output through files, never pipes (daemons it starts keep none open)."""
    with tempfile.TemporaryFile() as out:
        done = subprocess.run([args.lab, command, host], stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
    if done.returncode != 0:
        raise RuntimeError(f"lab {command} {host} failed (exit {done.returncode}): {text.splitlines()[-1] if text else ''}")


def set_power(host, wanted):
    if power(host) != wanted:
        lab("kill" if wanted == "off" else "start", host)
    if power(host) != wanted:
        raise RuntimeError(f"{host} is still {power(host)}")


def handle(request):
    secret = open(args.secret_file).read().strip()
    if not hmac.compare_digest(str(request.get("password", "")).encode(), secret.encode()):
        return {"ok": False, "error": "authentication failed"}
    action, plug = request.get("action"), request.get("plug")
    if action == "monitor":
        return {"ok": True}
    if action == "list":
        return {"ok": True, "hosts": {h: power(h) for h in hosts()}}
    if action not in ("status", "on", "off", "reboot"):
        return {"ok": False, "error": f"unknown action {action!r}"}
    if plug not in hosts():
        return {"ok": False, "error": f"no such plug {plug!r} (hosts: {' '.join(hosts())})"}
    if action != "status":
        with power_lock:
            for wanted in (["off", "on"] if action == "reboot" else [action]):
                set_power(plug, wanted)
    return {"ok": True, "power": power(plug)}


def serve(conn, peer):
    with conn:
        conn.settimeout(10)
        data = b""
        try:
            while not data.endswith(b"\n") and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            if not data.strip():
                return  # a probe of the port
            request = json.loads(data)
            try:
                reply = handle(request)
            except Exception as error:  # a failed power operation is the client's answer, not our end
                reply = {"ok": False, "error": str(error)}
            log(f"{peer[0]} {request.get('action')} {request.get('plug')}: {reply}")
            conn.sendall((json.dumps(reply) + "\n").encode())
        except (OSError, ValueError) as error:
            log(f"{peer[0]}: bad request: {error}")


def watch_pid_file():
    while True:
        time.sleep(1)
        try:
            mine = open(args.pid_file).read().strip() == str(os.getpid())
        except OSError:
            mine = False
        if not mine:
            log("the PID file no longer names this BMC: the lab is down, exiting")
            os._exit(0)


with open(args.pid_file, "w") as f:
    f.write(f"{os.getpid()}\n")
address, port = args.listen.rsplit(":", 1)
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((address, int(port)))
server.listen(16)
log(f"listening on {args.listen}")
threading.Thread(target=watch_pid_file, daemon=True).start()
while True:
    c, peer = server.accept()
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
