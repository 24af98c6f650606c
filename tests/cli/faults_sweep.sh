#!/usr/bin/env bash
# Deterministic fault sweep over the daemon's writes (issue 14). A fixed workload (unlock,
# three events, an import of 4 cases and 8 events, one more event) runs against a daemon
# started under strace, which at the Nth call of one system call either kills the daemon
# (SIGKILL: a crash at that exact point) or makes the call fail with ENOSPC or EIO. Every
# N is tried for the first VIGIL_FAULT_POINTS calls (default 100; 15 in a sanitized
# build, whose point is memory errors on the error paths) and every 7th after.
# After each run, with no daemon left:
#   - vg_store_check: integrity_check ok, every entry verifies, chains without gaps, and
#     every entry id a command acknowledged is there and accepted;
#   - the store holds at least what was acknowledged (each import counted by its reply);
#   - a command that failed said why on standard error, in one or two lines;
#   - after an injected error inside a store write, the daemon stopped rather than go on
#     writing (a failed fsync is never retried over) and its next start verified the store;
#   - a new daemon starts on the same home without repair and records one more event.
# Prints one summary line per kind of fault and system call (tests/lib/reliability.sh:
# "reliability: fault-<KILL|EIO|ENOSPC>-<call>: N tried, F failed, S s").
#
# Time budget (CI, test KDF, 2 cores): about 5 minutes plain, 5 under the sanitizers.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"
require_tool strace pkill

points=${VIGIL_FAULT_POINTS:-100}
[ -z "${VIGIL_SANITIZED:-}" ] || points=${VIGIL_FAULT_POINTS:-15}
EVENT='{"event":{"type":"detention","date":"2017-03","status":"detained"},"source":{"confidential":true,"type":"relative"}}'

# The template home: an organisation, one case; no daemon left running.
new_home TPL template
cases_home "$TPL" sweep
case_id=$(new_case "$TPL" '{"person":{"name":"Sweep Person","country":"Kyrgyzstan"}}')
vg "$TPL" shutdown >/dev/null || fail "cannot stop the template's daemon"
wait_for test ! -S "$TPL/run/vigild.sock"
base=$("$STORE_CHECK" --home "$TPL") || fail "template store: $base"
base=$(sed -n 's/^ok: \([0-9]*\) entries.*/\1/p' <<<"$base")

csv=$T/batch.csv
{
	echo 'case_ref,person,country,event,date,place,status'
	for i in 1 2 3 4 5 6 7 8; do
		echo "S$((i % 4)),Sweep Batch $((i % 4)),Tajikistan,detention,2016-0$i,Place $i,detained"
	done
} >"$csv"

new_home W work
spid=

# run_daemon STRACE-ARGS...: start vigild for W in the foreground under strace and wait
# until it listens (or has already died of the fault).
run_daemon() {
	strace -f -qq -o /dev/null "$@" "$VIGILD" --foreground --home "$W" \
		</dev/null >/dev/null 2>"$T/daemon.err" &
	spid=$!
	disown "$spid" # its death by SIGKILL is the point, not news
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$W/run/vigild.sock" ] && return 0
		pid_alive "$spid" || return 0
		sleep 0.05
	done
	fail "vigild under strace did not start: $(cat "$T/daemon.err")"
}

# stop_w: kill whatever daemon serves W (the traced one, or one a client started after it).
stop_w() {
	local pid
	# Killing strace would only detach it: kill the daemon it traces first.
	[ -n "$spid" ] && { pkill -9 -P "$spid" 2>/dev/null || true; }
	[ -n "$spid" ] && kill -9 "$spid" 2>/dev/null || true
	[ -n "$spid" ] && wait_gone "$spid"
	pid=$(lock_pid "$W")
	if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		wait_gone "$pid"
	fi
	rm -f "$W/run/vigild.sock"
}

# step NAME COMMAND...: run one command of the workload; an acknowledged entry id goes to
# the acked file, a failure must explain itself.
step() {
	local name=$1 rc=0
	shift
	"$@" >"$T/step.out" 2>"$T/step.err" || rc=$?
	if [ $rc -eq 0 ]; then
		case $name in
		event) jq -er '.entry' "$T/step.out" >>"$T/acked" || fail "no entry id in: $(cat "$T/step.out")" ;;
		import) imported=$((imported + $(jq -er '.cases + .events' "$T/step.out"))) ;;
		esac
	else
		[ -s "$T/step.err" ] || fail "$name failed ($rc) without a message"
		[ "$(wc -l <"$T/step.err")" -le 2 ] || fail "$name: more than two lines: $(cat "$T/step.err")"
		failed_steps=$((failed_steps + 1))
	fi
}

workload() {
	step unlock vgs "$W" unlock
	step event vgs "$W" case event "$case_id" --json <<<"$EVENT"
	step event vgs "$W" case event "$case_id" --json <<<"$EVENT"
	step event vgs "$W" case event "$case_id" --json <<<"$EVENT"
	step import vgs "$W" import --json "$csv"
	step event vgs "$W" case event "$case_id" --json <<<"$EVENT"
}

# check LABEL: the promises after one run.
check() {
	local out n acks
	stop_w
	out=$("$STORE_CHECK" --home "$W" --ids "$T/acked") || fail "$1: $out"
	n=$(sed -n 's/^ok: \([0-9]*\) entries.*/\1/p' <<<"$out")
	acks=$(wc -l <"$T/acked")
	[ "$n" -ge $((base + acks + imported)) ] ||
		fail "$1: $n entries, fewer than $base + $acks events + $imported imported"
	# A new daemon, no repair: it verifies the store if asked to, then writes.
	vgs "$W" case event "$case_id" --json <<<"$EVENT" >"$T/after.out" 2>"$T/after.err" ||
		fail "$1: no event after restart: $(cat "$T/after.err")"
	[ ! -e "$W/data/store.verify" ] || fail "$1: the store was not verified at the next start"
	stop_w
}

fresh() {
	stop_w
	rm -rf "$W"
	cp -a "$TPL" "$W"
	rm -f "$W/data/vigild.lock" "$W/run/vigild.sock"
	: >"$T/acked"
	imported=0
	failed_steps=0
}

# How many calls of each kind the workload makes, from one traced run without faults.
fresh
strace -f -qq -o "$T/trace" -e trace=pwrite64,write,fdatasync,fsync,rename,unlink \
	"$VIGILD" --foreground --home "$W" </dev/null >/dev/null 2>"$T/daemon.err" &
spid=$!
wait_for test -S "$W/run/vigild.sock"
workload
[ "$failed_steps" -eq 0 ] || fail "the workload fails without faults: $(cat "$T/step.err")"
[ "$imported" -eq 12 ] || fail "the import reported $imported cases and events, want 12"
vg "$W" shutdown >/dev/null
wait "$spid" || true
check "no fault"
count() { grep -Ec "^ *[0-9]+ +$1\(" "$T/trace" || true; }

# sweep ACTION CALL: every point of CALL with ACTION (signal=KILL, error=ENOSPC, ...).
sweep() {
	local action=$1 call=$2 total n tried=0 errs=0 stopped=0
	total=$(count "$call")
	[ "$total" -gt 0 ] || fail "the workload makes no $call call: nothing to sweep: $(head -c 600 "$T/trace")"
	rel_begin "fault-${action#*=}-$call"
	for ((n = 1; n <= total; n++)); do
		((n <= points || n % 7 == 0)) || continue
		fresh
		run_daemon -e trace="$call" -e inject="$call:$action:when=$n"
		workload
		if [ "$action" != signal=KILL ] && grep -q 'a write to the store failed' "$T/daemon.err"; then
			stopped=$((stopped + 1))
			wait_gone "$spid" 5
		fi
		[ "$failed_steps" -eq 0 ] || errs=$((errs + 1))
		check "$action at $call #$n"
		tried=$((tried + 1))
		REL_TRIED=$tried
	done
	rel_end
	echo "fault sweep: ${action#*=} at $call: $tried points of $total, $errs runs with refused commands, $stopped daemon stops after a failed store write, 0 failures"
	sweep_stops=$((sweep_stops + stopped))
}

sweep_stops=0
for call in pwrite64 fdatasync unlink; do
	sweep signal=KILL "$call"
done
error_stops_before=$sweep_stops
for call in pwrite64 fdatasync; do
	sweep error=EIO "$call"
	sweep error=ENOSPC "$call"
done
# Positive control: errors at the store's writes were seen and made the daemon stop.
[ $((sweep_stops - error_stops_before)) -gt 0 ] ||
	fail "no injected error ever reached a store write: the sweep proved nothing"
echo "ok: fault sweep complete"
