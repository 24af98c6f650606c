#!/usr/bin/env bash
# A device that has not joined an organisation keeps its cases as drafts sealed under the
# vault key: `case new`, `event`, `import` say so, `list` and `show` include them marked
# "draft", and they survive lock and unlock. On a terminal the fields are asked one by one
# (required ones again, a bad date again, the source confidential unless told otherwise).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool jq sqlite3 script

PW='draft vault passphrase'
new_home H monitor
vg "$H" --passphrase-fd 3 init --name field 3<<<"$PW" >/dev/null || fail "init"

printf '%s' '{"person":{"name":"Nadia Draft","country":"Kazakhstan"},"ref":"D-1"}' |
	setsid -w "$VIGIL" --home "$H" case new --json >"$T/new.json" || fail "case new: $(cat "$T/new.json")"
jq -e '.draft == true and (.case | test("^[0-9a-f]{32}$"))' "$T/new.json" >/dev/null ||
	fail "case new in a home without a roster is not a draft: $(cat "$T/new.json")"
CID=$(jq -r .case "$T/new.json")
printf '%s' '{"event":{"type":"arrest","date":"2017-03"},"source":{"type":"relative"}}' |
	setsid -w "$VIGIL" --home "$H" case event "${CID:0:8}" >"$T/ev.out" || fail "case event"
grep -q "(draft)" "$T/ev.out" || fail "case event did not say draft: $(cat "$T/ev.out")"
vg "$H" import "$VIGIL_SOURCE_DIR/packaging/demo/monitor-b.csv" >"$T/imp.out" || fail "import"
grep -q "imported 3 cases and 3 events .* as drafts" "$T/imp.out" || fail "import: $(cat "$T/imp.out")"

[ "$(sqlite3 "file:$H/data/store.db?mode=ro" 'SELECT count(*) FROM entries')" = 0 ] ||
	fail "a draft went into the feed"
[ "$(sqlite3 "file:$H/data/store.db?mode=ro" 'SELECT count(*) FROM drafts')" = 8 ] ||
	fail "8 drafts expected"
check_drafts() {
	vg "$H" case list --json >"$T/list.json" || fail "case list"
	jq -e '(.cases | length) == 4 and (.cases | all(.draft))' "$T/list.json" >/dev/null ||
		fail "list: $(cat "$T/list.json")"
	vg "$H" case show "$CID" --json >"$T/show.json" || fail "case show"
	jq -e '.draft and .person.name == "Nadia Draft" and .events[0].event.type == "arrest" and
		.events[0].source.confidential == true and .status == null' "$T/show.json" >/dev/null ||
		fail "show: $(cat "$T/show.json")"
	vg "$H" case show "$CID" | grep -q "draft" || fail "show does not say draft"
	vg "$H" case list | grep -q "draft" || fail "list does not say draft"
}
check_drafts
vg "$H" lock >/dev/null
vg "$H" --passphrase-fd 3 case list 3<<<"$PW" >/dev/null || fail "unlock through case list"
check_drafts

# ---- prompts on a terminal ----
tty_start "$T/tty.out" "$VIGIL" --home "$H" case new
tty_type "Name (any script)" ""
tty_type "this one is required" "Ёров Бузургмехр"
tty_type "Other names" "Buzurgmehr Yorov; Yorov"
tty_type "Sex" ""
tty_type "Birth year" "19x"
tty_type "a year of four digits" "1971"
tty_type "Role" "lawyer"
tty_type "Affiliation" ""
tty_type "Country" "Tajikistan"
tty_type "Your own reference" ""
tty_type "Notes" ""
tty_end
[ "$child_rc" = 0 ] || fail "case new on a terminal exited $child_rc: $(cat "$T/tty.out")"
grep -q "journalist, lawyer, human rights defender" "$T/tty.out" || fail "no vocabulary shown"
TID=$(grep -Eo '^[0-9a-f]{32}' "$T/tty.out" | tr -d '\r' | head -n 1)
[ -n "$TID" ] || fail "no case id printed: $(cat "$T/tty.out")"
vg "$H" case show "$TID" --json >"$T/t.json"
jq -e '.person == {"name":"Ёров Бузургмехр","other_names":["Buzurgmehr Yorov","Yorov"],
	"birth_year":1971,"role":"lawyer","country":"Tajikistan"}' "$T/t.json" >/dev/null ||
	fail "prompted person: $(jq -c .person "$T/t.json")"

tty_start "$T/tty2.out" "$VIGIL" --home "$H" case event "$TID"
tty_type "What happened" "sentenced"
tty_type "Date" "2016-02-30"
tty_type "a date that exists" "2016-10-06"
for f in Place Authority Charges; do tty_type "$f" ""; done
tty_type "Status afterwards" "imprisoned"
tty_type "Sentence" "28 years"
tty_type "Access to legal counsel" ""
tty_type "Source: who told it" "relative"
tty_type "Source: description" ""
tty_type "Source: reliability" ""
tty_type "confidential" ""
tty_type "Notes" ""
tty_end
[ "$child_rc" = 0 ] || fail "case event on a terminal exited $child_rc: $(cat "$T/tty2.out")"
vg "$H" case show "$TID" --json | jq -e '.status == "imprisoned" and .events[0].event.date ==
	"2016-10-06" and .events[0].source == {"type":"relative","confidential":true}' >/dev/null ||
	fail "prompted event: $(vg "$H" case show "$TID" --json | jq -c .events)"

# Correct it on a terminal: pick the event, change the sentence, keep the rest.
tty_start "$T/tty3.out" "$VIGIL" --home "$H" case correct "$TID"
tty_type "Which one to correct" "1"
tty_type "What happened" ""
for f in "Date" Place Authority Charges "Status afterwards"; do tty_type "$f" ""; done
tty_type "Sentence" "23 years"
tty_type "Access to legal counsel" ""
tty_type "Source: who told it" ""
tty_type "Source: description" ""
tty_type "Source: reliability" ""
tty_type "confidential" "n"
tty_type "Why" "appeal reduced it"
tty_end
[ "$child_rc" = 0 ] || fail "case correct on a terminal exited $child_rc: $(cat "$T/tty3.out")"
vg "$H" case show "$TID" --json | jq -e '.events[0].corrected and .events[0].event.sentence ==
	"23 years" and .events[0].event.date == "2016-10-06" and .events[0].source.confidential ==
	false' >/dev/null || fail "prompted correction: $(vg "$H" case show "$TID" --json | jq -c .events)"

echo "ok: drafts kept, listed, shown and kept across lock; prompts ask, re-ask and correct"
