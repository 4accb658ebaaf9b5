#!/bin/bash
# bench/nat-compare.sh - the e2e NAT scenario (tests/e2e/test_baresip_nat.py)
# against rtproam and against rtpengine, then one table.
#
#   bench/nat-compare.sh                    both relays, one call each
#   bench/nat-compare.sh -r 3               three calls per relay
#   bench/nat-compare.sh --relays rtpengine
#
# Each run: two baresip phones, Kamailio with its rtpproxy module in front
# of the relay (rtpengine through its rtpproxy-compatible --listen-udp),
# the caller behind a NAT router that moves it to another uplink 5 s into
# the call with no SIP message, an attacker spraying the relay's ports.
# All in network namespaces made and removed by tests/e2e/nat_lab.py
# (198.18.0.0/15 only). Needs root. Prints figures; never fails on one.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
RELAYS="rtproam rtpengine"
REPEAT=1
OUT=""

usage() {
	cat <<EOF
usage: bench/nat-compare.sh [options]
  --relays "..."   subset of: rtproam rtpengine [$RELAYS]
  -r N             calls per relay [$REPEAT]
  -o DIR           keep the JSON, captures and logs there [a temp dir]
Environment: BUILD (where src/rtproam is built) [$BUILD]
EOF
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--relays) RELAYS=$2; shift ;;
	-r) REPEAT=$2; shift ;;
	-o) OUT=$2; shift ;;
	*) usage ;;
	esac
	shift
done

log() { printf '%s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	log "nat-compare: needs root (network namespaces, NAT rules)"
	exit 1
fi
if [ -z "$OUT" ]; then
	OUT=$(mktemp -d /tmp/nat-compare.XXXXXX) || exit 1
fi
mkdir -p "$OUT" || exit 1

for relay in $RELAYS; do
	case "$relay" in
	rtproam) bin=$BUILD/src/rtproam ;;
	rtpengine) bin=$(command -v rtpengine) ;;
	*) log "nat-compare: unknown relay $relay"; exit 2 ;;
	esac
	if [ ! -x "$bin" ]; then
		log "nat-compare: no $relay binary (${bin:-not installed}); skipped"
		continue
	fi
	for i in $(seq "$REPEAT"); do
		log "nat-compare: $relay, call $i"
		# nat_lab.py stops what it started and removes its namespaces
		# itself, also on failure; timeout is the backstop.
		timeout -k 5 120 python3 "$ROOT/tests/e2e/nat_lab.py" \
		    --relay "$relay" --relay-bin "$bin" \
		    --workdir "$OUT/$relay.$i" --json "$OUT/$relay.$i.json" \
		    </dev/null >"$OUT/$relay.$i.txt" 2>&1 ||
		    log "nat-compare: $relay call $i failed, see $OUT/$relay.$i.txt"
	done
done

python3 - "$OUT" "$RELAYS" "$REPEAT" <<'EOF'
import json, sys

out, relays, repeat = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
hdr = ('relay', 'call', 'A>B resumed', 'B>A resumed', 'lost A>B/B>A',
       'after move A>B', 'after move B>A', 'tone A>B/B>A',
       'attacker got', 'injected')
rows = []
for r in relays:
    for i in range(1, repeat + 1):
        try:
            j = json.load(open('%s/%s.%d.json' % (out, r, i)))
        except (OSError, ValueError):
            rows.append((r, str(i), 'run failed') + ('',) * 7)
            continue
        up, dn = j['uplink'], j['downlink']

        def res(d):
            return 'never' if d['resume_pkts'] is None else \
                '%d pkts' % d['resume_pkts']
        a = j.get('attack') or {}
        rows.append((r, str(i), res(up), res(dn),
            '%d/%d' % (up['lost_around_move'], dn['lost_around_move']),
            '%d/%d' % (up['delivered_after'], up['sent_after']),
            '%d/%d' % (dn['delivered_after'], dn['sent_after']),
            '%d/%d' % (up['tone_pkts_after'], dn['tone_pkts_after']),
            '%s/%s' % (a.get('received', '-'), a.get('sent', '-')),
            '%d/%d' % (up['injected'], dn['injected'])))
w = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(hdr)]
print('| ' + ' | '.join(h.ljust(w[k]) for k, h in enumerate(hdr)) + ' |')
print('|' + '|'.join('-' * (x + 2) for x in w) + '|')
for row in rows:
    print('| ' + ' | '.join(c.ljust(w[k]) for k, c in enumerate(row)) + ' |')
print('''
resumed        packets the phone sent after the move that were lost before
               the first one reached the other phone ("never": none did)
lost           packets sent from 0.2 s before to 1 s after the move that
               never arrived, caller to callee / callee to caller
after move     delivered/sent, from the move to the hangup
tone           received packets after the move that carry the sender's
               tone (700 Hz from A, 1300 Hz from B)
attacker got   datagrams the attacker received / sent
injected       packets carrying the attacker's mark that reached
               B (A>B) / A (B>A)''')
EOF
exit 0
