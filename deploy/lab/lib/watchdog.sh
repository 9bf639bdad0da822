# The lab's emulated host watchdogs (lib/watchdog.py): one per host at most, in the root namespace,
# reading a FIFO in the host's /run; it powers the host off (as `lab kill`) when not petted in time.
watchdog_fifo()    { echo "$(host_dir "$1")/run/watchdog"; }
watchdog_pidfile() { echo "$STATE/watchdog-$1.pid"; }
watchdog_log()     { echo "$STATE/watchdog-$1.log"; }

watchdog_pid() {  # $1 = host: the running emulator's PID, if any
  local p; p=$(cat "$(watchdog_pidfile "$1")" 2>/dev/null) && pid_alive "$p" \
    && grep -q watchdog.py "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}

watchdog_listens() { [ "$(grep -c '^listening ' "$(watchdog_log "$1")" 2>/dev/null)" -gt "$2" ]; }

watchdog_start() {  # $1 = host, $2 = timeout seconds; prints the FIFO's path (root namespace)
  local h=$1 t=${2:-} fifo log before
  [[ $t =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v t="$t" 'BEGIN { exit !(t > 0) }' || die "bad watchdog timeout '$t' (seconds > 0)"
  [ -n "$(host_anchor "$h")" ] || die "host $h is down (lab start $h)"
  [ -z "$(watchdog_pid "$h")" ] || die "host $h already has a watchdog (PID $(watchdog_pid "$h"))"
  fifo=$(watchdog_fifo "$h"); log=$(watchdog_log "$h")
  rm -f "$fifo"; mkfifo -m 600 "$fifo"
  before=$(grep -c '^listening ' "$log" 2>/dev/null || true)
  setsid python3 "$LAB_LIB/watchdog.py" "$fifo" "$t" "$h" "$LAB_BIN/lab" "$log" "$(watchdog_pidfile "$h")" \
    </dev/null >>"$STATE/watchdog-$h.err" 2>&1 &
  echo $! > "$(watchdog_pidfile "$h")"
  wait_for "the watchdog of $h to listen" 10 watchdog_listens "$h" "${before:-0}"
  echo "$fifo"
}

watchdog_stop() {  # $1 = host: stops its emulator (it loses power with the host)
  local p; p=$(watchdog_pid "$1" || true)
  [ -z "$p" ] || kill_pids "$p"
  rm -f "$(watchdog_pidfile "$1")"
}
