#!/usr/bin/env python3
"""Heartbeat collector: guests' serial ports connect to a unix socket on shared storage.

Each guest line "VIGIL-HB <name> <boot> <seq>" is appended as "<unix-time> <boot> <seq>" to
<dir>/<name>.hb; every other line (boot messages, "VIGIL-BOOT ...") goes to <dir>/console.log.
A migrating guest shows up as two connections (source and target QEMU) with continuous seq.
"""
import os, socket, sys, threading, time

sock_path, out_dir = sys.argv[1], sys.argv[2]
lock = threading.Lock()

def append(path, line):
    with lock, open(path, "a") as f:
        f.write(line)

def serve(conn):
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        now = time.time()
        buf += data
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            text = raw.decode(errors="replace").strip("\r\x00 ")
            parts = text.split()
            if len(parts) == 4 and parts[0] == "VIGIL-HB" and "/" not in parts[1]:
                append(os.path.join(out_dir, parts[1] + ".hb"), f"{now:.3f} {parts[2]} {parts[3]}\n")
            elif text:
                append(os.path.join(out_dir, "console.log"), f"{now:.3f} {text}\n")

if os.path.exists(sock_path):
    os.unlink(sock_path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(sock_path)
server.listen(64)
while True:
    c, _ = server.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
