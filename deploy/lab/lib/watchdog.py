#!/usr/bin/env python3
"""The lab's emulated host watchdog: a process outside the host that powers it off when not petted.

usage: watchdog.py FIFO TIMEOUT_SECONDS HOST LAB_SCRIPT LOG PIDFILE

Reads FIFO (the host's /run/watchdog, created by `lab watchdog`) as a Linux watchdog driver reads
writes to /dev/watchdog, for what vigild does with it:
  - armed by the first byte a writer writes (vigild pets right after it opens the device, so this is
    Linux's "opening arms it");
  - every byte written is a pet (a keepalive);
  - when every writer has closed the FIFO and the last byte was 'V' (magic close), it is disarmed;
    any other close leaves it armed (a crashed or killed agent), and a writer that opens the FIFO
    again and writes re-arms or keeps petting it;
  - armed and not petted for TIMEOUT_SECONDS: it powers the host off exactly as `lab kill HOST`
    does, logs "fired <unix-time> last-pet <unix-time>" to LOG, and exits.
It keeps a non-blocking read end open at all times (a writer's non-blocking open then succeeds);
after the writers close, it opens a fresh read end before closing the old one (a read end opened
while no writer is there reports no hang-up until a writer came and went). Every event is a line in
LOG: "listening", "armed", "released-armed", "disarmed", "fired", "powered-off", each with the time.
"""
import os
import select
import subprocess
import sys
import time

MAGIC = ord("V")


def log(path, text):
    with open(path, "a") as f:
        f.write(f"{text}\n")
        f.flush()


def open_reader(fifo):
    return os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__.split("\n\n")[1])
    fifo, timeout, host, lab, log_path, pid_path = sys.argv[1:]
    timeout = float(timeout)
    fd = open_reader(fifo)
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    armed = False
    last_pet = 0.0        # monotonic
    last_pet_wall = 0.0   # unix time, for the log
    last_byte = None
    log(log_path, f"listening {time.time():.3f} timeout {timeout:g}")

    while True:
        if armed:
            left = last_pet + timeout - time.monotonic()
            if left <= 0:
                break
            events = poller.poll(max(1, int(left * 1000) + 1))
        else:
            events = poller.poll()
        if not events:
            continue
        writers_gone = False
        while True:
            try:
                data = os.read(fd, 4096)
            except BlockingIOError:
                break
            if not data:
                writers_gone = True
                break
            last_pet, last_pet_wall, last_byte = time.monotonic(), time.time(), data[-1]
            if not armed:
                armed = True
                log(log_path, f"armed {last_pet_wall:.3f}")
        if writers_gone:
            if armed and last_byte == MAGIC:
                armed = False
                log(log_path, f"disarmed {time.time():.3f}")
            elif armed:
                log(log_path, f"released-armed {time.time():.3f} last-pet {last_pet_wall:.3f}")
            fresh = open_reader(fifo)
            poller.unregister(fd)
            os.close(fd)
            fd = fresh
            poller.register(fd, select.POLLIN)
            last_byte = None

    fired = time.time()
    log(log_path, f"fired {fired:.3f} last-pet {last_pet_wall:.3f}")
    # Power off as `lab kill HOST` does; first drop our PID file, or that kill would stop us too.
    try:
        os.unlink(pid_path)
    except FileNotFoundError:
        pass
    result = subprocess.run([lab, "kill", host], stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if result.returncode != 0:
        log(log_path, f"power-off-failed {time.time():.3f} status {result.returncode} {result.stderr.strip()}")
        sys.exit(1)
    log(log_path, f"powered-off {time.time():.3f}")


if __name__ == "__main__":
    main()
