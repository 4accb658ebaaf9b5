# shellcheck shell=bash
# bench/relay-lib.sh - sourced by the bench scripts (run.sh, ng-bench.sh,
# scale.sh, handover-compare.sh) right after they set ROOT: the steps they
# share, written once. The one relay a script runs at a time is
# $RELAY_PID, stopped by its PID (TERM, up to 5 s, KILL) on the way out.
# Messages start with $ME, the script's name unless it sets another.

ME=${ME:-$(basename "$0")}
RELAY_PID=""

log() { printf '%s\n' "$*" >&2; }

stop_relay() {
	[ -n "$RELAY_PID" ] || return 0
	kill -TERM "$RELAY_PID" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=""
}
trap 'stop_relay' EXIT
trap 'stop_relay; exit 130' INT TERM

# have_rtpengine: 0 when rtpengine is installed; when it is not and we are
# root, try Debian's rtpengine-daemon first (apt's words go to stderr).
have_rtpengine() {
	command -v rtpengine >/dev/null 2>&1 && return 0
	log "$ME: installing rtpengine-daemon"
	if [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    apt-get install -y -qq --no-install-recommends \
		    rtpengine-daemon >&2
	fi
	command -v rtpengine >/dev/null 2>&1
}

# need_tools TOOL...: exit 1 naming the first one that is not installed.
need_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
		    { log "$ME: $tool is missing"; exit 1; }
	done
}

# build_targets TARGET...: an optimised build with symbols in $BUILD.
build_targets() {
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    >/dev/null || exit 1
	cmake --build "$BUILD" -j2 --target "$@" >/dev/null || exit 1
}

# results_dir NAME: OUT (unless given) becomes $BUILD/NAME/DATE, made;
# RESULTS, the record file in it, starts empty.
results_dir() {
	[ -n "$OUT" ] || OUT=$BUILD/$1/$(date +%Y%m%d-%H%M%S)
	mkdir -p "$OUT" || exit 1
	RESULTS=$OUT/results.txt
	: >"$RESULTS"
}

# Room for the relay's 4 sockets and the generator's 2 per call.
raise_fd_limit() {
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}

# wait_relay PORT NAME LOG SETTLE: the relay just started as $RELAY_PID
# has up to 10 s to bind UDP PORT, then SETTLE seconds to finish starting
# (threads, timers). Otherwise it is stopped and this fails. A relay in a
# network namespace: RELAY_NETNS names it.
wait_relay() {
	local port=$1 name=$2 logf=$3 settle=$4
	for _ in $(seq 100); do
		if ${RELAY_NETNS:+ip netns exec "$RELAY_NETNS"} \
		    ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
			sleep "$settle"
			return 0
		fi
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	log "$ME: $name did not start, see $logf"
	stop_relay
	return 1
}

# relay_order N: the words of $RELAYS rotated N - 1 places, so that round
# after round each relay takes each place (A B C, B C A, C A B, ...).
relay_order() {
	local round=$1 n k order=""
	set -- $RELAYS
	n=$#
	for k in $(seq 0 $((n - 1))); do
		set -- $RELAYS
		shift $(((round - 1 + k) % n))
		order="$order $1"
	done
	echo $order
}
