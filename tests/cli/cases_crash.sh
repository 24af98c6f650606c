#!/usr/bin/env bash
# A daemon killed with SIGKILL at random moments while cases are being written loses
# nothing it acknowledged. Each round: a writer adds events one `vigil case event` at a
# time (recording every entry id the command printed as saved) while an import of a
# spreadsheet runs beside it; after a random delay the daemon is killed
# with -9. Then, with no daemon running, vg_store_check opens the store as SQLite recovers
# it and proves: PRAGMA integrity_check ok, every entry verifies with public keys, every
# author's chain runs without a gap, every acknowledged id is there and accepted, and the
# number of entries never went down. The next command starts a new daemon on demand.
#
# Every round kills both an event and an import under way, so each category gets a kill
# per round: two summary lines (crash-event, crash-import).
#
# Time budget (CI, test KDF, 2 cores): rel_rounds rounds (200 plain, about 90 s;
# 50 sanitized); VIGIL_CRASH_ROUNDS=N for a manual soak.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"

rounds=$(rel_rounds)
# Both categories share the rounds: a failure is reported as the events' (the writer's
# acknowledgements are what vg_store_check holds the store to).
rel_begin crash-event
new_home H crash
cases_home "$H" crash

case_id=$(new_case "$H" '{"person":{"name":"Crash Test Person","country":"Kazakhstan"}}')
acked=$T/acked
: >"$acked"

# A spreadsheet of 4 cases and 12 events (16 entries) for the imports killed half-way:
# small, so that an import is often under way when the kill comes and the store (which
# every round verifies whole) grows slowly.
csv=$T/batch.csv
{
	echo 'case_ref,person,country,event,date,place,status'
	for i in $(seq 1 12); do
		echo "B$((i % 4)),Batch Person $((i % 4)),Country $((i % 2)),detention,2016-$(printf %02d $((i % 12 + 1))),Place $i,detained"
	done
} >"$csv"

# writer N: up to N events, stopping at the first command that fails (the daemon died
# under it) or once the round's kill has come (a command after it would start a new
# daemon); each id printed as saved is acknowledged.
writer() {
	local out
	for ((j = 0; j < $1; j++)); do
		[ ! -e "$T/killed" ] || return 0
		out=$(vgs "$H" case event "$case_id" --json \
			<<<'{"event":{"type":"detention","date":"2017-03","status":"detained"},"source":{"confidential":true,"type":"relative"}}' \
			2>/dev/null) || return 0
		jq -er '.entry' <<<"$out" >>"$acked" || fail "no entry id in: $out"
	done
}

# start_round: an unlocked daemon, then 10 events and an import of the spreadsheet beside
# them, in the background (wpid, ipid).
start_round() {
	rm -f "$T/killed"
	vgs "$H" unlock </dev/null >/dev/null || fail "round $r: unlock"
	writer 10 &
	wpid=$!
	(vgs "$H" import "$csv" >/dev/null 2>&1 && echo ok >>"$T/imports") &
	ipid=$!
}

kill_daemon() {
	local pid
	pid=$(lock_pid "$H")
	if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		wait_gone "$pid"
	fi
}

# How long an uninterrupted round takes here, to spread the kills over it.
r=0
t0=$(date +%s%N)
start_round
wait "$wpid" "$ipid"
span=$((($(date +%s%N) - t0) / 1000000))
[ -s "$T/imports" ] || fail "an uninterrupted import failed"
rm -f "$T/imports"
# An import alone is much shorter than the events: half the rounds kill within its span.
t0=$(date +%s%N)
vgs "$H" import "$csv" >/dev/null || fail "an uninterrupted import failed"
ispan=$((($(date +%s%N) - t0) / 1000000 + 5))

last=0
imports_acked=0
start=$EPOCHREALTIME
for ((r = 1; r <= rounds; r++)); do
	t0=$(date +%s%N)
	start_round
	# A random moment within the round: before, during and after commits.
	if ((r % 2)); then
		left=$ispan
	else
		left=$((span - ($(date +%s%N) - t0) / 1000000))
		((left > 0)) || left=1
	fi
	sleep "$(awk -v s="$left" -v x="$RANDOM" 'BEGIN { printf "%.3f", s * x / 32768 / 1000 }')"
	touch "$T/killed"
	kill_daemon
	wait "$wpid" || true
	wait "$ipid" || true
	# A writer may have started a new daemon after the kill: stop that one too.
	kill_daemon
	out=$("$STORE_CHECK" --home "$H" --ids "$acked") || fail "round $r: $out"
	n=$(sed -n 's/^ok: \([0-9]*\) entries.*/\1/p' <<<"$out")
	[ -n "$n" ] || fail "round $r: $out"
	[ "$n" -ge "$last" ] || fail "round $r: the store went from $last to $n entries"
	last=$n
	REL_TRIED=$r
done
imports_acked=$(wc -l <"$T/imports" 2>/dev/null || echo 0)
acks=$(wc -l <"$acked")
[ "$acks" -gt 0 ] || fail "no event was ever acknowledged: the test proved nothing"
[ "$last" -ge $((acks + 1 + (imports_acked + 2) * 16)) ] ||
	fail "$last entries, fewer than the $acks events, 1 case and $imports_acked + 2 imports acknowledged"
# Control: the kills did land inside imports (else this proved nothing about them).
[ "$imports_acked" -le $((rounds * 9 / 10)) ] || fail "only $((rounds - imports_acked)) of $rounds imports were interrupted"

# The store still works after all that: a new event, then read back.
vgs "$H" case event "$case_id" --json <<<'{"event":{"type":"release","date":"2018"}}' >/dev/null ||
	fail "no event after the crashes"
vgs "$H" case show "$case_id" --json | jq -e '.events | length > 1' >/dev/null ||
	fail "the case does not read back after the crashes"
rel_end
rel_line crash-import "$rounds" 0 "$start"
echo "ok: $rounds rounds, $acks events and $imports_acked imports acknowledged, $last entries intact"
