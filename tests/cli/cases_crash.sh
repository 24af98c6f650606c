#!/usr/bin/env bash
# A daemon killed with SIGKILL at random moments while cases are being written loses
# nothing it acknowledged. Each round: a writer adds events one `vigil case event` at a
# time (recording every entry id the command printed as saved) while, every few rounds,
# an import of a spreadsheet runs beside it; after a random delay the daemon is killed
# with -9. Then, with no daemon running, vg_store_check opens the store as SQLite recovers
# it and proves: PRAGMA integrity_check ok, every entry verifies with public keys, every
# author's chain runs without a gap, every acknowledged id is there and accepted, and the
# number of entries never went down. The next command starts a new daemon on demand.
#
# VIGIL_CRASH_ROUNDS sets the number of rounds (default 100).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"

rounds=${VIGIL_CRASH_ROUNDS:-100}
new_home H crash
cases_home "$H" crash

case_id=$(new_case "$H" '{"person":{"name":"Crash Test Person","country":"Kazakhstan"}}')
acked=$T/acked
: >"$acked"

# A spreadsheet of 12 cases and 60 events for the imports killed half-way.
csv=$T/batch.csv
{
	echo 'case_ref,person,country,event,date,place,status'
	for i in $(seq 1 60); do
		echo "B$((i % 12)),Batch Person $((i % 12)),Country $((i % 3)),detention,2016-$(printf %02d $((i % 12 + 1))),Place $i,detained"
	done
} >"$csv"

# writer N: up to N events, stopping at the first command that fails (the daemon died
# under it); each id printed as saved is acknowledged.
writer() {
	local out
	for ((j = 0; j < $1; j++)); do
		out=$(vgs "$H" case event "$case_id" --json \
			<<<'{"event":{"type":"detention","date":"2017-03","status":"detained"},"source":{"confidential":true,"type":"relative"}}' \
			2>/dev/null) || return 0
		jq -er '.entry' <<<"$out" >>"$acked" || fail "no entry id in: $out"
	done
}

kill_daemon() {
	local pid
	pid=$(lock_pid "$H")
	if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
		kill -9 "$pid" 2>/dev/null || true
		wait_gone "$pid"
	fi
}

last=0
imports_acked=0
for ((r = 1; r <= rounds; r++)); do
	writer 40 &
	wpid=$!
	ipid=
	if ((r % 4 == 0)); then
		(vgs "$H" import "$csv" >/dev/null 2>&1 && echo ok >>"$T/imports") &
		ipid=$!
	fi
	# 0 to 400 ms: before, during and after commits.
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	kill_daemon
	wait "$wpid" || true
	[ -n "$ipid" ] && { wait "$ipid" || true; }
	# A writer may have started a new daemon after the kill: stop that one too.
	kill_daemon
	out=$("$STORE_CHECK" --home "$H" --ids "$acked") || fail "round $r: $out"
	n=$(sed -n 's/^ok: \([0-9]*\) entries.*/\1/p' <<<"$out")
	[ -n "$n" ] || fail "round $r: $out"
	[ "$n" -ge "$last" ] || fail "round $r: the store went from $last to $n entries"
	last=$n
done
imports_acked=$(wc -l <"$T/imports" 2>/dev/null || echo 0)
acks=$(wc -l <"$acked")
[ "$acks" -gt 0 ] || fail "no event was ever acknowledged: the test proved nothing"
[ "$last" -ge $((acks + 1 + imports_acked * 72)) ] ||
	fail "$last entries, fewer than the $acks events, 1 case and $imports_acked imports acknowledged"

# The store still works after all that: a new event, then read back.
vgs "$H" case event "$case_id" --json <<<'{"event":{"type":"release","date":"2018"}}' >/dev/null ||
	fail "no event after the crashes"
vgs "$H" case show "$case_id" --json | jq -e '.events | length > 1' >/dev/null ||
	fail "the case does not read back after the crashes"
echo "ok: $rounds rounds, $acks events and $imports_acked imports acknowledged, $last entries intact"
