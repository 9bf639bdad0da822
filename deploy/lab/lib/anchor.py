#!/usr/bin/env python3
"""A lab host's init: holds the host's namespaces (for `lab exec`) and, as a child subreaper, reaps
every process of the host as soon as it exits, as systemd does on a real host. Without it, a daemonized
QEMU that exits is reparented to this machine's PID 1, which reaps slowly: libvirt then waits for the
zombie and reports the domain stopped about 2 s late.

usage: anchor.py PIDFILE COMMAND [ARG...]   (COMMAND starts the host's daemons, then exits)
"""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36

if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"anchor: prctl(PR_SET_CHILD_SUBREAPER) failed: errno {ctypes.get_errno()}")
with open(sys.argv[1], "w") as f:
    f.write(f"{os.getpid()}\n")
if os.fork() == 0:
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.execvp(sys.argv[2], sys.argv[2:])
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
while True:
    try:
        os.wait()
    except ChildProcessError:  # nothing to reap now: wait for the next orphan
        signal.sigtimedwait([signal.SIGCHLD], 60)
