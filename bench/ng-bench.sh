#!/bin/bash
# bench/ng-bench.sh - the same ng (rtpengine protocol) load against rtproam
# and rtpengine 10.5, one relay after the other, several rounds in one run;
# then the medians side by side and the rtproam/rtpengine ratios. See
# docs/benchmark.md, "ng control protocol".
#
#   bench/ng-bench.sh                 1000 calls, 32 in flight, 5 s of RTP, 3 rounds
#   bench/ng-bench.sh --quick         200 calls, 2 s of RTP, 1 round
#   bench/ng-bench.sh -n 2000 -W 64 -t 10 -r 5
#
# Each measurement starts a fresh relay pinned to core RELAY_CPU (0), runs
# bench/ngbench pinned to GEN_CPU (1), and stops the relay by its PID.
# Every reply's latency is in OUT/<n>-<relay>.trace (ngbench --trace).
# Loopback only. The script prints figures; it never fails on a number.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build-bench}
CALLS=1000
WINDOW=32
DURATION=5
ROUNDS=3
RELAYS="rtproam rtpengine"
RELAY_CPU=${RELAY_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
PRIO_MODE=rt
OUT=""
# Away from bench/run.sh's 13990 and 14000-29999, and below the
# kernel's ephemeral ports, which the phones use.
NG_PORT=${NG_PORT:-13989}
PORT_MIN=${PORT_MIN:-6000}
PORT_MAX=${PORT_MAX:-13979}

usage() {
	cat <<EOF
usage: bench/ng-bench.sh [options]
  -n N             calls [$CALLS]
  -W N             ng commands in flight [$WINDOW]
  -t S             seconds of RTP through the calls [$DURATION]
  -r N             rounds (relay order alternates) [$ROUNDS]
  --relays "..."   subset of: rtproam rtpengine [$RELAYS]
  --quick          -n 200 -t 2 -r 1
  --no-prio        no SCHED_RR priority (the default when root: chrt -r 1)
  -o DIR           results directory [build-bench/ng-bench-results/DATE]
Environment: BUILD RELAY_CPU GEN_CPU NG_PORT PORT_MIN PORT_MAX
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-n) CALLS=$2; shift ;;
	-W) WINDOW=$2; shift ;;
	-t) DURATION=$2; shift ;;
	-r) ROUNDS=$2; shift ;;
	--relays) RELAYS=$2; shift ;;
	--quick) CALLS=200; DURATION=2; ROUNDS=1 ;;
	--no-prio) PRIO_MODE=none ;;
	-o) OUT=$2; shift ;;
	*) usage ;;
	esac
	shift
done

# --- Prerequisites -------------------------------------------------------

if echo "$RELAYS" | grep -qw rtpengine && ! have_rtpengine; then
	log "ng-bench.sh: no rtpengine; measuring rtproam only"
	RELAYS=$(echo "$RELAYS" | sed 's/rtpengine//')
fi
need_tools taskset ss cmake
build_targets rtproam ngbench
RTPROAM=$BUILD/src/rtproam
NGBENCH=$BUILD/bench/ngbench
results_dir ng-bench-results
raise_fd_limit
PRIO=""
[ "$(id -u)" -eq 0 ] && [ "$PRIO_MODE" = rt ] && PRIO="chrt -r 1"

# --- Relays --------------------------------------------------------------

# start_relay NAME LOG: start on the relay core, wait for the ng port.
start_relay() {
	local name=$1 logf=$2
	RELAY_PREFIX="$PRIO taskset -c $RELAY_CPU"
	case "$name" in
	rtproam)
		start_rtproam "$logf" -m "$PORT_MIN" -M "$PORT_MAX" \
		    --ng "udp:127.0.0.1:$NG_PORT" --workers 1 --delete-delay 0 \
		    -d warn
		;;
	rtpengine)
		# One worker thread; the ng listener only.
		start_rtpengine "$logf" --listen-ng="127.0.0.1:$NG_PORT" \
		    --port-min="$PORT_MIN" --port-max="$PORT_MAX" \
		    --num-threads=1 --delete-delay=0 --log-level=4
		;;
	*)
		log "ng-bench.sh: unknown relay $name"; return 1 ;;
	esac
	wait_relay "$NG_PORT" "$name" "$logf" 0.2
}

NMEAS=0
measure() {
	local name=$1 round=$2
	NMEAS=$((NMEAS + 1))
	start_relay "$name" "$OUT/$NMEAS-$name.log" || return 0
	$PRIO taskset -c "$GEN_CPU" "$NGBENCH" -c "127.0.0.1:$NG_PORT" \
	    -p "$RELAY_PID" -l "$name" --run "$round" -n "$CALLS" -W "$WINDOW" \
	    -t "$DURATION" --record "$RESULTS" \
	    --trace "$OUT/$NMEAS-$name.trace" 2>>"$OUT/ngbench.err" |
	    tee -a "$OUT/runs.txt"
	stop_relay
}

# --- The run -------------------------------------------------------------

log "ng-bench.sh: relays [$RELAYS], $CALLS calls, $WINDOW in flight," \
    "${DURATION}s of RTP, $ROUNDS rounds, relay on cpu $RELAY_CPU," \
    "generator on cpu $GEN_CPU; results in $OUT"

for round in $(seq "$ROUNDS"); do
	# Alternate the order: A B, B A, ...
	for name in $(relay_order "$round"); do
		measure "$name" "$round"
	done
done

"$NGBENCH" --summary "$RESULTS" | tee "$OUT/summary.txt"
if [ -s "$OUT/ngbench.err" ]; then
	log "ng-bench.sh: the generator said:"
	sort "$OUT/ngbench.err" | uniq -c | head -20 >&2
fi
log "ng-bench.sh: done; records in $RESULTS, logs in $OUT"
exit 0
