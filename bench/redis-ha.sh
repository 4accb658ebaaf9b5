#!/bin/bash
# bench/redis-ha.sh - calls that survive a relay restart through Redis:
# rtproam --redis against rtpengine 10.5 --redis (Debian, userspace), the
# same calls over ng, one relay at a time, then one table (issue 14;
# README "HA", docs/benchmark.md "Redis HA"). Prints, never fails on a
# figure; what cannot be measured is "n/a" with the reason.
#
#   bench/redis-ha.sh
#   RESTORE_CALLS="1000 4000" GAP_CALLS=50 ROUNDS=3 bench/redis-ha.sh
#   PARTS="restore" RELAYS=rtproam bench/redis-ha.sh
#
# Environment (defaults below): RELAYS PARTS RESTORE_CALLS GAP_CALLS
# GAP_SECONDS LIFE_CALLS LIFE_SECONDS ROUNDS TAKEOVER_LEASE_MS BUILD OUT NG_PORT REDIS_PORT
# PORT_MIN PORT_MAX. The default run takes about a minute and a half.
#
# Parts (each relay in turn, a fresh relay and an empty Redis each time):
#  restore  N calls set up (offer+answer), then ROUNDS times kill -9 and
#           start again: the relay's own log line, and the time from its
#           start until every call answers an ng query (ha_calls.py restored)
#  gap      GAP_CALLS calls with RTP both ways at 20 ms ptime, kill -9 a
#           second after the ready mark, start again at once: packets lost
#           and the longest silence per call and direction (ha_calls.py gap)
#  takeover the same count when the relay is killed for good and a
#           second rtproam, --ha standby, takes its calls over (rtproam
#           only: rtpengine's standby needs keyspace notifications)
#  handover GAP_CALLS calls whose callers all move to a new port: the
#           Redis commands and bytes per handover, calls that followed
#  life     bench/ngbench (offer, answer, RTP, query, delete) per relay
#           with and without --redis, ROUNDS times (order alternating):
#           set-up rate, and the Redis commands and bytes per call from
#           INFO deltas
#
# Its own redis-server on REDIS_PORT; relays on NG_PORT and media ports
# PORT_MIN..PORT_MAX (below the kernel's ephemeral ports, where the
# phones are); each process stopped by its PID. Run as root (rtpengine).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ME="redis-ha.sh"
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build-rel}
RELAYS=${RELAYS:-"rtproam rtpengine"}
RESTORE_CALLS=${RESTORE_CALLS:-"1000 4000 10000"}
GAP_CALLS=${GAP_CALLS:-20}
GAP_SECONDS=${GAP_SECONDS:-6}
LIFE_CALLS=${LIFE_CALLS:-1000}
LIFE_SECONDS=${LIFE_SECONDS:-2}
ROUNDS=${ROUNDS:-3}
PARTS=${PARTS:-"restore gap handover life"}
NG_PORT=${NG_PORT:-23322}
REDIS_PORT=${REDIS_PORT:-23379}
PORT_MIN=${PORT_MIN:-2000}
PORT_MAX=${PORT_MAX:-19999}
REDIS_DB=1
TAKEOVER_LEASE_MS=${TAKEOVER_LEASE_MS:-3000}
RTPROAM_HA=()	# --ha options of the next rtproam started (takeover_gap)
OUT=${OUT:-}

RTPROAM=$BUILD/src/rtproam
NGBENCH=$BUILD/bench/ngbench
CALLS_PY=$ROOT/bench/ha_calls.py
for f in "$RTPROAM" "$NGBENCH"; do
	if [ ! -x "$f" ]; then
		log "$ME: no $f; cmake -S . -B $BUILD -DCMAKE_BUILD_TYPE=Release" \
		    "-DRTPROAM_TESTS=OFF && cmake --build $BUILD -j2"
		exit 1
	fi
done
need_tools python3 redis-server redis-cli ss
case " $RELAYS " in
*" rtpengine "*) have_rtpengine || { log "$ME: no rtpengine; rtproam only"; RELAYS=rtproam; } ;;
esac
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/redis-ha.XXXXXX)
mkdir -p "$OUT" || exit 1
raise_fd_limit
FD_LIMIT=$(ulimit -n)
start_redis "$REDIS_PORT" "$OUT" || exit 1

# relay_start NAME LOG redis|plain: start it (ng on NG_PORT), do not wait.
relay_start() {
	local name=$1 logf=$2 redis=()
	case "$name:$3" in
	rtproam:redis) redis=(--redis "redis://127.0.0.1:$REDIS_PORT/$REDIS_DB" --node-id bench
	    "${RTPROAM_HA[@]}") ;;
	rtpengine:redis) redis=(--redis="127.0.0.1:$REDIS_PORT/$REDIS_DB") ;;
	esac
	case "$name" in
	rtproam)
		start_rtproam "$logf" --ng "udp:127.0.0.1:$NG_PORT" \
		    -m "$PORT_MIN" -M "$PORT_MAX" --delete-delay 0 "${redis[@]}" ;;
	rtpengine)
		# log level 6: its "Redis restore time" line.
		start_rtpengine "$logf" --listen-ng="127.0.0.1:$NG_PORT" \
		    --port-min="$PORT_MIN" --port-max="$PORT_MAX" \
		    --delete-delay=0 --log-level=6 "${redis[@]}" ;;
	esac
}

relay_up() {
	relay_start "$@"
	wait_relay "$NG_PORT" "$1" "$2" 0.2
}

# crash: kill -9 the relay, reaped; its sockets are closed when this returns.
crash() {
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=""
}

# own_restore_line NAME LOG: the relay's own restore figure, as JSON.
own_restore_line() {
	local line
	case "$1" in
	rtproam)
		line=$(grep -o 'restored [0-9]* call(s) in [0-9]* ms' "$2" | tail -1)
		echo "$line" | sed -E 's/restored ([0-9]+) call\(s\) in ([0-9]+) ms/{"n": \1, "ms": \2}/' ;;
	rtpengine)
		line=$(grep -o 'Redis restore time = [0-9.]* ms' "$2" | tail -1)
		echo "$line" | sed -E 's/.*= ([0-9.]+) ms/{"ms": \1}/' ;;
	esac | grep . || echo null
}

# --- restore ------------------------------------------------------------

used_memory() { rcli INFO memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

# restore NAME N: N calls, then ROUNDS restarts; a JSON line each on
# restore.jsonl.
restore() {
	local name=$1 n=$2 logf=$OUT/restore-$1-$2 setup why="" restored own
	local need_fd=$((4 * n + 256)) need_ports=$((4 * n + 64))
	# Seen by relay_start (bash scoping): a range wide enough for N
	# calls, into the ephemeral ports if need be (no phones here).
	local PORT_MAX=$PORT_MAX
	[ $((PORT_MAX - PORT_MIN + 1)) -ge "$need_ports" ] ||
	    PORT_MAX=$((PORT_MIN + need_ports - 1))
	if [ "$need_fd" -gt "$FD_LIMIT" ]; then
		why="needs about $need_fd file descriptors (4 sockets a call), the limit here is $FD_LIMIT (hard limit $(ulimit -Hn); raising it needs CAP_SYS_RESOURCE)"
	elif [ "$PORT_MAX" -gt 65535 ]; then
		why="needs $need_ports media ports from PORT_MIN=$PORT_MIN"
	fi
	if [ -n "$why" ]; then
		printf '{"relay": "%s", "calls": %d, "na": "%s"}\n' "$name" "$n" "$why" >>"$OUT/restore.jsonl"
		return
	fi
	log "$ME: restore $name $n calls"
	rcli FLUSHALL >/dev/null
	relay_up "$name" "$logf.1.log" redis || return
	local mem0 mem1
	mem0=$(used_memory)
	setup=$(python3 "$CALLS_PY" setup --ng "$NG_PORT" --calls "$n")
	# rtproam writes asynchronously: wait until Redis holds every call.
	for _ in $(seq 600); do
		[ "$(rcli -n "$REDIS_DB" DBSIZE)" -ge "$n" ] && break
		sleep 0.05
	done
	mem1=$(used_memory)
	setup="${setup%\}}, \"redis_memory\": $((mem1 - mem0))}"
	# ROUNDS restarts of the same calls: each run restores them all.
	for round in $(seq "$ROUNDS"); do
		crash
		rm -f "$OUT/ready" "$OUT/t0"
		python3 "$CALLS_PY" restored --ng "$NG_PORT" --calls "$n" \
		    --ready "$OUT/ready" --t0 "$OUT/t0" >"$OUT/restored.json" &
		local poller=$!
		for _ in $(seq 500); do [ -s "$OUT/ready" ] && break; sleep 0.01; done
		date +%s%N >"$OUT/t0"
		relay_start "$name" "$logf.r$round.log" redis
		wait "$poller"
		restored=$(cat "$OUT/restored.json")
		own=$(own_restore_line "$name" "$logf.r$round.log")
		printf '{"relay": "%s", "calls": %d, "round": %d, "keys": %s, "setup": %s, "restored": %s, "own": %s}\n' \
		    "$name" "$n" "$round" "$(rcli -n "$REDIS_DB" DBSIZE)" "${setup:-null}" \
		    "${restored:-null}" "$own" >>"$OUT/restore.jsonl"
	done
	stop_relay
}

# --- gap ----------------------------------------------------------------

# gap NAME: RTP through GAP_CALLS calls across a kill -9 and a restart.
gap() {
	local name=$1 logf=$OUT/gap-$1 result t_kill t_start
	log "$ME: gap $name, $GAP_CALLS calls"
	rcli FLUSHALL >/dev/null
	relay_up "$name" "$logf.1.log" redis || return
	rm -f "$OUT/ready"
	python3 "$CALLS_PY" gap --ng "$NG_PORT" --calls "$GAP_CALLS" \
	    --seconds "$GAP_SECONDS" --ready "$OUT/ready" >"$OUT/gap.json" &
	local phones=$!
	for _ in $(seq 2000); do [ -s "$OUT/ready" ] && break; sleep 0.01; done
	# A second of media after the ready mark: learned peers are written.
	sleep 1
	t_kill=$(date +%s%N)
	crash
	relay_start "$name" "$logf.2.log" redis
	t_start=$(date +%s%N)
	wait "$phones"
	result=$(cat "$OUT/gap.json")
	printf '{"relay": "%s", "mode": "restart", "kill_to_exec_ms": %s, "own": %s, "result": %s}\n' \
	    "$name" "$(( (t_start - t_kill) / 1000000 ))" \
	    "$(own_restore_line "$name" "$logf.2.log")" "${result:-null}" >>"$OUT/gap.jsonl"
	stop_relay
}

# takeover_gap NAME: as gap(), but the killed relay is not started again:
# a second rtproam, --ha standby for the same group and media ports (its
# own ng port), takes the calls over once the lease (TAKEOVER_LEASE_MS)
# lapses. kill_to_exec_ms is the kill to the standby's "took over" line.
takeover_gap() {
	local name=$1 logf=$OUT/takeover-$1 result t_kill t_active="" standby own
	if [ "$name" != rtproam ]; then
		printf '{"relay": "%s", "mode": "takeover", "na": "%s"}\n' "$name" \
		    "not measured: rtpengine's standby needs keyspace notifications (--subscribe-keyspace) and a second instance on the same ports" >>"$OUT/gap.jsonl"
		return
	fi
	log "$ME: takeover $name, $GAP_CALLS calls, lease $TAKEOVER_LEASE_MS ms"
	rcli FLUSHALL >/dev/null
	RTPROAM_HA=(--ha-group bench --ha-lease-ms "$TAKEOVER_LEASE_MS")
	relay_up "$name" "$logf.active.log" redis || return
	local active=$RELAY_PID
	"$RTPROAM" -f -F -l 127.0.0.1 --ng "udp:127.0.0.1:$((NG_PORT + 1))" \
	    -m "$PORT_MIN" -M "$PORT_MAX" --delete-delay 0 \
	    --redis "redis://127.0.0.1:$REDIS_PORT/$REDIS_DB" --node-id bench-b \
	    --ha standby "${RTPROAM_HA[@]}" >"$logf.standby.log" 2>&1 &
	standby=$!
	RTPROAM_HA=()
	rm -f "$OUT/ready"
	python3 "$CALLS_PY" gap --ng "$NG_PORT" --calls "$GAP_CALLS" \
	    --seconds "$GAP_SECONDS" --ready "$OUT/ready" >"$OUT/takeover.json" &
	local phones=$!
	for _ in $(seq 2000); do [ -s "$OUT/ready" ] && break; sleep 0.01; done
	sleep 1
	t_kill=$(date +%s%N)
	RELAY_PID=$active
	crash
	for _ in $(seq 1000); do
		if grep -q "took over group" "$logf.standby.log"; then
			t_active=$(date +%s%N)
			break
		fi
		sleep 0.01
	done
	wait "$phones"
	result=$(cat "$OUT/takeover.json")
	own=$(grep -o 'took over group .*: [0-9]* call(s) in [0-9]* ms' "$logf.standby.log" |
	    sed -E 's/.*: ([0-9]+) call\(s\) in ([0-9]+) ms/{"n": \1, "ms": \2}/' | grep . || echo null)
	printf '{"relay": "%s", "mode": "takeover", "kill_to_exec_ms": %s, "own": %s, "result": %s}\n' \
	    "$name" "$(( (${t_active:-$t_kill} - t_kill) / 1000000 ))" "$own" "${result:-null}" >>"$OUT/gap.jsonl"
	kill "$standby" 2>/dev/null
	wait "$standby" 2>/dev/null
}

# --- handover -----------------------------------------------------------

# handover NAME: GAP_CALLS calls, every caller moves to a new port 3 s
# after the ready mark (4 s after the set-up: past rtpengine's learning
# window); Redis INFO from 0.5 s before the move to 1.5 s after it.
handover() {
	local name=$1 logf=$OUT/handover-$1
	log "$ME: handover $name, $GAP_CALLS calls"
	rcli FLUSHALL >/dev/null
	relay_up "$name" "$logf.log" redis || return
	rm -f "$OUT/ready"
	python3 "$CALLS_PY" gap --ng "$NG_PORT" --calls "$GAP_CALLS" \
	    --seconds 6 --move-after 3 --ready "$OUT/ready" >"$OUT/handover.json" &
	local phones=$!
	for _ in $(seq 2000); do [ -s "$OUT/ready" ] && break; sleep 0.01; done
	sleep 2.5
	rcli CONFIG RESETSTAT >/dev/null
	sleep 2
	{ rcli INFO commandstats; rcli INFO stats; } | tr -d '\r' >"$logf.info"
	wait "$phones"
	printf '{"relay": "%s", "mode": "handover", "info": "%s", "result": %s}\n' \
	    "$name" "$logf.info" "$(grep . "$OUT/handover.json" || echo null)" >>"$OUT/handover.jsonl"
	stop_relay
}

# --- life ---------------------------------------------------------------

# life NAME ROUND redis|plain: one ngbench run; Redis INFO after it.
life() {
	local name=$1 round=$2 mode=$3 label=$1 logf
	[ "$mode" = redis ] && label=$1+redis
	logf=$OUT/life-$label-$round
	log "$ME: life $label round $round"
	rcli FLUSHALL >/dev/null
	relay_up "$name" "$logf.log" "$mode" || return
	rcli CONFIG RESETSTAT >/dev/null
	"$NGBENCH" -c "127.0.0.1:$NG_PORT" -p "$RELAY_PID" -l "$label" \
	    --run "$round" -n "$LIFE_CALLS" -t "$LIFE_SECONDS" --no-cold \
	    --record "$OUT/life.rec" >>"$OUT/life.txt" 2>>"$OUT/ngbench.err"
	# rtproam's writes are asynchronous: let the last deletes land.
	sleep 0.5
	{ rcli INFO commandstats; rcli INFO stats; } | tr -d '\r' >"$logf.info"
	stop_relay
}

# --- the run ------------------------------------------------------------

log "$ME: relays [$RELAYS], restore [$RESTORE_CALLS], gap $GAP_CALLS calls," \
    "life $LIFE_CALLS calls x $ROUNDS rounds; file limit $FD_LIMIT; results in $OUT"
: >"$OUT/restore.jsonl"
: >"$OUT/gap.jsonl"
: >"$OUT/handover.jsonl"
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
if part restore; then
	for n in $RESTORE_CALLS; do
		for name in $RELAYS; do restore "$name" "$n"; done
	done
fi
if part gap; then
	for name in $RELAYS; do
		gap "$name"
		takeover_gap "$name"
	done
fi
if part handover; then
	for name in $RELAYS; do handover "$name"; done
fi
if part life; then
	for round in $(seq "$ROUNDS"); do
		for name in $(relay_order "$round"); do
			life "$name" "$round" plain
			life "$name" "$round" redis
		done
	done
fi
stop_redis

python3 "$ROOT/bench/ha_report.py" "$OUT" "$LIFE_SECONDS"
log "$ME: done; logs and records in $OUT"
exit 0
