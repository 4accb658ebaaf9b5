#!/bin/bash
# bench/scale.sh - many concurrent calls set up and relayed at once.
#
# The issue's scale point is 10,000 calls: 40,000 relay sockets (an RTP and
# an RTCP port per leg). A process can only hold as many sockets as its
# descriptor limit allows; rtproam raises that limit to what its port range
# needs, but without CAP_SYS_RESOURCE it cannot go past the hard limit
# (`ulimit -Hn`). When one process cannot hold all the calls, this script
# splits them over the fewest rtproam processes that can, each with its own
# control port and port range, the way an operator would run a set of
# relays behind one Kamailio. Each relay gets its own rtpbench (setup as
# Kamailio does it, media both ways), all at the same time.
#
# It prints one row per relay, then the totals: calls held at once, relay
# sockets open at the peak, packets offered and delivered, loss, memory per
# call. Figures only: nothing here fails on a timing.
#
#	bench/scale.sh [-n CALLS] [-r PPS] [-t SECONDS]
#
# Default: 10000 calls, 5 packets per second per stream (100,000 packets
# per second in all: 2 cores cannot relay 10,000 calls at 50 pps each, and
# every relay on this machine saturates near 100,000 packets per second).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build-bench}
CALLS=10000
RATE=5
DURATION=8
CTL_BASE=${CTL_BASE:-14990}
PORT_BASE=${PORT_BASE:-12000}

usage() {
	sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//; /^set -u/d'
	exit "$1"
}
while [ $# -gt 0 ]; do
	case "$1" in
	-n) CALLS=$2; shift 2 ;;
	-r) RATE=$2; shift 2 ;;
	-t) DURATION=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) usage 2 ;;
	esac
done

build_targets rtproam rtpbench
RTPROAM=$BUILD/src/rtproam
RTPBENCH=$BUILD/bench/rtpbench

# What one process may hold: the relay 4 sockets a call plus 64, the
# generator 2 a call plus 32.
ulimit -n "$(ulimit -Hn)"
HARD=$(ulimit -n)
PER=$(( (HARD - 64) / 4 ))
[ "$PER" -gt 0 ] || { log "scale.sh: descriptor limit $HARD is too low"; exit 1; }
NINST=$(( (CALLS + PER - 1) / PER ))
EACH=$(( (CALLS + NINST - 1) / NINST ))
# A port range per relay: 4 ports a call, 5 % spare for ports in use.
SPAN=$(( (EACH * 4 * 105 / 100 + 1) / 2 * 2 ))
if [ $(( PORT_BASE + NINST * SPAN )) -gt 65535 ]; then
	log "scale.sh: $CALLS calls need $((NINST * SPAN)) ports from $PORT_BASE"
	exit 1
fi
log "scale.sh: $CALLS calls, descriptor limit $HARD per process:" \
    "$NINST relay(s) of $EACH calls, $RATE pps per stream, ${DURATION}s window"

OUT=""
results_dir scale-results

PIDS=""
GENS=""
cleanup() {
	for p in $GENS $PIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $GENS $PIDS; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=""
	GENS=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

for i in $(seq 0 $((NINST - 1))); do
	"$RTPROAM" -f -F -s "udp:127.0.0.1:$((CTL_BASE + i))" -l 127.0.0.1 \
	    -m $((PORT_BASE + i * SPAN)) -M $((PORT_BASE + (i + 1) * SPAN - 1)) \
	    -d info >"$OUT/rtproam-$i.log" 2>&1 &
	PIDS="$PIDS $!"
done
for i in $(seq 0 $((NINST - 1))); do
	for _ in $(seq 100); do
		ss -Hlun "sport = :$((CTL_BASE + i))" | grep -q . && break
		sleep 0.1
	done
done

set -- $PIDS
i=0
for pid in "$@"; do
	"$RTPBENCH" -c "127.0.0.1:$((CTL_BASE + i))" -p "$pid" -n "$EACH" \
	    -r "$RATE" -t "$DURATION" -l "rtproam-$i" --no-cold-round \
	    --record "$RESULTS" --no-header >"$OUT/rtpbench-$i.txt" \
	    2>"$OUT/rtpbench-$i.err" &
	GENS="$GENS $!"
	i=$((i + 1))
done

# The peak of open descriptors per relay, sampled while the benches run.
PEAK=$OUT/peak-fds.txt
: >"$PEAK"
for _ in $(seq $(( (DURATION + 60) * 2 ))); do
	alive=0
	for g in $GENS; do kill -0 "$g" 2>/dev/null && alive=1; done
	[ "$alive" = 1 ] || break
	total=0
	for pid in $PIDS; do
		total=$((total + $(ls /proc/"$pid"/fd 2>/dev/null | wc -l)))
	done
	echo "$total" >>"$PEAK"
	sleep 0.5
done
for g in $GENS; do wait "$g"; done
GENS=""

"$RTPBENCH" --print-header
cat "$OUT"/rtpbench-*.txt
for i in $(seq 0 $((NINST - 1))); do
	grep -h "call limit\|file limit" "$OUT/rtproam-$i.log" | sed "s/^/rtproam-$i: /"
done
sort -n "$PEAK" | tail -1 | awk '{ print "peak descriptors open in the relays:", $1 }'
awk '
	{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	  calls += v["calls"]; off += v["offered_pps"]; del += v["delivered_pps"]
	  lost += v["loss_pct"] * v["sent_pps"] / 100; sent += v["sent_pps"]
	  rss += v["rss_run_kb"] - v["rss_idle_kb"]; fail += v["ctl_fail"]
	  n++ }
	END {
		printf "relays %d, calls %d, offered %.0f pps, delivered %.0f pps", n, calls, off, del
		printf ", loss %.3f %%, control failures %d", (sent > 0 ? 100 * lost / sent : 0), fail
		printf ", relay memory %.2f kB per call\n", (calls > 0 ? rss / calls : 0)
	}' "$RESULTS"
log "scale.sh: records in $RESULTS"
