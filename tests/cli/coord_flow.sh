#!/usr/bin/env bash
# The coordinator's commands end to end in temporary homes through one bare repository: an
# organisation with two coordinators and two monitors; the monitors import the demo
# spreadsheets and sync; the coordinator sees 18 cases merged, exactly the two expected
# probable duplicates (Yorov TJ-001/B-17, Askarov KG-001/B-18; never the Matayevs), 17
# people after linking Yorov, 16 after Askarov, 17 after an unlink; the second coordinator
# sees the same after sync; bad input and a monitor's device refused; an empty export;
# the Markdown report equal to tests/cli/expected/coord_report.md; HTML with its CSP and no
# script; a hostile record (<script>, a formula) rendered inert; a lossless export.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git jq sqlite3 age script timeout tar

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
[ -x "$KEYS" ] || fail "vigil-keys is not built"
DEMO=$VIGIL_SOURCE_DIR/packaging/demo
EXPECTED=$VIGIL_SOURCE_DIR/tests/cli/expected
ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}
declare -A H PW
# v WHO ARGS...: vigil for WHO, its passphrase on descriptor 3, standard input passed on.
v() {
	local who=$1
	shift
	setsid -w "$VIGIL" --home "${H[$who]}" --passphrase-fd 3 "$@" 3<<<"${PW[$who]}"
}
people() { v "$1" cases --json </dev/null | jq '.cases | length'; }
# id_of WHO REF: the merged case whose records include the monitor reference REF... as
# its own case id (the record's id, not the person's).
id_of() { v "$1" cases --json </dev/null | jq -er --arg r "$2" '.cases[].records[] | select(.ref == $r) | .id'; }
dups() { v "$1" cases --duplicates --json </dev/null; }
# pairs WHO: the duplicate pairs as sorted "A B" lines.
pairs() { dups "$1" | jq -r '.duplicates[] | .cases | sort | join(" ")' | sort; }
pair() { printf '%s\n' "$1 $2" | tr ' ' '\n' | sort | paste -sd' '; }

for who in office office2 m1 m2; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	v "$who" init --name "$who" </dev/null >/dev/null || fail "init $who"
done
C=${H[office]}
REMOTE=$T/usb/vigil.git
mkdir -p "$T/usb" "$T/offline"
git init -q --bare "$REMOTE"

# ---- the organisation: two coordinators, two monitors, all enrolled before anyone joins ----
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
	--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") >/dev/null ||
	fail "org init"
kk "$C" --passphrase-fd 3 enroll --role coordinator --yes "$(cat "${H[office2]}/data/identity.pub")" \
	3<<<"$ORGPW" >/dev/null || fail "enroll office2"
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$m]}/data/identity.pub")" \
		3<<<"$ORGPW" >/dev/null || fail "enroll $m"
done
v office remote set "$REMOTE" </dev/null >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"

# ---- an empty store: nothing to merge, an export with no entries ----
[ "$(people office)" = 0 ] || fail "a new organisation has cases"
v office export --format json -o "$T/empty.json" </dev/null 2>/dev/null || fail "export of an empty store"
jq -e '.format == "vigil-export v1" and .entries == [] and .cases == [] and (.members | length) == 4' \
	"$T/empty.json" >/dev/null || fail "empty export: $(cat "$T/empty.json")"
[ "$(stat -c %a "$T/empty.json")" = 600 ] || fail "the export is not mode 0600"
expect_refusal 1 "exists: not replaced" v office export --format json -o "$T/empty.json"
v office export --format json -o "$T/empty.json" --force </dev/null 2>/dev/null || fail "export --force"
v office export --format csv </dev/null | head -n 1 | grep -q 'entry_id' || fail "csv export header"
expect_refusal 2 "needs --format json or csv" v office export --format xml
expect_refusal 2 "needs --format md, html, csv or json" v office report

for who in office2 m1 m2; do
	kk "$C" --passphrase-fd 3 invite "$who" --remote "$REMOTE" -o "$T/$who.inv" 3<<<"$ORGPW" >/dev/null ||
		fail "invite $who"
	v "$who" join "$T/$who.inv" --yes </dev/null >/dev/null || fail "join $who"
done

# ---- monitors import the demo spreadsheets and sync; the coordinator syncs ----
v m1 import "$DEMO/monitor-a.csv" </dev/null >/dev/null || fail "import monitor-a"
v m2 import "$DEMO/monitor-b.csv" </dev/null >/dev/null || fail "import monitor-b"
v m1 sync </dev/null >/dev/null || fail "sync m1"
v m2 sync </dev/null >/dev/null || fail "sync m2"
v office sync </dev/null >"$T/sync.out" || fail "sync office: $(cat "$T/sync.out")"

# A monitor's device reads only its own entries: the coordinator's commands are refused.
expect_refusal 1 "monitor.s device" v m1 cases
expect_refusal 1 "monitor's device" v m1 cases --duplicates
expect_refusal 1 "monitor's device" v m1 report --format md
expect_refusal 1 "monitor's device" v m1 export --format json

[ "$(people office)" = 18 ] || fail "the coordinator sees $(people office) cases, not 18"
v office cases </dev/null >"$T/cases.txt" 2>"$T/cases.err" || fail "vigil cases"
grep -q '^18 people$' "$T/cases.err" || fail "vigil cases: $(cat "$T/cases.err")"
grep -q '\[m1\]' "$T/cases.txt" && grep -q '\[m2\]' "$T/cases.txt" ||
	fail "events do not name their monitors: $(cat "$T/cases.txt")"
v office cases --json </dev/null >"$T/cases.json"
jq -e '.cases[] | select(.name == "Azimjan Askarov") | .events == 3 and .status == "imprisoned"
	and .last_date == "2017-01" and .monitors == ["m1"] and .linked == []
	and ([.timeline[].event.date] == ["2010-06", "2016", "2017-01"])' "$T/cases.json" >/dev/null ||
	fail "Askarov's merged case: $(jq -c '.cases[] | select(.name == "Azimjan Askarov")' "$T/cases.json")"

TJ001=$(id_of office TJ-001)
B17=$(id_of office B-17)
KG001=$(id_of office KG-001)
B18=$(id_of office B-18)
KZ007=$(id_of office KZ-007)
KZ008=$(id_of office KZ-008)
printf '%s\n%s\n' "$(pair "$KG001" "$B18")" "$(pair "$TJ001" "$B17")" | sort >"$T/want.pairs"
pairs office >"$T/got.pairs"
diff -u "$T/want.pairs" "$T/got.pairs" || fail "duplicates: $(dups office)"
! grep -q "$KZ007.*$KZ008\|$KZ008.*$KZ007" "$T/got.pairs" || fail "the Matayevs are listed"
dups office | jq -e '.duplicates[] | (.reason | length > 0) and (.names | length == 2)' >/dev/null ||
	fail "a duplicate without names or reason"
v office cases --duplicates </dev/null | grep -q "vigil link" || fail "human duplicates output"

# ---- links ----
v office link "$TJ001" "$B17" </dev/null >"$T/link.out" || fail "link Yorov: $(cat "$T/link.out")"
grep -q "17 people now" "$T/link.out" || fail "link output: $(cat "$T/link.out")"
[ "$(people office)" = 17 ] || fail "after linking Yorov: $(people office)"
v office cases --json </dev/null | jq -e --arg a "$TJ001" --arg b "$B17" '.cases[] | select(.id == $a or .id == $b)
	| .name == "Buzurgmehr Yorov" and .events == 3 and .linked == [$b] and .monitors == ["m1", "m2"]
	and ([.timeline[].event.date] == ["2016-10", "2017-03", "2017-03"])
	and (.other_names | index("Ёров Бузургмехр") != null)' >/dev/null ||
	fail "Yorov merged: $(v office cases --json </dev/null | jq -c --arg a "$TJ001" '.cases[] | select(.id == $a)')"
[ "$(pairs office)" = "$(pair "$KG001" "$B18")" ] || fail "after linking Yorov: $(dups office)"
v office link "${B18:0:10}" "$KG001" --json </dev/null >"$T/link2.json" || fail "link Askarov by prefix"
jq -e '.linked == true and (.entries | length) == 1 and .total == 16' "$T/link2.json" >/dev/null ||
	fail "link --json: $(cat "$T/link2.json")"
[ "$(people office)" = 16 ] || fail "after linking Askarov: $(people office)"
[ "$(dups office | jq '.duplicates | length')" = 0 ] || fail "linked pairs still listed: $(dups office)"

# Bad input.
expect_refusal 1 "no case '0123456789abcdef0123456789abcdef'" v office link 0123456789abcdef0123456789abcdef "$TJ001"
expect_refusal 1 "cannot be linked to itself" v office link "$KZ007" "$KZ007"
expect_refusal 1 "cannot be linked to itself" v office link "$KZ007" "${KZ007:0:8}"
expect_refusal 2 "is not a case id" v office link "not-hex" "$KZ007"
expect_refusal 2 "needs two CASE-IDs" v office link "$KZ007"
expect_refusal 1 "already linked" v office link "$B17" "$TJ001"
expect_refusal 1 "not linked" v office unlink "$KZ007" "$KZ008"
expect_refusal 1 "monitor's device" v m1 link "$KZ007" "$KZ008"
[ "$(people office)" = 16 ] || fail "a refusal changed the cases"

v office unlink "$KG001" "$B18" </dev/null >/dev/null || fail "unlink Askarov"
[ "$(people office)" = 17 ] || fail "after unlinking Askarov: $(people office)"
[ "$(pairs office)" = "$(pair "$KG001" "$B18")" ] || fail "after unlink: $(dups office)"
expect_refusal 1 "not linked" v office unlink "$KG001" "$B18"

# ---- the second coordinator sees the same after sync ----
v office sync </dev/null >/dev/null || fail "sync office (links)"
v office2 sync </dev/null >"$T/sync2.out" || fail "sync office2: $(cat "$T/sync2.out")"
[ "$(people office2)" = 17 ] || fail "office2 sees $(people office2)"
[ "$(pairs office2)" = "$(pair "$KG001" "$B18")" ] || fail "office2 duplicates: $(dups office2)"
# office2 links Askarov again; office sees it after both sync: order-free counts.
v office2 link "$KG001" "$B18" </dev/null >/dev/null || fail "office2 link Askarov"
v office2 sync </dev/null >/dev/null && v office sync </dev/null >/dev/null || fail "syncs after office2's link"
[ "$(people office)" = 16 ] && [ "$(people office2)" = 16 ] ||
	fail "after office2's link: office $(people office), office2 $(people office2)"
v office cases --json </dev/null | jq -S '[.cases[] | {id, linked, events, status}]' >"$T/view1"
v office2 cases --json </dev/null | jq -S '[.cases[] | {id, linked, events, status}]' >"$T/view2"
diff -u "$T/view1" "$T/view2" || fail "the two coordinators' merged views differ"

# ---- reports ----
norm() { sed -E 's/[0-9a-f]{32}/CASE-ID/g'; }
v office report --format md </dev/null | norm >"$T/report.md" || fail "report md"
{ [ -n "${COORD_SAVE_REPORT:-}" ] && cp "$T/report.md" "$COORD_SAVE_REPORT"; true; }
diff -u "$EXPECTED/coord_report.md" "$T/report.md" || fail "the Markdown report differs from the expected file"
v office report --format html -o "$T/report.html" </dev/null 2>/dev/null || fail "report html"
[ "$(stat -c %a "$T/report.html")" = 600 ] || fail "the report is not mode 0600"
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$T/report.html" || fail "html: no CSP"
! grep -qi '<script' "$T/report.html" || fail "html holds a script element"
grep -q '<svg' "$T/report.html" || fail "html: no chart"
expect_refusal 1 "exists: not replaced" v office report --format html -o "$T/report.html"
v office report --format csv -o "$T/report.csv" </dev/null 2>/dev/null || fail "report csv"
grep -q 'Buzurgmehr Yorov' "$T/report.csv" || fail "csv lacks a case"
# Confidential sources (every demo source) appear only with --confidential.
! grep -q 'joint NGO statement' "$T/report.md" || fail "a confidential source in the report"
v office report --format md --confidential </dev/null >"$T/conf.md" || fail "report --confidential"
grep -q 'Source: (confidential) joint NGO statement 2017-03-28' "$T/conf.md" ||
	fail "--confidential does not show sources: $(grep -m 3 Askarov "$T/conf.md")"

# ---- a hostile record: a script and a spreadsheet formula, rendered inert ----
v m2 case new --json >"$T/evil.json" <<'EOF' || fail "case new (hostile)"
{"person": {"name": "=HYPERLINK(\"http://evil.example/\",\"x\") <script>alert(1)</script>",
  "country": "Tajikistan", "role": "<img src=x onerror=alert(2)>"}, "ref": "B-20"}
EOF
EVIL=$(jq -er .case "$T/evil.json")
v m2 case event "$EVIL" <<'EOF' >/dev/null || fail "case event (hostile)"
{"event": {"type": "arrest", "date": "2017-02", "charges": "@SUM(1+1)*cmd|' /C calc'!A0", "place": "</svg><script>x</script>"},
 "source": {"confidential": false, "type": "media", "description": "-2+3"}}
EOF
v m2 sync </dev/null >/dev/null && v office sync </dev/null >/dev/null || fail "sync the hostile case"
[ "$(people office)" = 17 ] || fail "the hostile case is not merged: $(people office)"
v office report --format html -o "$T/evil.html" </dev/null 2>/dev/null || fail "report html (hostile)"
! grep -qi '<script\|<img\|</svg><script' "$T/evil.html" || fail "hostile markup survives in html"
grep -q '&lt;script&gt;' "$T/evil.html" || fail "the hostile name is not shown escaped"
v office report --format csv </dev/null >"$T/evil.csv" || fail "report csv (hostile)"
grep -q "\"'=HYPERLINK" "$T/evil.csv" || fail "the formula name is not neutralised: $(grep -a HYPERLINK "$T/evil.csv")"
grep -Eq "(,|,\")'@SUM" "$T/evil.csv" || fail "the formula charges are not neutralised: $(grep -a SUM "$T/evil.csv")"
! grep -q '^=\|,=\|,"=\|,@\|,"@' "$T/evil.csv" || fail "a cell starts with a formula character"
v office report --format md </dev/null >"$T/evil.md" || fail "report md (hostile)"
! grep -q '<script>' "$T/evil.md" || fail "raw HTML in the Markdown report"
v office export --format csv </dev/null >"$T/export.csv" || fail "export csv"
! grep -q ',"=' "$T/export.csv" || fail "a formula cell in the export"

# ---- the export is lossless: every entry, its whole document ----
v office export --format json -o "$T/export.json" </dev/null 2>/dev/null || fail "export json"
total=$(sqlite3 "$C/data/store.db" "SELECT count(*) FROM entries")
[ "$(jq '.entries | length' "$T/export.json")" = "$total" ] || fail "export: not every entry"
jq -e '[.entries[] | select(.document == null)] == [] and
	([.entries[] | select(.document.type == "link")] | length) == 3 and
	([.entries[] | select(.document.type == "unlink")] | length) == 1 and
	(.entries | map(.monitor) | unique) == ["m1", "m2", "office", "office2"]' "$T/export.json" >/dev/null ||
	fail "export content"
jq -e --arg e "$EVIL" '.entries[] | select(.document.case == $e and .document.type == "open")
	| .document.body.person.name | startswith("=HYPERLINK")' "$T/export.json" >/dev/null ||
	fail "the export changed a record"
# ---- leaving vigil with stock tools: a mirror clone, the identity, age -d over every entry ----
kk "$C" --passphrase-fd 3 export-identity -o "$T/id.age" \
	3< <(printf '%s\n%s\n' "${PW[office]}" "export passphrase") >/dev/null || fail "export-identity"
printf '%s\n' "export passphrase" | timeout 120 script -qec "age -d -o $T/identity.txt $T/id.age" \
	/dev/null >"$T/.age.out" 2>&1 || fail "stock age cannot open the identity: $(cat "$T/.age.out")"
git clone -q --mirror "$REMOTE" "$T/leave.git" || fail "git clone --mirror"
mkdir -p "$T/leave"
for b in $(git --git-dir="$T/leave.git" for-each-ref --format='%(refname:short)' refs/heads/members/); do
	mkdir -p "$T/leave/$b"
	git --git-dir="$T/leave.git" archive "$b" entries | tar -x -C "$T/leave/$b"
done
find "$T/leave" -name '*.age' -print0 | xargs -0 -n 1 age -d -i "$T/identity.txt" |
	jq -c 'del(.v)' | sort >"$T/stock.docs" || fail "stock age -d over the clone"
jq -c '.entries[].document | del(.v)' "$T/export.json" | sort >"$T/export.docs"
diff -q "$T/stock.docs" "$T/export.docs" >/dev/null || fail "the export differs from what stock age decrypts"

# The merged index lives in the daemon's memory only: no record text in the home.
for text in 'Buzurgmehr' 'Бузургмехр' 'HYPERLINK' 'joint NGO statement'; do
	! grep -rqaF "$text" "$C" "${H[office2]}" || fail "record text in a coordinator's home: $text"
done
grep -q 'merged index: [0-9]* entries opened' "$C/data/vigild.log" || fail "no merged index in the log"
echo "ok: merged cases, duplicates, links across coordinators, reports, export"
