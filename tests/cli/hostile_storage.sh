#!/usr/bin/env bash
# Damaged storage and hostile files (issue 14): each refused with a specific error, and
# nothing that was not asked for is changed.
#   - A page of the store's entries table overwritten with garbage: reading it gives a clear
#     error, the daemon stops instead of writing on, and every later start refuses the store
#     (integrity_check) instead of guessing; vg_store_check agrees it is damaged.
#   - A corrupted object in the device's own git repository: sync fails with a message and
#     the store is not touched.
#   - Spreadsheets with a NUL byte, invalid UTF-8 and a 10 MB line: refused whole, with
#     the line, nothing imported.
# Prints one summary line (reliability: hostile-storage).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/casehome.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"
require_tool sqlite3 git

EVENT='{"event":{"type":"detention","date":"2017-03","status":"detained"},"source":{"confidential":true,"type":"relative"}}'
tried=0
rel_begin hostile-storage

# ---- spreadsheets ----
new_home H sheets
cases_home "$H" sheets
before=$("$STORE_CHECK" --home "$H") || fail "store: $before"
header='case_ref,person,country,event,date,place,status'
{
	echo "$header"
	printf 'A1,Person One,Kazakhstan,detention,2016-01,Place\0One,detained\n'
} >"$T/nul.csv"
{
	echo "$header"
	printf 'A1,Person \xff\xfe Two,Kazakhstan,detention,2016-01,Almaty,detained\n'
} >"$T/utf8.csv"
{
	echo "$header"
	printf 'A1,Person Three,Kazakhstan,detention,2016-01,'
	head -c 10485760 /dev/zero | tr '\0' x
	printf ',detained\n'
} >"$T/long.csv"
for f in nul utf8 long; do
	expect_refusal 1 'line 2|NUL|UTF-8|too long|longer' vgs "$H" import "$T/$f.csv"
	[ "$(wc -l <"$T/.err")" -le 3 ] || fail "$f.csv: more than three lines of error: $(head -c 300 "$T/.err")"
	! grep -q xxxxxxxxxxxxxxxx "$T/.err" || fail "$f.csv: the error quotes the line's content"
	tried=$((tried + 1)) REL_TRIED=$tried
done
after=$("$STORE_CHECK" --home "$H") || fail "store after the refusals: $after"
[ "$after" = "$before" ] || fail "a refused spreadsheet changed the store: '$before' then '$after'"

# ---- a damaged page of the store ----
new_home D damaged
cases_home "$D" damaged
cid=$(new_case "$D" '{"person":{"name":"Damaged Page Person","country":"Uzbekistan"}}')
for i in $(seq 1 30); do
	vgs "$D" case event "$cid" --json <<<"$EVENT" >/dev/null || fail "event $i"
done
stop_daemon "$D"
db=$D/data/store.db
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null || fail "cannot checkpoint"
page=$(sqlite3 "$db" "SELECT pageno FROM dbstat WHERE name = 'entries' AND pagetype = 'leaf' LIMIT 1 OFFSET 2")
psize=$(sqlite3 "$db" 'PRAGMA page_size')
[ -n "$page" ] && [ -n "$psize" ] || fail "cannot find a leaf page of the entries table"
# Garbage over the page (not its first bytes only: the cell pointers and the cells).
head -c "$psize" /dev/urandom | dd of="$db" bs="$psize" seek=$((page - 1)) conv=notrunc status=none
"$STORE_CHECK" --home "$D" >"$T/check.out" 2>&1 && fail "vg_store_check finds nothing wrong with a damaged page"
# Reading every entry (a coordinator-style walk is what case show does for this case).
damage_seen=0
for cmd in "case list --json" "case show $cid --json"; do
	rc=0
	# shellcheck disable=SC2086 # the command's words
	vgs "$D" $cmd >"$T/out" 2>"$T/err" || rc=$?
	if [ $rc -ne 0 ]; then
		[ -s "$T/err" ] || fail "'$cmd' failed without a message"
		[ "$(wc -l <"$T/err")" -le 2 ] || fail "'$cmd': more than two lines: $(cat "$T/err")"
		grep -Eqi 'damaged|malformed|corrupt|store' "$T/err" || fail "'$cmd': the message does not say the store is damaged: $(cat "$T/err")"
		damage_seen=1
	fi
done
# Writing on: refused now (the daemon stopped) or at the next start, never acknowledged
# over a damaged store.
for i in 1 2 3; do
	if vgs "$D" case event "$cid" --json <<<"$EVENT" >"$T/out" 2>"$T/err"; then
		fail "an event was acknowledged on a store with a damaged page: $(cat "$T/out")"
	fi
	grep -Eqi 'damaged|malformed|corrupt|check|store' "$T/err" || fail "event on a damaged store: unclear error: $(cat "$T/err")"
done
[ $damage_seen -eq 1 ] || echo "note: reads went around the damaged page; the writes were refused"
grep -q 'failed its check\|a write to the store failed\|damaged' "$D/data/vigild.log" ||
	fail "the daemon's log does not say the store is damaged"
tried=$((tried + 1)) REL_TRIED=$tried

# ---- a corrupted object in the device's repository ----
new_home G gitdamage
cases_home "$G" gitdamage
remote=$T/remote.git
git init -q --bare "$remote" || fail "git init"
vg "$G" remote set "$remote" >/dev/null 2>&1 || vgs "$G" remote set "$remote" >/dev/null || fail "remote set"
gid=$(new_case "$G" '{"person":{"name":"Git Damage Person","country":"Tajikistan"}}')
vgs "$G" sync >/dev/null || fail "first sync"
vgs "$G" case event "$gid" --json <<<"$EVENT" >/dev/null || fail "event before the damage"
before=$("$STORE_CHECK" --home "$G") || fail "store: $before"
repo=$(find "$G/data" -maxdepth 2 -name '*.git' -type d | head -1)
[ -n "$repo" ] || repo=$(find "$G/data" -maxdepth 2 -name objects -type d -printf '%h\n' | head -1)
[ -n "$repo" ] || fail "no local repository under $G/data"
n=0
while IFS= read -r obj; do
	chmod u+w "$obj"
	printf 'garbage, not zlib' >"$obj"
	n=$((n + 1))
done < <(find "$repo/objects" -type f -path '*/objects/??/*' | head -3)
for pack in "$repo"/objects/pack/*.pack; do
	[ -f "$pack" ] || continue
	chmod u+w "$pack"
	printf 'garbage over the pack header' | dd of="$pack" bs=1 seek=0 conv=notrunc status=none
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no object to corrupt in $repo"
vgs "$G" case event "$gid" --json <<<"$EVENT" >/dev/null || fail "an event is refused because the repository is damaged"
rc=0
vgs "$G" sync >"$T/out" 2>"$T/err" || rc=$?
[ $rc -ne 0 ] || fail "sync reports success over a corrupted repository: $(cat "$T/out")"
[ -s "$T/err" ] && [ "$(wc -l <"$T/err")" -le 3 ] || fail "sync failed without a short message: $(cat "$T/err")"
after=$("$STORE_CHECK" --home "$G") || fail "store after the failed sync: $after"
git --git-dir="$remote" fsck --strict >/dev/null 2>&1 || fail "the remote is damaged after the failed sync"
tried=$((tried + 1)) REL_TRIED=$tried

rel_end
