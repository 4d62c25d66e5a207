#!/usr/bin/env bash
# A throw-away single-node Slurm cluster (munged + slurmctld + slurmd) as plain background
# daemons, everything (key, sockets, config, state, spool, logs, pid files) inside one folder.
# No systemd, no /etc changes. Needs root and the Debian 12 packages:
#   apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge
#
#   eval "$(Tools/slurm/minicluster.sh start "$dir")"   # prints: export SLURM_CONF=$dir/slurm.conf
#   sbatch --array=0-3 --chdir "$work" --wrap '...'; squeue; scancel; scontrol ...
#   Tools/slurm/minicluster.sh stop "$dir"              # idempotent
#
# Several clusters may run at once (different folders): ports are chosen free at start, under
# a host-wide lock held until both daemons listen. Diagnostics go to stderr; stdout carries only
# the export line, so `eval "$(minicluster.sh start DIR)"` is safe.
# Environment: MINICLUSTER_TIMEOUT (seconds to wait for the node to be idle, default 30).
set -euo pipefail

die() {
    echo "minicluster: $*" >&2
    exit 1
}
say() { echo "minicluster: $*" >&2; }

usage() {
    echo "usage: $0 start DIR | stop DIR | status DIR (daemon pids, then slurmstepd/job pids)" >&2
    exit 2
}

[[ $# -eq 2 ]] || usage
command=$1
[[ -n $2 ]] || usage
mkdir -p -- "$2"
DIR=$(cd -- "$2" && pwd -P)

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
LOCK=/tmp/minicluster.ports.lock

show_logs() {
    local f
    for f in "$DIR"/log/*; do
        [[ -s $f ]] || continue
        echo "----- tail of $f" >&2
        tail -n 25 -- "$f" >&2 || true
    done
}

fail() {
    say "$*"
    show_logs
    "$0" stop "$DIR" >/dev/null 2>&1 || true
    exit 1
}

# pid recorded in DIR/run/NAME.pid, only if it is alive and its command line names DIR/
# (so a recycled pid is never signalled).
owned_pid() {
    local file=$DIR/run/$1.pid pid
    [[ -s $file ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [[ -n $pid && -d /proc/$pid ]] || return 1
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/"; then
        echo "$pid"
        return 0
    fi
    return 1
}

# Other processes of this cluster: slurmstepd (it keeps slurmd's log open and its cwd in
# DIR/log; its environment is overwritten by its process title), everything below it, and
# orphaned job processes (SLURM_CONF=DIR/slurm.conf plus SLURM_JOB_ID in their environment).
# Never munged, slurmd, slurmctld and its slurmscriptd, nor this script and its ancestors.
stray_pids() {
    local roots ctl node munge
    roots=$({
        find /proc/[0-9]*/fd -maxdepth 1 -lname "$DIR/log/*" 2>/dev/null | cut -d/ -f3
        find /proc/[0-9]*/cwd -maxdepth 0 -lname "$DIR/*" 2>/dev/null | cut -d/ -f3
        grep -lzxF "SLURM_CONF=$DIR/slurm.conf" /proc/[0-9]*/environ 2>/dev/null |
            xargs -r grep -lz '^SLURM_JOB_ID=' 2>/dev/null | cut -d/ -f3
    } | sort -u | tr '\n' ' ' || true)
    [[ -n ${roots// /} ]] || return 0
    ctl=$(cat "$DIR/run/slurmctld.pid" 2>/dev/null | tr -dc '0-9' || true)
    node=$(cat "$DIR/run/slurmd.pid" 2>/dev/null | tr -dc '0-9' || true)
    munge=$(cat "$DIR/run/munged.pid" 2>/dev/null | tr -dc '0-9' || true)
    ps -eo pid=,ppid= | awk -v roots="$roots" -v self="$$" -v ctl="${ctl:-0}" -v node="${node:-0}" -v munge="${munge:-0}" '
        function subtree(set,   p, grew) {
            do { grew = 0
                 for (p in parent) if (!(p in set) && (parent[p] in set)) { set[p] = 1; grew = 1 }
            } while (grew)
        }
        { parent[$1] = $2 }
        END {
            for (p = self; p in parent && p > 1; p = parent[p]) mine[p] = 1
            mine[node] = 1; mine[munge] = 1
            if (ctl > 1) { ctlset[ctl] = 1; subtree(ctlset) }
            n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1
            subtree(keep)
            for (p in keep) if (!(p in mine) && !(p in ctlset) && (p in parent)) print p
        }'
}

kill_pids() { # kill_pids TENTHS PID...: SIGTERM, wait up to TENTHS/10 s, then SIGKILL
    local tenths=$1 p i alive
    shift
    local pids=("$@")
    [[ ${#pids[@]} -gt 0 ]] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < tenths; i++)); do
        alive=()
        for p in "${pids[@]}"; do
            [[ -d /proc/$p ]] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null && alive+=("$p")
        done
        [[ ${#alive[@]} -eq 0 ]] && return 0
        sleep 0.1
    done
    say "SIGKILL ${alive[*]}"
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

TAKEN_PORTS=""
free_port() { # sets PORT to a TCP port nobody uses (and not picked before by this run)
    local i
    for ((i = 0; i < 200; i++)); do
        PORT=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        [[ " $TAKEN_PORTS " == *" $PORT "* ]] && continue
        if [[ -z $(ss -Htan "( sport = :$PORT )" 2>/dev/null) ]]; then
            TAKEN_PORTS="$TAKEN_PORTS $PORT"
            return 0
        fi
    done
    return 1
}

listening() { [[ -n $(ss -Htln "( sport = :$1 )" 2>/dev/null) ]]; }

stop_cluster() {
    local pid pids=()
    [[ -d $DIR/run ]] || return 0
    # Cancel jobs while the controller is still up, so slurmstepd ends them cleanly.
    if owned_pid slurmctld >/dev/null && [[ -f $DIR/slurm.conf ]]; then
        SLURM_CONF=$DIR/slurm.conf timeout 10 scancel --quiet --user=root 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            [[ -z $(stray_pids) ]] && break
            sleep 0.2
        done
    fi
    for name in slurmd slurmctld; do
        pid=$(owned_pid "$name") && pids+=("$pid")
    done
    kill_pids 100 "${pids[@]}"
    mapfile -t pids < <(stray_pids)
    kill_pids 20 "${pids[@]}" # slurmstepd ignores SIGTERM
    pids=()
    pid=$(owned_pid munged) && pids+=("$pid")
    kill_pids 100 "${pids[@]}"
    rm -f -- "$DIR"/run/*.pid
    return 0
}

start_cluster() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (SlurmUser=root, jobs run as root)"
    # The daemons must not inherit our caller's descriptors beyond stdio: a parent that learns of
    # our exit through a descriptor (Foundation's Process does, with a socket) would wait forever.
    local fd
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true
    done
    local d
    for d in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel ss flock; do
        command -v "$d" >/dev/null ||
            die "$d not found; apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge"
    done
    if owned_pid slurmctld >/dev/null || owned_pid slurmd >/dev/null || owned_pid munged >/dev/null; then
        die "a cluster is already running in $DIR (run: $0 stop $DIR)"
    fi
    # Unix socket paths are limited to 107 bytes. munged checks the permissions of the key, the
    # socket folder and the log folder: not writable by group/other (0755 here, key 0400), and
    # warns when the socket folder is not searchable by all. A fresh state every start.
    [[ ${#DIR} -le 80 ]] || die "folder path too long for a unix socket: $DIR"
    mkdir -p "$DIR"/{munge,run,log,state,spool}
    chmod 0755 "$DIR" "$DIR"/{munge,run,log,state,spool}
    rm -rf -- "$DIR"/log/* "$DIR"/run/* "$DIR"/state/* "$DIR"/spool/* "$DIR"/munge/*

    local t0=$SECONDS host cpus mem
    # ---- munge
    mungekey --create --force --keyfile="$DIR/munge/munge.key" --bits=1024 2>/dev/null ||
        { dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1 count=1024 status=none; }
    chmod 0400 "$DIR/munge/munge.key"
    munged --force \
        --socket="$DIR/munge/munge.socket" \
        --key-file="$DIR/munge/munge.key" \
        --pid-file="$DIR/run/munged.pid" \
        --log-file="$DIR/log/munged.log" \
        --seed-file="$DIR/munge/munged.seed" \
        </dev/null >"$DIR/log/munged.out" 2>&1 ||
        fail "munged did not start"
    munge -n -S "$DIR/munge/munge.socket" | unmunge -S "$DIR/munge/munge.socket" >/dev/null 2>&1 ||
        fail "munge credential round trip failed"

    # ---- slurm.conf
    host=$(hostname -s)
    read -r cpus mem < <(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*RealMemory=\([0-9]*\).*/\1 \2/p')
    [[ -n ${cpus:-} && -n ${mem:-} ]] || fail "could not read CPUs/RealMemory from slurmd -C"

    exec 9>>"$LOCK"
    flock -w 60 9 || fail "could not take $LOCK"
    local ctl_port node_port
    free_port || fail "no free TCP port"
    ctl_port=$PORT
    free_port || fail "no free TCP port"
    node_port=$PORT

    cat >"$DIR/slurm.conf" <<EOF
# Generated by Tools/slurm/minicluster.sh
ClusterName=mini$(printf '%s' "$DIR" | cksum | cut -c1-6)
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1,sched_min_interval=0
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=300
KillWait=2
InactiveLimit=0
Waittime=0
SlurmdTimeout=60
SlurmctldTimeout=60
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$DIR/plugstack.conf"
    export SLURM_CONF=$DIR/slurm.conf

    # ---- daemons (they daemonise themselves and write their pid files)
    setsid slurmctld -f "$DIR/slurm.conf" -i </dev/null >"$DIR/log/slurmctld.out" 2>&1 ||
        fail "slurmctld failed to start"
    setsid slurmd -f "$DIR/slurm.conf" -N "$host" </dev/null >"$DIR/log/slurmd.out" 2>&1 ||
        fail "slurmd failed to start"

    local deadline=$((SECONDS + ${MINICLUSTER_TIMEOUT:-30})) state=""
    until listening "$ctl_port" && listening "$node_port"; do
        ((SECONDS < deadline)) || fail "daemons not listening on ports $ctl_port/$node_port"
        owned_pid slurmctld >/dev/null || [[ ! -s $DIR/run/slurmctld.pid ]] || fail "slurmctld died"
        sleep 0.1
    done
    flock -u 9
    exec 9>&-

    until [[ $state == idle ]]; do
        ((SECONDS < deadline)) || fail "node not idle after ${MINICLUSTER_TIMEOUT:-30} s (state: ${state:-none})"
        owned_pid slurmctld >/dev/null || fail "slurmctld is not running"
        owned_pid slurmd >/dev/null || fail "slurmd is not running"
        state=$(timeout 5 sinfo -h -n "$host" -o %T 2>/dev/null | head -n1 | tr -d '*~#' || true)
        [[ $state == idle ]] || sleep 0.2
    done
    say "up in $((SECONDS - t0)) s: node $host CPUs=$cpus RealMemory=$mem ports $ctl_port/$node_port"
    echo "export SLURM_CONF=$DIR/slurm.conf"
}

case $command in
start) start_cluster ;;
stop) stop_cluster ;;
status)
    for name in munged slurmctld slurmd; do
        if pid=$(owned_pid "$name"); then echo "$name $pid"; else echo "$name down"; fi
    done
    stray_pids | sed 's/^/job-process /'
    ;;
*) usage ;;
esac
