# bench/relay-lib.sh - sourced by run.sh and handover-compare.sh: the one
# relay they run at a time, stopped by its PID (TERM, up to 5 s, KILL).

RELAY_PID=""

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
