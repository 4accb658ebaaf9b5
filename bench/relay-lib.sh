# shellcheck shell=bash
# bench/relay-lib.sh - sourced by the bench scripts (run.sh, ng-bench.sh,
# scale.sh, handover-compare.sh, redis-ha.sh) right after they set ROOT:
# the steps they share, written once. The one relay a script runs at a time
# is $RELAY_PID, its own Redis (if any) $REDIS_PID; both are stopped by
# their PIDs (TERM, up to 5 s, KILL) on the way out.
# Messages start with $ME, the script's name unless it sets another.

ME=${ME:-$(basename "$0")}
RELAY_PID=""
REDIS_PID=""

log() { printf '%s\n' "$*" >&2; }

# stop_pid PID: TERM, up to 5 s, then KILL; reaped. Nothing when empty.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_relay() {
	stop_pid "$RELAY_PID"
	RELAY_PID=""
}
trap 'stop_relay; stop_redis' EXIT
trap 'stop_relay; stop_redis; exit 130' INT TERM

# start_rtproam LOG OPTION...: $RTPROAM in the foreground, media on
# 127.0.0.1, after the words of $RELAY_PREFIX (e.g. "taskset -c 0", which
# exec the relay: the PID stays the relay's), output to LOG. RELAY_PID is
# set; wait_relay waits for it.
start_rtproam() {
	local logf=$1
	shift
	# shellcheck disable=SC2086
	${RELAY_PREFIX:-} "$RTPROAM" -f -F -l 127.0.0.1 "$@" >"$logf" 2>&1 &
	RELAY_PID=$!
}

# start_rtpengine LOG OPTION...: rtpengine (Debian's 10.5) the same way,
# userspace only (--table=-1), no config file (no Redis, recording or
# Homer unless OPTION says so), media on 127.0.0.1.
start_rtpengine() {
	local logf=$1
	shift
	# shellcheck disable=SC2086
	${RELAY_PREFIX:-} rtpengine --config-file=none --table=-1 \
	    --interface=127.0.0.1 --foreground --log-stderr "$@" >"$logf" 2>&1 &
	RELAY_PID=$!
}

# start_redis PORT DIR: a redis-server of our own on 127.0.0.1:PORT,
# nothing saved to disk, its log in DIR; REDIS_PID, and rcli talks to it.
# Fails unless it answers PING within 5 s.
start_redis() {
	REDIS_PORT=$1
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" \
	    --appendonly no --dir "$2" --daemonize no \
	    --logfile "$2/redis.log" &
	REDIS_PID=$!
	for _ in $(seq 100); do
		[ "$(rcli PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.05
	done
	log "$ME: redis-server did not start on port $REDIS_PORT, see $2/redis.log"
	return 1
}
rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

stop_redis() {
	stop_pid "$REDIS_PID"
	REDIS_PID=""
}

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
