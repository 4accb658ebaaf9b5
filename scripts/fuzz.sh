#!/bin/sh
# Build the libFuzzer targets (fuzz/) with clang and run each one for
# FUZZ_SECONDS (default 60) over a copy of its seed corpus, with ASan and
# UBSan, two targets at a time. FUZZ_SECONDS=0 only replays the corpus.
# Exits 1 if any target crashes (or overruns its time bound), naming the
# input that did it. Installs nothing: deps.sh does.
set -eu
cd "$(dirname "$0")/.."

secs=${FUZZ_SECONDS:-60}
case $secs in
''|*[!0-9]*)
	echo "fuzz.sh: FUZZ_SECONDS must be a number of seconds" >&2
	exit 2
	;;
esac
out=build-fuzz

CC=${FUZZ_CC:-clang-14} cmake -S . -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DRTPROAM_FUZZ=ON -DRTPROAM_TESTS=OFF >/dev/null
cmake --build "$out" -j"$(nproc)" --target fuzz

: "${UBSAN_OPTIONS:=print_stacktrace=1}"
export UBSAN_OPTIONS
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
	ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
	export ASAN_SYMBOLIZER_PATH
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
failed=0

# Two targets at a time (a CI runner has two cores), each bounded by
# timeout(1): FUZZ_SECONDS of fuzzing, plus time to load and replay its
# corpus and write the final stats. A fuzzer that overruns that counts as
# a failure instead of stalling CI.
bound=$((secs + 120))

# start TARGET MAXLEN: run one fuzzer in the background; its pid in $!.
start() {
	t=$1
	art=$out/artifacts/$t
	rm -rf "$art"
	mkdir -p "$art" "$out/logs"
	cp -R "fuzz/corpus/$t" "$work/$t"
	if [ "$secs" -eq 0 ]; then
		limit=-runs=0
	else
		limit=-max_total_time=$secs
	fi
	timeout -k 10 "$bound" nice -n 10 "$out/fuzz/$t" "$limit" -max_len="$2" \
	    -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" "$work/$t" \
	    >"$out/logs/$t.log" 2>&1 &
}

# report TARGET STATUS: one line when it went well, the evidence if not.
report() {
	t=$1
	log=$out/logs/$t.log
	art=$out/artifacts/$t
	if [ "$2" -eq 0 ]; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
		echo "fuzz.sh: $t: ok, ${runs:-?} runs in ${secs}s, $cov"
		return 0
	fi
	failed=1
	if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
		echo "fuzz.sh: $t: FAILED, still running after ${bound}s (log: $log)" >&2
	else
		echo "fuzz.sh: $t: FAILED (log: $log)" >&2
	fi
	tail -n 40 "$log" >&2
	for f in "$art"/*; do
		[ -e "$f" ] && echo "fuzz.sh: $t: crashing input: $f" >&2
	done
	return 0
}

# target and the longest input worth trying: a control command may be
# 8 KiB plus its cookie; a datagram a little over an MTU shows every RTP
# and RTCP length rule; 4 KiB of latch events is a call of ~250 packets;
# an ng document, and the SDP in it, may fill a whole UDP datagram; a
# Redis record of a few media is a few KiB.
set -- fuzz_ctl_parse:8400 fuzz_rtp:2048 fuzz_rtcp:2048 fuzz_latch:4096 \
    fuzz_bencode:65536 fuzz_sdp:65536 fuzz_ng:65536 fuzz_store_record:8192
while [ $# -gt 0 ]; do
	t1=${1%%:*}
	start "$t1" "${1#*:}"
	p1=$!
	shift
	t2=
	if [ $# -gt 0 ]; then
		t2=${1%%:*}
		start "$t2" "${1#*:}"
		p2=$!
		shift
	fi
	rc=0
	wait "$p1" || rc=$?
	report "$t1" "$rc"
	if [ -n "$t2" ]; then
		rc=0
		wait "$p2" || rc=$?
		report "$t2" "$rc"
	fi
done
exit $failed
