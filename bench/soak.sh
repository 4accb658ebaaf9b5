#!/bin/bash
# bench/soak.sh - soak test: hours of calls set up and torn down while
# relaying; the relay's RSS, open descriptors and memory per call must
# stay flat. Not part of the CI tiers (it takes at least half an hour).
#
#   BUILD=build-soak DURATION=1800 CALLS=200 bench/soak.sh
#
# Starts rtproam from $BUILD (a RelWithDebInfo build), runs bench/soak
# (the churn driver: CALLS calls held at all times, each living a random
# LIFE seconds with 50 pps RTP both ways, then deleted and replaced) for
# DURATION seconds, sampling the relay every SAMPLE seconds, and stops the
# relay by its PID. The driver prints one line per sample and a summary
# ending in "verdict: flat" or "verdict: growing"; the script exits 0 when
# flat, 1 when growing, 2 when something else went wrong.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-soak}
DURATION=${DURATION:-1800}
CALLS=${CALLS:-200}
LIFE=${LIFE:-5:30}
RATE=${RATE:-50}
SAMPLE=${SAMPLE:-60}
FLAT_KB_MIN=${FLAT_KB_MIN:-16}
CTL_PORT=${CTL_PORT:-23222}
PORT_MIN=${PORT_MIN:-10000}
PORT_MAX=${PORT_MAX:-19999}
WORKERS=${WORKERS:-}
RELAY_LOG=${RELAY_LOG:-/tmp/rtproam-soak-relay.log}

RELAY=$BUILD/src/rtproam
DRIVER=$BUILD/bench/soak
for f in "$RELAY" "$DRIVER"; do
	if [ ! -x "$f" ]; then
		echo "soak.sh: $f missing; build with:" >&2
		echo "  cmake -S $ROOT -B $BUILD -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build $BUILD -j2" >&2
		exit 2
	fi
done

args=(-f -F -s "udp:127.0.0.1:$CTL_PORT" -l 127.0.0.1 -m "$PORT_MIN" -M "$PORT_MAX"
      -d info --log "$RELAY_LOG")
[ -n "$WORKERS" ] && args+=(--workers "$WORKERS")
: > "$RELAY_LOG"
"$RELAY" "${args[@]}" </dev/null >/dev/null 2>>"$RELAY_LOG" &
RELAY_PID=$!
DRIVER_PID=

stop_all() {
	if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
		kill -TERM "$DRIVER_PID" 2>/dev/null
		wait "$DRIVER_PID" 2>/dev/null
	fi
	if kill -0 "$RELAY_PID" 2>/dev/null; then
		kill -TERM "$RELAY_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$RELAY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$RELAY_PID" 2>/dev/null && kill -KILL "$RELAY_PID" 2>/dev/null
	fi
}
trap 'stop_all; exit 2' INT TERM

# The relay answers V once its control socket is bound.
for _ in $(seq 1 100); do
	grep -q "ready" "$RELAY_LOG" 2>/dev/null && break
	kill -0 "$RELAY_PID" 2>/dev/null || { echo "soak.sh: rtproam exited at start" >&2; cat "$RELAY_LOG" >&2; exit 2; }
	sleep 0.1
done
sleep 1

echo "soak.sh: rtproam pid $RELAY_PID ($RELAY), control udp:127.0.0.1:$CTL_PORT, ports $PORT_MIN-$PORT_MAX"
echo "soak.sh: $CALLS calls, lifetime $LIFE s, $RATE pps per stream, $DURATION s, sample every $SAMPLE s"
"$DRIVER" -c "127.0.0.1:$CTL_PORT" -p "$RELAY_PID" -n "$CALLS" -t "$DURATION" \
	--life "$LIFE" -r "$RATE" --sample "$SAMPLE" --flat "$FLAT_KB_MIN" &
DRIVER_PID=$!
wait "$DRIVER_PID"
drc=$?
DRIVER_PID=
alive=1
kill -0 "$RELAY_PID" 2>/dev/null || alive=0
stop_all
wait "$RELAY_PID" 2>/dev/null
rrc=$?
echo "soak.sh: relay was alive at the end: $([ $alive = 1 ] && echo yes || echo NO); exit status after SIGTERM: $rrc"
echo "soak.sh: relay log: $RELAY_LOG ($(wc -l < "$RELAY_LOG") lines, $(grep -c -E '^[0-9-]+ [0-9:.]+ (err|warn) ' "$RELAY_LOG") warnings/errors)"
[ $alive -ne 1 ] && exit 2
exit $drc
