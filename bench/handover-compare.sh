#!/bin/bash
# bench/handover-compare.sh - the same rtproam-sim handover and attack
# scenarios against rtproam and against rtpengine (userspace), then one
# table. The call is driven over the rtpproxy protocol (rtpengine's
# --listen-udp) or, with --protocol ng, over the ng protocol (rtproam's
# --ng, rtpengine's --listen-ng). See docs/handover.md.
#
#   bench/handover-compare.sh                  both relays, every scenario
#   bench/handover-compare.sh --relays rtproam
#   bench/handover-compare.sh --only "ipport slow slow+move"
#   bench/handover-compare.sh --protocol ng
#
# One relay runs at a time, started here and stopped by its PID. Each
# scenario is one rtproam-sim run of DURATION seconds with a fixed seed,
# the same for both relays (same phone addresses, SSRCs, Call-ID).
# Loopback only. The script prints figures; it never fails on a number.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ME=handover-compare
. "$ROOT/bench/relay-lib.sh"
BUILD=${BUILD:-$ROOT/build}
DURATION=${DURATION:-5}
RELAYS="rtproam rtpengine"
ONLY=""
PROTOCOL=rtpp
# Media above Linux's ephemeral ports and the integration tests' ranges.
CTL_PORT=${CTL_PORT:-22870}
PORT_MIN=${PORT_MIN:-65000}
PORT_MAX=${PORT_MAX:-65499}
OUT=""

usage() {
	cat <<EOF
usage: bench/handover-compare.sh [options]
  --relays "..."   subset of: rtproam rtpengine [$RELAYS]
  --only "..."     scenario names to run [all]
  --protocol P     control protocol, rtpp or ng [$PROTOCOL]
  --list           print the scenarios and exit
  -t S             seconds of media per run [$DURATION]
  -o DIR           keep the JSON and logs there [a temporary directory]
Environment: BUILD (where src/rtproam and tools/rtproam-sim are built)
             CTL_PORT PORT_MIN PORT_MAX
EOF
	exit 2
}

# name|rtproam-sim arguments. Phone A moves; a move's figures are taken
# within +-1 s of it. The back move returns at 2800 ms, inside rtpengine's
# learning window (3 to 4 s after the last U/L). Attacks use the simulator's defaults (floods: 1000
# pps from 32 ports; the others 50 pps from one; race starts 500 ms early).
SCENARIOS='
ipport|--move 2000:ipport
port|--move 2000:port
late-4000|--move 4000:ipport
newssrc|--move 2000:ipport:newssrc
overlap|--move 2000:ipport:overlap=500
silence|--move 2000:ipport:silence=600
back|--move 1500:ipport --move 2800:back
reinvite|--move 2000:ipport:reinvite
garbage|--attack garbage
garbage+move|--attack garbage --move 2000:ipport
rtpflood|--attack rtpflood
rtpflood+move|--attack rtpflood --move 2000:ipport
slow|--attack slow
slow+move|--attack slow --move 2000:ipport
race|--attack race
race+move|--attack race --move 2000:ipport
rtcpreplay|--attack rtcpreplay
rtcpreplay+move|--attack rtcpreplay --move 2000:ipport
ssrcguess|--attack ssrcguess
ssrcguess+move|--attack ssrcguess --move 2000:ipport
reinvite+slow|--move 2000:ipport:reinvite --attack slow:start=2010
reinvite+rtpflood|--move 2000:ipport:reinvite --attack rtpflood:start=2010
'

while [ $# -gt 0 ]; do
	case "$1" in
	--relays) RELAYS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--protocol) PROTOCOL=$2; shift ;;
	--list) printf '%s\n' "$SCENARIOS" | sed '/^$/d; s/|/   /'; exit 0 ;;
	-t) DURATION=$2; shift ;;
	-o) OUT=$2; shift ;;
	*) usage ;;
	esac
	shift
done

# The relays' control option and the simulator's --relay, per protocol.
case "$PROTOCOL" in
rtpp)
	RTPROAM_CTL="-s udp:127.0.0.1:$CTL_PORT"
	RTPENGINE_CTL="--listen-udp=127.0.0.1:$CTL_PORT"
	SIM_RELAY="udp:127.0.0.1:$CTL_PORT"
	;;
ng)
	RTPROAM_CTL="--ng udp:127.0.0.1:$CTL_PORT"
	RTPENGINE_CTL="--listen-ng=127.0.0.1:$CTL_PORT"
	SIM_RELAY="ng:udp:127.0.0.1:$CTL_PORT"
	;;
*)
	log "handover-compare: --protocol wants rtpp or ng"; usage ;;
esac

# --- Prerequisites -------------------------------------------------------

RTPROAM=$BUILD/src/rtproam
SIM=$BUILD/tools/rtproam-sim
for f in "$RTPROAM" "$SIM"; do
	if [ ! -x "$f" ]; then
		log "handover-compare: $f is not built; try" \
		    "cmake --build $BUILD --target rtproam rtproam-sim"
		exit 1
	fi
done
case " $RELAYS " in
*" rtpengine "*)
	if ! have_rtpengine; then
		log "handover-compare: no rtpengine; rtproam only"
		RELAYS=rtproam
	fi
	;;
esac
need_tools ss python3 timeout

if [ -z "$OUT" ]; then
	OUT=$(mktemp -d /tmp/handover-compare.XXXXXX) || exit 1
fi
mkdir -p "$OUT" || exit 1

# --- Relays --------------------------------------------------------------

# start_relay NAME: start it, wait until its control port is bound.
start_relay() {
	local name=$1 logf=$OUT/$1.log
	if ss -Hlun "sport = :$CTL_PORT" 2>/dev/null | grep -q .; then
		log "handover-compare: UDP port $CTL_PORT is taken; set CTL_PORT"
		return 1
	fi
	case "$name" in
	rtproam)
		# Defaults otherwise: handover policy probation.
		# $RTPROAM_CTL is two words: the option and its socket.
		# shellcheck disable=SC2086
		start_rtproam "$logf" $RTPROAM_CTL -m "$PORT_MIN" -M "$PORT_MAX"
		;;
	rtpengine)
		# Its default endpoint learning (delayed: 3 s).
		start_rtpengine "$logf" "$RTPENGINE_CTL" \
		    --port-min="$PORT_MIN" --port-max="$PORT_MAX" \
		    --delete-delay=0 --log-level=5
		;;
	*)
		log "handover-compare: unknown relay $name"; return 1 ;;
	esac
	wait_relay "$CTL_PORT" "$name" "$logf" 0.3
}

# --- The runs ------------------------------------------------------------

selected() {
	[ -z "$ONLY" ] && return 0
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

nsc=0
while IFS='|' read -r name args; do
	[ -n "$name" ] && selected "$name" && nsc=$((nsc + 1))
done <<<"$SCENARIOS"
set -- $RELAYS
log "handover-compare: $nsc scenarios x $# relays x ${DURATION}s" \
    "over $PROTOCOL, results in $OUT"

for relay in $RELAYS; do
	start_relay "$relay" || continue
	seed=100
	while IFS='|' read -r name args; do
		[ -n "$name" ] || continue
		seed=$((seed + 1))
		selected "$name" || continue
		log "handover-compare: $relay $name"
		# A run ends by itself after DURATION + 0.4 s, plus at most
		# a few seconds of control retransmissions; timeout is the
		# backstop.
		timeout -k 2 $((DURATION + 20)) "$SIM" \
		    --relay "$SIM_RELAY" --seed "$seed" \
		    --duration "$DURATION" --callid "hc-$seed-$name" $args \
		    --json "$OUT/$relay.$name.json" \
		    </dev/null >"$OUT/$relay.$name.txt" \
		    2>"$OUT/$relay.$name.err"
		echo $? >"$OUT/$relay.$name.rc"
		if ! kill -0 "$RELAY_PID" 2>/dev/null; then
			log "handover-compare: $relay died, see $OUT/$relay.log"
			RELAY_PID=""
			break
		fi
	done <<<"$SCENARIOS"
	stop_relay
done

# --- The table -----------------------------------------------------------

python3 - "$OUT" "$RELAYS" "$ONLY" "$SCENARIOS" "$PROTOCOL" <<'EOF'
import json, os, sys

out, relays, only = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
names = [l.split('|')[0] for l in sys.argv[4].splitlines() if l]
protocol = sys.argv[5]
if only:
    names = [n for n in names if n in only]

def yn(b):
    return 'yes' if b else 'no'

hdr = ('scenario', 'relay', 'move', 'up', 'down', 'sw pkts u/d',
       'lost u/d', 'call lost a>b/b>a', 'leaked', 'injected')
rows = []
for n in names:
    for r in relays:
        base = os.path.join(out, '%s.%s' % (r, n))
        try:
            rc = open(base + '.rc').read().strip()
        except OSError:
            continue
        try:
            j = json.load(open(base + '.json'))
        except (OSError, ValueError):
            rows.append((n, r, '-', 'run failed (exit %s)' % rc))
            continue
        if not j['setup']['done']:
            rows.append((n, r, '-', 'call setup failed'))
            continue
        d = j['directions']
        call = '%d/%d' % (d['a_to_b']['lost'], d['b_to_a']['lost'])
        a = j['attack']
        if a is None:
            leak = inj = '-'
        else:
            leak = str(a['leaked_from_a'] + a['leaked_from_b'])
            # Everything at the phones their peer did not send: the
            # attacker's marked packets and unrecognisable ones (garbage).
            inj = '%d+%d' % (
                d['a_to_b']['injected'] + d['b_to_a']['injected'],
                d['a_to_b']['rtcp_injected'] + d['b_to_a']['rtcp_injected'])
        moves = j['moves'] or [None]
        for k, m in enumerate(moves):
            if m is None:
                rows.append((n, r, '-', '-', '-', '-', '-', call, leak, inj))
                continue
            rows.append((n, r, '%d:%s' % (m['at_ms'], m['kind']),
                yn(m['uplink_switched']), yn(m['downlink_switched']),
                '%d/%d' % (m['uplink_switch_pkts'],
                           m['downlink_switch_pkts']),
                '%d/%d' % (m['lost_up'], m['lost_down']),
                call if k == 0 else '', leak if k == 0 else '',
                inj if k == 0 else ''))

w = [len(h) for h in hdr]
for row in rows:
    for i, c in enumerate(row):
        if len(row) == len(hdr):
            w[i] = max(w[i], len(c))
def line(row):
    if len(row) < len(hdr):
        return '  '.join(c.ljust(w[i]) for i, c in enumerate(row[:3])) + \
            '  ' + row[3]
    return '  '.join(c.ljust(w[i]) for i, c in enumerate(row)).rstrip()
print('control protocol: %s' % protocol)
print(line(hdr))
print('  '.join('-' * x for x in w))
prev = None
for row in rows:
    if prev is not None and row[0] != prev:
        print()
    prev = row[0]
    print(line(row))
print('''
up/down      the mover's packets from its new address reached the other
             phone / the other phone's media reached the new address
sw pkts u/d  mover's packets sent from the new address before the first
             that arrived / other phone's packets sent from then until
             one arrived there (all of the period if none did)
lost u/d     mover's / other phone's packets sent within +-1 s of the
             move and never received
call lost    whole call, per direction
leaked       phones' packets the relay sent to the attacker
injected     packets the phones received that their peer did not send
             (the attacker's, or unrecognisable), RTP+RTCP''')
EOF
exit 0
