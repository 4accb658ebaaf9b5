#!/bin/bash
# bench/fastpath-veth.sh - whole-machine CPU per relayed packet on veth:
# rtproam's eBPF fast path against rtproam on sockets, the bare socket
# forwarder, the minimal tc forwarder (tc-min: fwd --tc, address rewrite
# and redirect, nothing else: the limit) and rtpengine (userspace), issue
# 13's method.
#
#   bench/fastpath-veth.sh                 500 and 1000 calls, 3 rounds
#   bench/fastpath-veth.sh -n 500 -r 1 -t 5 --rps
#   bench/fastpath-veth.sh -n 500 -r 3 --rps --split --relays "tc-min rtproam-ebpf"
#
# On loopback an in-kernel redirect charges its cost to the sender, so the
# relay's own CPU means nothing for the fast path. Here the generator
# (rtpbench) and the relay run in two network namespaces joined by a veth
# pair (198.18.0.0/16), and the figure is the busy time of every core
# (user, system, irq, softirq from /proc/stat, rtpbench --whole-machine)
# in the measured window per delivered packet, minus a generator-only
# baseline of the same round: the same load sent to a relay namespace
# whose nftables drop the media (the bare forwarder answers the control
# commands). Without --rps the veth receive work runs on the sending CPU,
# as on loopback; --rps moves each side's receive to the other CPU
# (rps_cpus), which makes every packet pay an inter-processor wake-up.
#
# The busy time is the whole machine's, so other processes' work in the
# window is charged to the relay measured: rtpbench reports their user
# time (other_user_ms) and a round over OTHER_MAX_MS is left out. --split
# also prints, per run, each CPU's time, softirqs, IPIs and the tc
# program's run time per forwarded packet.
#
# Relays alternate within a round (relay_order). Root only; the
# namespaces are removed on exit. Prints figures; never fails on a timing.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ME=fastpath-veth.sh
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build-bench}
CALLS="500 1000"
REPS=3
DURATION=5
WARMUP=1
RPS=0
SPLIT=0
RELAYS="rtproam-ebpf tc-min rtproam bare rtpengine"
RELAY_CPU=${RELAY_CPU:-0}
# User time other processes may run in a measured window before the round
# is left out (clock ticks: 10 ms each, a few are rounding).
OTHER_MAX_MS=${OTHER_MAX_MS:-100}
GEN_CPU=${GEN_CPU:-1}
OUT=""
CTL_PORT=13990
PORT_MIN=14000
RELAY_IP=198.18.0.1
GEN_IP=198.18.0.2
PHONE_NET=198.18.1.
TAG=rfb$$
NS_GEN=${TAG}gen
NS_RELAY=${TAG}relay

while [ $# -gt 0 ]; do
	case "$1" in
	-n) CALLS=$2; shift ;;
	-r) REPS=$2; shift ;;
	-t) DURATION=$2; shift ;;
	--relays) RELAYS=$2; shift ;;
	--rps) RPS=1 ;;
	--split) SPLIT=1 ;;
	-o) OUT=$2; shift ;;
	*) log "usage: $ME [-n \"500 1000\"] [-r REPS] [-t S] [--rps] [--split]" \
	       "[--relays \"rtproam-ebpf tc-min rtproam bare rtpengine\"] [-o DIR]"
	   exit 2 ;;
	esac
	shift
done
# Four ports a call (two legs, RTP and RTCP each), with room to spare: a
# range too small set up only part of the calls asked.
max_calls=0
for c in $CALLS; do [ "$c" -gt "$max_calls" ] && max_calls=$c; done
PORT_MAX=$((PORT_MIN + 4 * max_calls + 399))
if [ "$(id -u)" -ne 0 ]; then
	log "$ME: needs root (network namespaces, the tc program)"
	exit 1
fi
need_tools ip nft taskset ss python3
if ! have_rtpengine; then
	log "$ME: no rtpengine; measuring the others only"
	RELAYS=$(echo "$RELAYS" | sed 's/rtpengine//')
fi
build_targets rtproam rtpbench fwd
RTPROAM=$BUILD/src/rtproam
RTPBENCH=$BUILD/bench/rtpbench
FWD=$BUILD/bench/fwd
results_dir fastpath-veth
raise_fd_limit

# --- The two namespaces ------------------------------------------------------

BPF_STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled 2>/dev/null || echo 0)
cleanup() {
	stop_relay
	[ "$SPLIT" = 1 ] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_WAS"
	ip netns del "$NS_GEN" 2>/dev/null
	ip netns del "$NS_RELAY" 2>/dev/null
}
trap 'cleanup' EXIT
trap 'cleanup; exit 130' INT TERM

in_gen() { ip netns exec "$NS_GEN" "$@"; }
in_relay() { ip netns exec "$NS_RELAY" "$@"; }

ip netns add "$NS_GEN" && ip netns add "$NS_RELAY" || exit 1
ip link add g0 netns "$NS_GEN" type veth peer r0 netns "$NS_RELAY" || exit 1
in_gen ip addr add "$GEN_IP/16" dev g0
for k in $(seq 10 25); do
	in_gen ip addr add "$PHONE_NET$k/16" dev g0
done
in_relay ip addr add "$RELAY_IP/16" dev r0
for ns in "$NS_GEN" "$NS_RELAY"; do
	ip netns exec "$ns" ip link set lo up
done
in_gen ip link set g0 up
in_relay ip link set r0 up
if [ "$RPS" = 1 ]; then
	# Each side's receive on the other side's CPU (ip netns exec mounts
	# the namespace's own /sys).
	in_relay sh -c "printf %x $((1 << RELAY_CPU)) > /sys/class/net/r0/queues/rx-0/rps_cpus"
	in_gen sh -c "printf %x $((1 << GEN_CPU)) > /sys/class/net/g0/queues/rx-0/rps_cpus"
fi
RELAY_NETNS=$NS_RELAY

# --- Relays ---------------------------------------------------------------

# start_relay NAME LOG: in the relay namespace, on the relay core. Not
# through in_relay: $! must be the relay itself (ip netns exec and taskset
# exec it), so that stop_relay stops it by its PID.
start_relay() {
	local name=$1 logf=$2
	case "$name" in
	rtproam|rtproam-ebpf)
		local fast=off
		[ "$name" = rtproam-ebpf ] && fast=ebpf
		ip netns exec "$NS_RELAY" taskset -c "$RELAY_CPU" "$RTPROAM" -f -F \
		    -s "udp:$RELAY_IP:$CTL_PORT" -l "$RELAY_IP" \
		    -m "$PORT_MIN" -M "$PORT_MAX" --workers 1 -d info \
		    --fast-path "$fast" >"$logf" 2>&1 &
		;;
	rtpengine)
		ip netns exec "$NS_RELAY" taskset -c "$RELAY_CPU" rtpengine --config-file=none \
		    --table=-1 --interface="$RELAY_IP" \
		    --listen-udp="$RELAY_IP:$CTL_PORT" \
		    --port-min="$PORT_MIN" --port-max="$PORT_MAX" \
		    --num-threads=1 --delete-delay=0 --foreground --log-stderr \
		    --log-level=4 >"$logf" 2>&1 &
		;;
	bare|gen-only|tc-min)
		# tc-min: fwd latches each leg on its sockets, then its tc
		# program on r0 carries the call's RTP.
		local tc=""
		[ "$name" = tc-min ] && tc="--tc r0"
		# shellcheck disable=SC2086
		ip netns exec "$NS_RELAY" taskset -c "$RELAY_CPU" "$FWD" -s "udp:$RELAY_IP:$CTL_PORT" \
		    -l "$RELAY_IP" -m "$PORT_MIN" -M "$PORT_MAX" $tc >"$logf" 2>&1 &
		;;
	*)
		log "$ME: unknown relay $name"; return 1 ;;
	esac
	RELAY_PID=$!
	wait_relay "$CTL_PORT" "$name" "$logf" 0.3
}

# The baseline drops the media before any socket sees it.
media_drop() {
	if [ "$1" = on ]; then
		printf 'table ip rtproam_bench {\n chain pre {\n  type filter hook prerouting priority raw; policy accept;\n  udp dport %s-%s drop\n }\n}\n' \
		    "$PORT_MIN" "$PORT_MAX" | in_relay nft -f -
	else
		in_relay nft delete table ip rtproam_bench 2>/dev/null
	fi
}

# snapshot FILE: with --split, what the whole run cost where: per-CPU
# /proc/stat, the softirq and IPI counters, and the tc programs' run time
# (kernel.bpf_stats_enabled). Taken before and after each rtpbench run.
snapshot() {
	[ "$SPLIT" = 1 ] || return 0
	{
		grep '^cpu[0-9]' /proc/stat
		grep -E 'NET_RX|NET_TX' /proc/softirqs
		grep -E '^ *(CAL|RES):' /proc/interrupts
		bpftool prog show 2>/dev/null |
		    grep -E 'name (tcfwd|rtproam_fastpath) ' |
		    sed 's/.*name \([a-z_]*\) .*run_time_ns \([0-9]*\) run_cnt \([0-9]*\).*/prog \1 \2 \3/'
	} >"$1"
}

NMEAS=0
# measure NAME RUN CALLS: one fresh relay, one rtpbench run (JSON kept).
measure() {
	local name=$1 run=$2 calls=$3
	NMEAS=$((NMEAS + 1))
	[ "$name" = gen-only ] && media_drop on
	if start_relay "$name" "$OUT/$NMEAS-$name.log"; then
		if [ "$name" = rtproam-ebpf ] &&
		    ! grep -q "fast path: eBPF program attached" "$OUT/$NMEAS-$name.log"; then
			log "$ME: the fast path did not attach: $(tail -n 3 "$OUT/$NMEAS-$name.log")"
		fi
		if [ "$name" = tc-min ] &&
		    ! grep -q "tc program attached" "$OUT/$NMEAS-$name.log"; then
			log "$ME: tc-min did not attach: $(tail -n 3 "$OUT/$NMEAS-$name.log")"
		fi
		snapshot "$OUT/$NMEAS-$name.split0"
		in_gen taskset -c "$GEN_CPU" "$RTPBENCH" -c "$RELAY_IP:$CTL_PORT" \
		    --phone-net "$PHONE_NET" --whole-machine -p "$RELAY_PID" \
		    -l "$name" --run "$run" -n "$calls" -t "$DURATION" \
		    -w "$WARMUP" --json 2>>"$OUT/rtpbench.err" |
		    sed "s/^{/{\"relay\":\"$name\",\"calls_asked\":$calls,/" \
		    >>"$OUT/results.jsonl"
		snapshot "$OUT/$NMEAS-$name.split1"
		# A failed map write leaves that call on fwd's sockets.
		if [ "$name" = tc-min ] &&
		    grep -q "stays on sockets" "$OUT/$NMEAS-$name.log"; then
			log "$ME: tc-min: $(grep -c "stays on sockets" "$OUT/$NMEAS-$name.log") call(s) stayed on sockets"
		fi
		stop_relay
	fi
	[ "$name" = gen-only ] && media_drop off
}

[ "$SPLIT" = 1 ] && sysctl -qw kernel.bpf_stats_enabled=1
log "$ME: calls \"$CALLS\", $REPS round(s), ${DURATION} s, rps $RPS, relays: $RELAYS; results in $OUT"
for calls in $CALLS; do
	for run in $(seq "$REPS"); do
		measure gen-only "$run" "$calls"
		for name in $(relay_order "$run"); do
			measure "$name" "$run" "$calls"
		done
	done
done

# --- Figures --------------------------------------------------------------

python3 - "$OUT/results.jsonl" "$RPS" "$OTHER_MAX_MS" <<'PY'
import json, statistics, sys
from collections import defaultdict

other_max = float(sys.argv[3])
rows = []
for l in open(sys.argv[1]):
    if not l.strip():
        continue
    r = json.loads(l)
    # A round that set up fewer calls than asked measures another load.
    if r.get("calls", 0) < r["calls_asked"]:
        print(f"left out: {r['relay']} round {r['run']} set up {r.get('calls')} "
              f"of {r['calls_asked']} calls", file=sys.stderr)
        continue
    # Busy time is whole-machine: another process's work in the window
    # would be charged to this relay (a shared machine made tc-min look
    # dearer than rtproam's program on 3 Dec). Such a round is left out.
    other = r.get("other_user_ms")
    if other is not None and other > other_max:
        print(f"left out: {r['relay']} round {r['run']}: other processes ran "
              f"{other:.0f} ms of user time in the window (limit {other_max:.0f})",
              file=sys.stderr)
        continue
    rows.append(r)
rps = sys.argv[2] == "1"
base = {(r["calls_asked"], r["run"]): r for r in rows if r["relay"] == "gen-only"}
net = defaultdict(list)
info = defaultdict(list)
for r in rows:
    b = base.get((r["calls_asked"], r["run"]))
    if r["relay"] == "gen-only" or not b or not r.get("core_us_pkt") \
            or not r.get("core_busy_s"):
        continue
    # core_us_pkt = busy / delivered in the same window, so the busy time
    # above the generator-only round, per delivered packet, is:
    net_us = r["core_us_pkt"] * (r["core_busy_s"] - b["core_busy_s"]) \
        / r["core_busy_s"]
    key = (r["calls_asked"], r["relay"])
    net[key].append(net_us)
    info[key].append((r["loss_pct"], r["p99_us"], r["core_us_pkt"]))

print(f"\nwhole-machine CPU per delivered packet, net of the generator-only "
      f"round ({'receive steered by RPS' if rps else 'receive on the sending CPU'}); "
      f"medians over rounds")
print(f"{'calls':>5} {'relay':<13} {'net_us/pkt':>10} {'gross_us/pkt':>12} "
      f"{'loss%':>7} {'p99us':>8} {'rounds':>6}")
for (calls, relay) in sorted(net):
    v = net[(calls, relay)]
    loss = statistics.median(x[0] for x in info[(calls, relay)])
    p99 = statistics.median(x[1] for x in info[(calls, relay)])
    gross = statistics.median(x[2] for x in info[(calls, relay)])
    print(f"{calls:>5} {relay:<13} {statistics.median(v):>10.2f} {gross:>12.2f} "
          f"{loss:>7.3f} {p99:>8.1f} {len(v):>6}")
for calls in sorted({c for c, _ in net}):
    def med(relay):
        v = net.get((calls, relay))
        return statistics.median(v) if v else None
    fast = med("rtproam-ebpf")
    for ref in ("tc-min", "rtproam", "bare", "rtpengine"):
        r = med(ref)
        if fast is not None and r:
            print(f"{calls:>5} rtproam-ebpf / {ref}: {fast / r:.2f}x")
PY

# --split: per run (set-up, warm-up, window and drain, not the window
# alone), where the time went, per packet the tc program ran for.
[ "$SPLIT" = 1 ] || exit 0
python3 - "$OUT" <<'PY'
import glob, os, sys

def read(path):
    d = {"prog": (0, 0)}
    for l in open(path):
        w = l.split()
        if w[0].startswith("cpu"):
            v = list(map(int, w[1:9]))	# user nice system idle iowait irq softirq steal
            d[w[0]] = {"usr": v[0] + v[1], "sys": v[2], "sirq": v[6],
                       "idle": v[3] + v[4], "steal": v[7]}
        elif w[0] in ("NET_RX:", "CAL:", "RES:"):
            d[w[0][:-1]] = list(map(int, w[1:3]))
        elif w[0] == "prog":
            d["prog"] = (int(w[2]), int(w[3]))
    return d

hz = os.sysconf("SC_CLK_TCK")
print("\n--split: each run whole, per packet the tc program ran for "
      "(µs of CPU time; interrupts and softirqs counted per packet)")
print(f"{'run':<18} {'pkts':>7} {'prog_ns':>7} {'cpu0 usr/sys/sirq/idle':>23} "
      f"{'cpu1 usr/sys/sirq/idle':>23} {'NET_RX 0/1':>10} {'CAL 0/1':>10} "
      f"{'RES 0/1':>10}")
runs = glob.glob(os.path.join(sys.argv[1], "*.split0"))
for f0 in sorted(runs, key=lambda p: int(os.path.basename(p).split("-")[0])):
    f1 = f0[:-1] + "1"
    if not os.path.exists(f1):
        continue
    a, b = read(f0), read(f1)
    pk = b["prog"][1] - a["prog"][1]
    n = max(pk, 1)
    ns = (b["prog"][0] - a["prog"][0]) / n
    def cpu(c):
        return "/".join(f"{(b[c][k] - a[c][k]) * 1e6 / hz / n:.1f}"
                        for k in ("usr", "sys", "sirq", "idle"))
    def per(k):
        return "/".join(f"{(b[k][i] - a[k][i]) / n:.2f}" for i in (0, 1))
    print(f"{os.path.basename(f0)[:-7]:<18} {pk:>7} {ns:>7.0f} {cpu('cpu0'):>23} "
          f"{cpu('cpu1'):>23} {per('NET_RX'):>10} {per('CAL'):>10} {per('RES'):>10}")
PY
