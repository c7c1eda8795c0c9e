#!/usr/bin/env bash
# Ends the test cluster started by scripts/slurm-start.sh: slurmd and slurmctld by their pid
# files, and munged only if slurm-start.sh started it. Other processes are left alone.
set -euo pipefail

say() { echo "[slurm-stop] $*"; }
[ "$(id -u)" -eq 0 ] || { echo "[slurm-stop] error: must run as root" >&2; exit 1; }

readonly STATE_DIR=/run/acme-ts-slurm
mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/lock"
flock -w 120 9 || { echo "[slurm-stop] error: $STATE_DIR/lock is held" >&2; exit 1; }

# Same test as in slurm-start.sh: the pid must run the resolved program (Debian symlinks).
pid_runs() { # pidfile program
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]
}

stop_pid() { # name pidfile program
  if ! pid_runs "$2" "$3"; then say "$1 not running"; return 0; fi
  local pid; pid=$(cat "$2")
  say "stopping $1 (pid $pid)"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  say "$1 did not end within 10 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_pid slurmd /run/slurmd.pid /usr/sbin/slurmd
stop_pid slurmctld /run/slurmctld.pid /usr/sbin/slurmctld
if [ -f "$STATE_DIR/munged.pid" ]; then
  stop_pid munged "$STATE_DIR/munged.pid" /usr/sbin/munged
  rm -f "$STATE_DIR/munged.pid"
fi
