#!/usr/bin/env bash
# Starts a single-node SLURM cluster on this machine for acme-ts's tests (Debian 12, root):
# munge key and munged, /etc/slurm/slurm.conf from scripts/slurm.conf.template, slurmctld and
# slurmd. Idempotent: running daemons are kept unless the configuration changed. Returns once
# the node accepts jobs, or fails with the daemons' log tails.
#   ACME_TS_SLURM_CPUS   CPUs the node advertises (default 16; see the template for why)
#   ACME_TS_SLURM_WAIT   seconds to wait for the node (default 60)
# scripts/slurm-stop.sh ends what this started.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[slurm-start] $*"; }
fail() { echo "[slurm-start] error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (it writes /etc/slurm and starts system daemons)"
for cmd in slurmctld slurmd sinfo scontrol munged munge unmunge; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] ||
    fail "$cmd not found: install the Debian packages slurm-wlm and munge (scripts/setup.sh does)"
done

readonly STATE_DIR=/run/acme-ts-slurm   # what we started, and a lock against parallel starts
readonly CONF=/etc/slurm/slurm.conf
readonly TEMPLATE=scripts/slurm.conf.template
readonly CTLD_PID=/run/slurmctld.pid SLURMD_PID=/run/slurmd.pid   # as in the template
readonly CTLD_LOG=/var/log/slurm/slurmctld.log SLURMD_LOG=/var/log/slurm/slurmd.log
readonly CPUS="${ACME_TS_SLURM_CPUS:-16}"
readonly WAIT_SECONDS="${ACME_TS_SLURM_WAIT:-60}"

mkdir -p "$STATE_DIR"
exec 9>"$STATE_DIR/lock"
flock -w 120 9 || fail "another slurm-start.sh or slurm-stop.sh holds $STATE_DIR/lock"

# True when the pid file names a live process running the given program. Debian's
# /usr/sbin/slurmctld is a symlink to slurmctld-wlm, so compare resolved paths: a name match
# that fails here would start a second daemon, which silently kills the first.
pid_runs() { # pidfile program
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]
}

stop_pid() { # pidfile program
  pid_runs "$1" "$2" || return 0
  local pid; pid=$(cat "$1")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

log_tails() {
  for f in "$CTLD_LOG" "$SLURMD_LOG"; do
    [ -f "$f" ] && { echo "--- last lines of $f"; tail -n 20 "$f"; }
  done >&2
}

# --- munge ------------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
  say "creating /etc/munge/munge.key"
  if command -v mungekey >/dev/null 2>&1 || [ -x /usr/sbin/mungekey ]; then
    /usr/sbin/mungekey --create --keyfile=/etc/munge/munge.key --force
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

munge_works() { munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; }
if ! munge_works; then
  say "starting munged"
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
  runuser -u munge -- /usr/sbin/munged </dev/null >/dev/null 2>&1 9>&- ||
    fail "munged did not start (see /var/log/munge/munged.log)"
  for _ in $(seq 50); do munge_works && break; sleep 0.1; done
  munge_works || fail "munged started but munge/unmunge do not work (see /var/log/munge/munged.log)"
  cp /run/munge/munged.pid "$STATE_DIR/munged.pid"
fi

# --- slurm.conf -------------------------------------------------------------------------------
host=$(hostname -s)
facts=$(slurmd -C | head -n 1)   # NodeName=vm CPUs=2 ... RealMemory=24105
node=$(sed -n 's/.*NodeName=\([^ ]*\).*/\1/p' <<<"$facts")
real_mb=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$facts")
[ -n "$node" ] && [ -n "$real_mb" ] || fail "cannot read NodeName/RealMemory from 'slurmd -C': $facts"
memory_mb=$(( real_mb * 95 / 100 ))   # leave the OS some room
[[ "$CPUS" =~ ^[1-9][0-9]*$ ]] || fail "ACME_TS_SLURM_CPUS must be a positive integer, got \"$CPUS\""

rendered=$(mktemp)
trap 'rm -f "$rendered"' EXIT
sed -e "s/@HOST@/$host/g" -e "s/@NODE@/$node/g" -e "s/@CPUS@/$CPUS/g" \
    -e "s/@MEMORY_MB@/$memory_mb/g" "$TEMPLATE" >"$rendered"
conf_changed=0
if ! cmp -s "$rendered" "$CONF"; then
  say "writing $CONF ($node: $CPUS CPUs, ${memory_mb} MB)"
  install -d /etc/slurm
  install -m 0644 "$rendered" "$CONF"
  conf_changed=1
fi
install -d -m 0755 /var/spool/slurmctld /var/spool/slurmd /var/log/slurm

# --- daemons ----------------------------------------------------------------------------------
if [ $conf_changed -eq 1 ]; then
  # Daemons read slurm.conf at start; node definitions cannot change by reconfigure.
  stop_pid "$SLURMD_PID" /usr/sbin/slurmd
  stop_pid "$CTLD_PID" /usr/sbin/slurmctld
fi
if ! pid_runs "$CTLD_PID" /usr/sbin/slurmctld; then
  say "starting slurmctld"
  # The daemons fork away; their inherited stdio must not keep a caller's pipes open, nor
  # fd 9 hold our lock for ever (munged keeps inherited descriptors).
  /usr/sbin/slurmctld </dev/null >/dev/null 2>&1 9>&- || { log_tails; fail "slurmctld did not start"; }
fi
if ! pid_runs "$SLURMD_PID" /usr/sbin/slurmd; then
  say "starting slurmd"
  /usr/sbin/slurmd </dev/null >/dev/null 2>&1 9>&- || { log_tails; fail "slurmd did not start"; }
fi

# --- wait for the node ------------------------------------------------------------------------
deadline=$(( SECONDS + WAIT_SECONDS ))
resumed=0
while :; do
  state=$(sinfo -h -n "$node" -o '%T' 2>/dev/null | head -n 1 || true)
  case "$state" in
    idle|mixed|allocated|completing) break ;;
    drained|draining|down|drained\*|down\*)
      if [ $resumed -eq 0 ]; then
        scontrol update NodeName="$node" State=RESUME >/dev/null 2>&1 || true
        resumed=1
      fi ;;
  esac
  if [ $SECONDS -ge $deadline ]; then
    log_tails
    fail "node $node not ready after ${WAIT_SECONDS}s (sinfo state: '${state:-no answer}')"
  fi
  sleep 0.5
done
say "ready: node $node $state, partitions $(sinfo -h -o '%P' | tr '\n' ' ')"
