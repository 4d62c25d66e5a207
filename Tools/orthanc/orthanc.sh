#!/usr/bin/env bash
# A throw-away Orthanc PACS with its DICOMweb plugin, for tests: loopback only, a free port,
# HTTP basic authentication on, index and storage inside one folder; no systemd, no /etc changes.
# Needs the Debian 12 packages orthanc and orthanc-dicomweb.
#
#   Tools/orthanc/orthanc.sh start DIR    # prints the DICOMweb root, e.g. http://127.0.0.1:40123/dicom-web
#   Tools/orthanc/orthanc.sh kill DIR     # SIGKILL (a server that dies mid-run)
#   Tools/orthanc/orthanc.sh start DIR    # again: same port and storage, so the same studies
#   Tools/orthanc/orthanc.sh stop DIR     # idempotent
#
# The user is "radlens" with the password in DIR/password (made at the first start). With
# ORTHANC_TLS=1 at the first start it serves HTTPS as hospitals do, behind a TLS-terminating
# proxy (socat; Debian's Orthanc 1.10 crashes serving HTTPS itself) with a certificate for
# 127.0.0.1 signed by a throw-away CA (DIR/ca.pem: what a client must trust). Only processes
# whose pid DIR/*.pid records, and whose command line names DIR, are ever signalled.
# Diagnostics go to stderr; stdout carries only the URL.
set -euo pipefail

die() { echo "orthanc.sh: $*" >&2; exit 1; }
[[ $# -eq 2 && -n $2 ]] || die "usage: $0 start DIR | kill DIR | stop DIR"
command=$1
mkdir -p -- "$2"
DIR=$(cd -- "$2" && pwd -P)
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
PLUGIN=/usr/share/orthanc/plugins/libOrthancDicomWeb.so

owned_pid() { # owned_pid [NAME]: the pid of DIR/NAME.pid (default orthanc)
    local pid file=$DIR/${1:-orthanc}.pid
    [[ -s $file ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    [[ -n $pid && -d /proc/$pid ]] || return 1
    grep -qF -- "$DIR/" <(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    echo "$pid"
}

alive() { # alive PID: the process exists and is not a zombie
    [[ -d /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

wait_gone() { # wait_gone PID TENTHS
    local i
    for ((i = 0; i < $2; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    return 1
}

start() {
    command -v Orthanc >/dev/null || die "Orthanc is not installed (apt-get install orthanc orthanc-dicomweb)"
    [[ -f $PLUGIN ]] || die "$PLUGIN is missing (apt-get install orthanc-dicomweb)"
    owned_pid >/dev/null && die "an Orthanc of $DIR is already running"
    [[ -s $DIR/password ]] || head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$DIR/password"
    if [[ ! -s $DIR/port ]]; then
        local i port
        for ((i = 0; i < 200; i++)); do
            port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
            [[ -z $(ss -Htan "( sport = :$port )" 2>/dev/null) ]] && break
        done
        echo "$port" >"$DIR/port"
    fi
    if [[ ${ORTHANC_TLS:-0} == 1 && ! -s $DIR/server.pem ]]; then
        (
            cd "$DIR"
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=RadLens test CA" 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
            printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
            cat server.crt server.key >server.pem
        ) || die "cannot make the TLS certificates (openssl)"
    fi
    local scheme=http curl_trust=()
    local port password http_port
    port=$(cat "$DIR/port")
    http_port=$port
    if [[ -s $DIR/server.pem ]]; then
        command -v socat >/dev/null || die "socat is not installed (apt-get install socat)"
        scheme=https curl_trust=(--cacert "$DIR/ca.pem")
        [[ -s $DIR/http-port ]] || echo $((port + 1)) >"$DIR/http-port"
        http_port=$(cat "$DIR/http-port")
    fi
    password=$(cat "$DIR/password")
    mkdir -p "$DIR/db"
    cat >"$DIR/orthanc.json" <<JSON
{
  "Name": "radlens-test",
  "StorageDirectory": "$DIR/db",
  "IndexDirectory": "$DIR/db",
  "HttpPort": $http_port,
  "HttpBindAddress": "127.0.0.1",
  "DicomServerEnabled": false,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": true,
  "RegisteredUsers": { "radlens": "$password" },
  "Plugins": ["$PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true },
  "ConcurrentJobs": 1
}
JSON
    # Detached, with no descriptor of the caller (a test's pipes) left open.
    (
        for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true; done
        cd "$DIR"
        exec setsid Orthanc "$DIR/orthanc.json" </dev/null >>"$DIR/orthanc.log" 2>&1
    ) &
    echo $! >"$DIR/orthanc.pid"
    if [[ $scheme == https ]] && ! owned_pid tls >/dev/null; then
        (
            for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null || true; done
            exec setsid socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,verify=0,cert=$DIR/server.pem" "TCP:127.0.0.1:$http_port" \
                </dev/null >>"$DIR/tls.log" 2>&1
        ) &
        echo $! >"$DIR/tls.pid"
    fi
    local i
    for ((i = 0; i < 200; i++)); do
        if curl -fs -o /dev/null "${curl_trust[@]}" -u "radlens:$password" "$scheme://127.0.0.1:$port/system"; then
            echo "$scheme://127.0.0.1:$port/dicom-web"
            return 0
        fi
        # Our own child, possibly not yet exec'd into Orthanc (owned_pid would not know it yet).
        alive "$(cat "$DIR/orthanc.pid")" || { tail -n 20 "$DIR/orthanc.log" >&2; die "Orthanc exited at start"; }
        sleep 0.1
    done
    tail -n 20 "$DIR/orthanc.log" >&2
    stop
    die "Orthanc did not answer on port $port within 20 s"
}

stop() {
    local pid name
    for name in orthanc tls; do
        pid=$(owned_pid $name) || continue
        kill -TERM "$pid" 2>/dev/null || true
        wait_gone "$pid" 100 || { kill -KILL "$pid" 2>/dev/null || true; wait_gone "$pid" 50 || true; }
        rm -f "$DIR/$name.pid"
    done
}

case $command in
start) start ;;
stop) stop ;;
kill)
    pid=$(owned_pid) || exit 0
    kill -KILL "$pid"
    wait_gone "$pid" 50 || true
    rm -f "$DIR/orthanc.pid"
    ;;
*) die "unknown command $command" ;;
esac
