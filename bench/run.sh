#!/bin/bash
# bench/run.sh - the same RTP load against rtproam, rtpengine (userspace,
# its rtpproxy-compatible UDP protocol) and the bare forwarder, in
# alternating order, several times in one run; then the medians and the
# ratios. See docs/benchmark.md.
#
#   bench/run.sh                 the full run (1000 and 2000 calls, 5 reps,
#                                saturation search): under 10 minutes
#   bench/run.sh --quick         200 calls, 5 s, 2 reps, no saturation
#   bench/run.sh -n "500 1000" -r 5 -t 10 --no-saturate --json
#
# Each relay runs pinned to core RELAY_CPU (0) and the generator to core
# GEN_CPU (1). A relay is started fresh for every measurement and stopped
# by its PID. Loopback only. The script prints figures; it never fails on
# a timing.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build-bench}
CALLS="1000 2000"
REPS=5
DURATION=6
WARMUP=1
SATURATE=1
SAT_START=1000
SAT_STEP=250
SAT_MAX=3500
SAT_DURATION=3
RELAYS="rtproam rtpengine bare"
RELAY_CPU=${RELAY_CPU:-0}
GEN_CPU=${GEN_CPU:-1}
NICE=${NICE:--10}
PRIO_MODE=rt
EXTRA_DEFAULT_WORKERS=1
JSON=0
OUT=""
# Control ports and one media range for all relays (one runs at a time).
CTL_PORT=${CTL_PORT:-13990}
PORT_MIN=${PORT_MIN:-14000}
PORT_MAX=${PORT_MAX:-29999}

usage() {
	cat <<EOF
usage: bench/run.sh [options]
  -n "N1 N2 ..."   call levels [$CALLS]
  -r N             repetitions of the A/B/C rotation [$REPS]
  -t S             measured window per run, seconds [$DURATION]
  -w S             warmup before the window [$WARMUP]
  --relays "..."   subset of: rtproam rtpengine bare [$RELAYS]
  --no-saturate    skip the saturation search
  --sat "START STEP MAX SECONDS"  [$SAT_START $SAT_STEP $SAT_MAX $SAT_DURATION]
  --no-extra       skip the extra run of rtproam with its default workers
  --quick          -n 200 -t 5 -r 2 --no-saturate (for development)
  --json           print the summary as JSON too
  --nice           run relay and generator at nice $NICE instead of
                   SCHED_RR priority 1 (the default, when root)
  --no-prio        neither
  -o DIR           results directory [build-bench/bench-results/DATE]
Environment: BUILD RELAY_CPU GEN_CPU NICE CTL_PORT PORT_MIN PORT_MAX
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-n) CALLS=$2; shift ;;
	-r) REPS=$2; shift ;;
	-t) DURATION=$2; shift ;;
	-w) WARMUP=$2; shift ;;
	--relays) RELAYS=$2; shift ;;
	--no-saturate) SATURATE=0 ;;
	--sat) read -r SAT_START SAT_STEP SAT_MAX SAT_DURATION <<<"$2"; shift ;;
	--no-extra) EXTRA_DEFAULT_WORKERS=0 ;;
	--quick) CALLS=200; DURATION=5; REPS=2; SATURATE=0 ;;
	--json) JSON=1 ;;
	--nice) PRIO_MODE="nice" ;;
	--no-prio) PRIO_MODE=none ;;
	-o) OUT=$2; shift ;;
	*) usage ;;
	esac
	shift
done

# --- Prerequisites -------------------------------------------------------

if ! have_rtpengine; then
	log "run.sh: no rtpengine; measuring the others only"
	RELAYS=$(echo "$RELAYS" | sed 's/rtpengine//')
fi
need_tools taskset ss cmake
build_targets rtproam rtpbench fwd
RTPROAM=$BUILD/src/rtproam
RTPBENCH=$BUILD/bench/rtpbench
FWD=$BUILD/bench/fwd
results_dir bench-results
raise_fd_limit
# Higher priority than whatever else shares the machine (root only).
# Default SCHED_RR priority 1: nice alone does not help against processes
# in other cgroups. The kernel keeps 5% of each core for other tasks
# (sched_rt_runtime_us), so a relay gets at most 95% of its core.
PRIO=""
if [ "$(id -u)" -eq 0 ]; then
	case "$PRIO_MODE" in
	rt) PRIO="chrt -r 1" ;;
	nice) [ "$NICE" = 0 ] || PRIO="nice -n $NICE" ;;
	esac
fi

# --- Relays --------------------------------------------------------------

NMEAS=0

# start_relay NAME LOG: start on the relay core, wait for the control port.
start_relay() {
	local name=$1 logf=$2
	RELAY_PREFIX="$PRIO taskset -c $RELAY_CPU"
	case "$name" in
	rtproam)
		start_rtproam "$logf" -s "udp:127.0.0.1:$CTL_PORT" \
		    -m "$PORT_MIN" -M "$PORT_MAX" --workers 1 -d warn
		;;
	rtproam-w*)
		# The default: one worker per core (the pinning still gives one core).
		start_rtproam "$logf" -s "udp:127.0.0.1:$CTL_PORT" \
		    -m "$PORT_MIN" -M "$PORT_MAX" -d warn
		;;
	rtpengine)
		# No ng listener; one worker thread.
		start_rtpengine "$logf" --listen-udp="127.0.0.1:$CTL_PORT" \
		    --port-min="$PORT_MIN" --port-max="$PORT_MAX" \
		    --num-threads=1 --delete-delay=0 --log-level=4
		;;
	bare)
		$RELAY_PREFIX "$FWD" -s "udp:127.0.0.1:$CTL_PORT" \
		    -l 127.0.0.1 -m "$PORT_MIN" -M "$PORT_MAX" >"$logf" 2>&1 &
		RELAY_PID=$!
		;;
	*)
		log "run.sh: unknown relay $name"; return 1 ;;
	esac
	wait_relay "$CTL_PORT" "$name" "$logf" 0.2
}

# measure NAME RUN ARGS...: one fresh relay, one rtpbench invocation.
measure() {
	local name=$1 run=$2
	shift 2
	NMEAS=$((NMEAS + 1))
	start_relay "$name" "$OUT/$NMEAS-$name.log" || return 0
	$PRIO taskset -c "$GEN_CPU" "$RTPBENCH" -c "127.0.0.1:$CTL_PORT" \
	    -p "$RELAY_PID" --relay-cpu "$RELAY_CPU" -l "$name" --run "$run" \
	    --record "$RESULTS" --no-header -w "$WARMUP" "$@" \
	    2>>"$OUT/rtpbench.err" | tee -a "$OUT/table.txt"
	stop_relay
}

# --- The run -------------------------------------------------------------

log "run.sh: relays [$RELAYS], calls [$CALLS], $REPS reps x ${DURATION}s," \
    "relay on cpu $RELAY_CPU, generator on cpu $GEN_CPU; results in $OUT"
"$RTPBENCH" --print-header | tee "$OUT/table.txt"

for rep in $(seq "$REPS"); do
	for calls in $CALLS; do
		for name in $(relay_order "$rep"); do
			measure "$name" "$rep" -n "$calls" -t "$DURATION"
		done
	done
done

if [ "$EXTRA_DEFAULT_WORKERS" = 1 ] && echo "$RELAYS" | grep -qw rtproam; then
	top=$(echo "$CALLS" | awk '{ print $NF }')
	measure "rtproam-w$(nproc)" 1 -n "$top" -t "$DURATION"
fi

if [ "$SATURATE" = 1 ]; then
	log "run.sh: saturation search: from $SAT_START calls, +$SAT_STEP," \
	    "up to $SAT_MAX, ${SAT_DURATION}s per step"
	for name in $RELAYS; do
		measure "$name" 1 --saturate -n "$SAT_START" --step "$SAT_STEP" \
		    --max-calls "$SAT_MAX" -t "$SAT_DURATION"
	done
	grep 'last good level' "$OUT/rtpbench.err" >&2
fi

"$RTPBENCH" --summary "$RESULTS" | tee "$OUT/summary.txt"
"$RTPBENCH" --summary "$RESULTS" --json >"$OUT/summary.json"
[ "$JSON" = 1 ] && cat "$OUT/summary.json"
log "run.sh: done; records in $RESULTS, logs in $OUT"
exit 0
