#!/bin/bash
# bench/redis-restore.sh - how fast a restarted rtproam gets its calls back
# from Redis (README: HA). Prints, never fails on a figure.
#
#   BUILD=build-rel CALLS=4000 bench/redis-restore.sh
#
# Each call holds 4 sockets: CALLS above (file limit - 64) / 4 are refused.
#
# Starts its own redis-server (loopback, no persistence) and rtproam with
# --redis, sets up CALLS calls with U/L, waits until Redis holds all of
# them, kills rtproam with SIGKILL, starts it again and reads the restore
# line of its log ("restored N call(s) in T ms"). Also prints Redis
# memory per call and the commands the set-up cost. Both processes are
# stopped by PID.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-rel}
CALLS=${CALLS:-4000}
CTL_PORT=${CTL_PORT:-23322}
REDIS_PORT=${REDIS_PORT:-23379}
PORT_MIN=${PORT_MIN:-20000}
PORT_MAX=$((PORT_MIN + CALLS * 4 + 63))
DIR=$(mktemp -d /tmp/rtproam-redis-bench.XXXXXX)
RELAY=$BUILD/src/rtproam

if [ ! -x "$RELAY" ]; then
	echo "redis-restore.sh: no $RELAY (cmake -B $BUILD -DCMAKE_BUILD_TYPE=Release)" >&2
	exit 2
fi
if [ "$PORT_MAX" -gt 65535 ]; then
	echo "redis-restore.sh: CALLS=$CALLS needs ports up to $PORT_MAX" >&2
	exit 2
fi
ulimit -n $((CALLS * 4 + 1024)) 2>/dev/null

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
	--dir "$DIR" --daemonize no --logfile "$DIR/redis.log" &
REDIS_PID=$!
RELAY_PID=
cleanup() {
	[ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
	kill "$REDIS_PID" 2>/dev/null
	wait "$REDIS_PID" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
for _ in $(seq 100); do [ "$(rcli PING 2>/dev/null)" = PONG ] && break; sleep 0.05; done

start_relay() {
	"$RELAY" -f -F -s "udp:127.0.0.1:$CTL_PORT" -l 127.0.0.1 -m "$PORT_MIN" \
	    -M "$PORT_MAX" --log "$DIR/rtproam.log" --redis "redis://127.0.0.1:$REDIS_PORT" \
	    --node-id bench &
	RELAY_PID=$!
}

ask() {
	python3 - "$CTL_PORT" "$@" <<'PY'
import socket, sys, time
port, what = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def cmd(c, i):
    for _ in range(5):
        s.sendto(("b%d_%d %s" % (i, time.monotonic_ns(), c)).encode(), ("127.0.0.1", port))
        try:
            return s.recv(4096).decode()
        except socket.timeout:
            pass
    raise SystemExit("no reply to " + c)
if what == "wait":
    for i in range(200):
        try:
            s.settimeout(0.05)
            s.sendto(b"w V", ("127.0.0.1", port)); s.recv(100); break
        except OSError:
            time.sleep(0.05)
elif what == "calls":
    n = int(sys.argv[3]); t0 = time.monotonic()
    for i in range(n):
        cmd("U c%d 127.0.0.2 %d ft;1" % (i, 4000 + 2 * (i % 20000)), 2 * i)
        cmd("L c%d 127.0.0.3 %d ft;1 tt;1" % (i, 4000 + 2 * (i % 20000)), 2 * i + 1)
    print("set-up: %d calls in %.2f s" % (n, time.monotonic() - t0))
PY
}

start_relay
ask wait
rcli CONFIG RESETSTAT >/dev/null
ask calls "$CALLS"
t0=$(date +%s%N)
for _ in $(seq 600); do [ "$(rcli DBSIZE)" -ge "$CALLS" ] && break; sleep 0.05; done
echo "Redis holds all $CALLS calls $(( ($(date +%s%N) - t0) / 1000000 )) ms after the last L"
rcli INFO commandstats | grep -E '^cmdstat_(hset|multi|unlink|pexpire|exec)' | tr -d '\r'
echo "Redis memory: $(rcli INFO memory | grep '^used_memory:' | tr -d '\r' | cut -d: -f2) bytes, $(rcli MEMORY USAGE rtproam:bench:call:c0 | tr -d '\r') bytes for one call's key"

kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
t0=$(date +%s%N)
start_relay
ask wait
echo "restart to first V answered: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
grep -o 'restored .*' "$DIR/rtproam.log" | tail -1
