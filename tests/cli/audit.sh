#!/usr/bin/env bash
# The auditor's two tools, `vigil audit` and packaging/audit-with-stock-tools.sh, against
# one repository made by the real programs and changed by a hostile host (and a rogue
# holder of keys): each attack is reported by both with the right kind, both print the
# same findings (severity, kind, member, sequence, path) and exit alike. A state file lets
# the second audit see a rollback the first could not; without one, the audit says so.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/hostile_repo.sh"
require_tool git sqlite3 jq minisign b2sum

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
RTOOL=$VIGIL_BUILD_DIR/tests/vg_roster_tool
RECT=$VIGIL_BUILD_DIR/tests/vg_receipt_tool
STOCK=$VIGIL_SOURCE_DIR/packaging/audit-with-stock-tools.sh
[ -x "$KEYS" ] && [ -x "$FEED" ] && [ -x "$RTOOL" ] && [ -x "$RECT" ] || fail "vigil-keys or the test tools are not built"
ORGPW='organisation key: a long passphrase'
export GIT_CONFIG_NOSYSTEM=1

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}

# ---- an organisation: a coordinator, two monitors with entries on a bare repository ----
declare -A H PW
for who in office m1 m2; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	vg "$home" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null || fail "init $who"
done
C=${H[office]}
REMOTE=$T/remote.git
git init -q --bare "$REMOTE"
kk "$C" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/org.key" \
	--recovery "$T/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "recovery pw") >/dev/null || fail "org init"
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$m]}/data/identity.pub")" \
		3<<<"$ORGPW" >/dev/null || fail "enroll $m"
done
vg "$C" --passphrase-fd 3 remote set "$REMOTE" 3<<<"${PW[office]}" >/dev/null || fail "remote set"
kk "$C" publish >/dev/null || fail "publish"
ORG=$(kk "$C" org show --json | jq -r .public_key)
author_of() { cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1; }
for m in m1 m2; do
	kk "$C" --passphrase-fd 3 invite "$m" --remote "$REMOTE" -o "$T/$m.inv" 3<<<"$ORGPW" >/dev/null ||
		fail "invite $m"
	vg "${H[$m]}" --passphrase-fd 3 join "$T/$m.inv" --yes 3<<<"${PW[$m]}" >/dev/null || fail "join $m"
done
"$FEED" append --home "${H[m1]}" --count 2 <<<"${PW[m1]}" >/dev/null || fail "append m1"
vg "${H[m1]}" sync >/dev/null || fail "sync m1"
"$FEED" append --home "${H[m1]}" --count 1 <<<"${PW[m1]}" >/dev/null || fail "append m1"
"$FEED" append --home "${H[m2]}" --count 2 <<<"${PW[m2]}" >/dev/null || fail "append m2"
vg "${H[m1]}" sync >/dev/null || fail "sync m1"
vg "${H[m2]}" sync >/dev/null || fail "sync m2"
vg "$C" sync >/dev/null || fail "coordinator sync"
A1=$(author_of "${H[m1]}")
A2=$(author_of "${H[m2]}")
REF1=refs/heads/members/$A1
REF2=refs/heads/members/$A2
GOOD1=$(hr_save "$REMOTE" "$REF1")
GOOD2=$(hr_save "$REMOTE" "$REF2")
GOODR=$(hr_save "$REMOTE" refs/heads/roster)
# The coordinator's sync wrote its receipt, naming m1's 3 entries and m2's 2.
CR=refs/heads/receipts/$(author_of "$C")
GOODC=$(hr_save "$REMOTE" "$CR")
git --git-dir="$REMOTE" show "$CR:receipt.json" | jq -e '[.members[].seq] == [3, 2] or [.members[].seq] == [2, 3]' \
	>/dev/null || fail "the coordinator's receipt: $(git --git-dir="$REMOTE" show "$CR:receipt.json")"
restore() {
	hr_set "$REMOTE" "$REF1" "$GOOD1"
	hr_set "$REMOTE" "$REF2" "$GOOD2"
	hr_set "$REMOTE" refs/heads/roster "$GOODR"
	hr_set "$REMOTE" "$CR" "$GOODC"
}

# audit NAME RC [STATE-SUFFIX]: both tools on the remote (each with its own copy of the state
# file when a suffix is given); both exit RC and print the same findings, kept in $T/NAME.
audit() {
	local name=$1 want=$2 st=${3:-} rc1=0 rc2=0 s1=() s2=()
	[ -n "$st" ] && s1=(--state "$T/state.vigil$st") && s2=("$T/state.stock$st")
	# Side by side (two cores): the stock tools take seconds where vigil takes milliseconds.
	vg "$C" audit --remote "$REMOTE" --org "$ORG" "${s1[@]}" >"$T/$name.vigil" 2>"$T/$name.vigil.err" &
	bash "$STOCK" "$REMOTE" "$ORG" "${s2[@]}" >"$T/$name.stock" 2>"$T/$name.stock.err" || rc2=$?
	wait $! || rc1=$?
	for t in vigil stock; do
		{ grep -E '^(fail|info) ' "$T/$name.$t" || true; } | cut -d' ' -f1-5 | sort >"$T/$name.$t.f"
	done
	[ "$rc1" = "$want" ] || fail "$name: vigil audit exited $rc1, want $want: $(cat "$T/$name.vigil" "$T/$name.vigil.err")"
	[ "$rc2" = "$want" ] || fail "$name: the stock-tool audit exited $rc2, want $want: $(cat "$T/$name.stock" "$T/$name.stock.err")"
	diff "$T/$name.vigil.f" "$T/$name.stock.f" >"$T/$name.diff" ||
		fail "$name: the two tools disagree (< vigil, > stock):"$'\n'"$(cat "$T/$name.diff")"
	cp "$T/$name.vigil.f" "$T/f"
}
# has LINE...: each finding line (severity kind member seq path, as a regex) was reported.
has() {
	for l in "$@"; do
		grep -Eq "^$l\$" "$T/f" || fail "no finding /$l/ in:"$'\n'"$(cat "$T/f")"
	done
}
# only KIND...: no failing finding of any other kind.
only() {
	local re
	re=$(printf '%s|' "$@")
	if grep -E '^fail ' "$T/f" | grep -Evq "^fail (${re%|}) "; then
		fail "unexpected findings:"$'\n'"$(cat "$T/f")"
	fi
}

# ---- a clean repository: clean with both; without a state the audit says what it missed ----
audit clean 0
has "info no-state - - -"
[ "$(grep -c . "$T/f")" = 1 ] || fail "a clean repository has findings: $(cat "$T/f")"
grep -q "^member m1 (monitor): 3 entries, 3 valid, head 3" "$T/clean.vigil" || fail "no summary: $(cat "$T/clean.vigil")"
vg "$C" audit --remote "$REMOTE" --org "$ORG" --json >"$T/clean.json" || fail "audit --json"
jq -e '.ok and .entries == 5 and .verified == 5 and .roster.version == 3 and
	([.members[] | select(.member == "m1")][0] | .entries == 3 and .failures == 0) and
	[.findings[] | .kind] == ["no-state"]' "$T/clean.json" >/dev/null || fail "audit --json: $(cat "$T/clean.json")"
# Positive control: the comparison itself catches a difference.
echo "fail signature m1 1 x" >>"$T/clean.stock.f"
if diff -q "$T/clean.vigil.f" "$T/clean.stock.f" >/dev/null; then fail "the comparison cannot fail"; fi
# One thread and many give the same answer.
vg "$C" audit --remote "$REMOTE" --org "$ORG" --threads 1 --json | jq -e '.ok and .threads == 1 and .verified == 5' \
	>/dev/null || fail "audit on one thread"

# ---- bad input ----
expect_refusal 2 "--remote and --org are required" vg "$C" audit --remote "$REMOTE"
expect_refusal 2 "not an option" vg "$C" audit --remote "$REMOTE" --org "$ORG" --bogus
expect_refusal 2 "not a minisign public key" vg "$C" audit --remote "$REMOTE" --org RWnotakey
expect_refusal 1 "no repository" vg "$C" audit --remote "$T/nothing.git" --org "$ORG"
printf 'vigil-audit-state v=1 org=%064d\n' 0 >"$T/other.state"
expect_refusal 1 "another organisation" vg "$C" audit --remote "$REMOTE" --org "$ORG" --state "$T/other.state"
expect_fail "stock: a state file of another organisation" bash "$STOCK" "$REMOTE" "$ORG" "$T/other.state"
printf 'not a state\n' >"$T/bad.state"
expect_refusal 1 "malformed" vg "$C" audit --remote "$REMOTE" --org "$ORG" --state "$T/bad.state"
expect_fail "stock: a malformed state file" bash "$STOCK" "$REMOTE" "$ORG" "$T/bad.state"
# ---- rollback: seen only by a second audit with the state of the first ----
audit state1 0 .a
has "info no-state - - -"
[ -s "$T/state.vigil.a" ] || fail "no state file written"
cmp -s "$T/state.vigil.a" "$T/state.stock.a" || fail "the two tools wrote different state files:"$'\n'"$(diff "$T/state.vigil.a" "$T/state.stock.a")"
head -n 1 "$T/state.vigil.a" | grep -Eq '^vigil-audit-state v=1 org=[0-9a-f]{64}$' || fail "state file: $(cat "$T/state.vigil.a")"
audit state2 0 .a
only none
[ "$(grep -c . "$T/f")" = 0 ] || fail "a second audit with a state still has findings: $(cat "$T/f")"
hr_rollback "$REMOTE" "$REF1" 1
hr_rewrite "$REMOTE" "$REF2"
audit rollback 1 .a
# m1's branch lost its third entry, which the coordinator's receipt names.
has "fail rollback m1 - refs/heads/members/$A1" "fail rollback m2 - refs/heads/members/$A2" \
	"fail receipt-entry m1 3 $CR"
only rollback receipt-entry
audit rollback-again 1 .a # the state kept the verified heads: reported until the host mends it
has "fail rollback m1 - refs/heads/members/$A1" "fail rollback m2 - refs/heads/members/$A2"
# Without a state, the receipt still shows that the host withholds a receipted entry.
audit rollback-nostate 1
has "info no-state - - -" "fail receipt-entry m1 3 $CR"
only receipt-entry
restore
git --git-dir="$REMOTE" update-ref -d "$REF2"
audit branch-gone 1 .a
has "fail rollback m2 - refs/heads/members/$A2" "fail receipt-entry m2 2 $CR"
only rollback receipt-entry
restore
audit restored 0 .a

# ---- the hostile host's attacks (tests/lib/hostile_repo.sh), several at once ----
hr_remove "$REMOTE" "$REF1"
hr_foreign "$REMOTE" "$REF1"
hr_oversized "$REMOTE" "$REF1"
hr_change "$REMOTE" "$REF2"
git --git-dir="$REMOTE" update-ref refs/heads/members/not-an-author "$GOOD1"
audit host 1
has "fail layout m1 - entries/.*\.age\.minisig" "fail layout m1 - README" \
	"fail layout m1 - entries/[0-9a-f/]*/$(printf oversized | sha256sum | cut -c1-64)\.age" \
	"fail signature m2 [0-9]+ entries/.*\.age" \
	"fail foreign - - refs/heads/members/not-an-author"
# The removed entry (the first by id: any sequence number) and the changed one leave holes
# in the valid feeds: gaps, unless it was the last.
only layout gap signature foreign receipt-entry
git --git-dir="$REMOTE" update-ref -d refs/heads/members/not-an-author
restore

# ---- what only a key holder can do: duplicates, forks, gaps, misplaced and re-signed files ----
E12=$(hr_entry_at "$REMOTE" "$REF1" 2)
E13=$(hr_entry_at "$REMOTE" "$REF1" 3)
E22=$(hr_entry_at "$REMOTE" "$REF2" 2)
mkdir "$T/e"
seal() { # WHO SEQ PREV [--age FILE]: a validly signed entry of WHO, its id
	local who=$1 seq=$2 prev=$3
	shift 3
	"$RTOOL" seal --home "${H[$who]}" --roster "$C/data/roster" --seq "$seq" --prev "$prev" \
		--version 3 --out "$T/e" "$@" <<<"${PW[$who]}"
}
path() { echo "entries/${1:0:2}/${1:2:2}/$1.age"; }
dup=$(seal m1 3 "$E12") || fail "seal a second sequence 3"
hr_add_pair "$REMOTE" "$REF1" "$T/e/$dup.age"
p=$(hr_git "$REMOTE" ls-tree -r --name-only "$REF2" | grep '\.age$' | head -n 1)
hr_git "$REMOTE" cat-file blob "$REF2:$p" >"$T/e/$(basename "$p")"
hr_git "$REMOTE" cat-file blob "$REF2:$p.minisig" >"$T/e/$(basename "$p").minisig"
hr_add_pair "$REMOTE" "$REF1" "$T/e/$(basename "$p")"
# m2 signs m1's .age as its own next entry: one .age, two authors.
hr_git "$REMOTE" cat-file blob "$REF1:$(path "$E13")" >"$T/e/m1.age"
resigned=$(seal m2 3 "$E22" --age "$T/e/m1.age") || fail "re-sign"
hr_add_pair "$REMOTE" "$REF2" "$T/e/$resigned.age"
audit keys1 1
has "fail duplicate m1 3 $(path "$dup")" "fail duplicate m1 3 $(path "$E13")" \
	"fail author m1 [0-9]+ $p" "fail same-age m1 3 $(path "$E13")" "fail same-age m2 3 $(path "$resigned")"
only duplicate author same-age
restore
fork=$(seal m1 4 "$E12") || fail "seal a fork"
hr_add_pair "$REMOTE" "$REF1" "$T/e/$fork.age"
far=$(seal m2 5 "$E22") || fail "seal after a gap"
hr_add_pair "$REMOTE" "$REF2" "$T/e/$far.age"
audit keys2 1
has "fail fork m1 4 $(path "$fork")" "fail gap m2 3 -"
only fork gap
restore

# ---- the roster: a version removed, an expired version, a key swapped without handover ----
hr_roster_drop "$REMOTE" 2
audit roster-removed 1
has "fail roster - - versions"
# Versions 2 and 3 enrolled them: unverifiable now, and so is the receipt naming version 3.
has "fail receipt-signer office 1 $CR"
only roster not-member receipt-signer
restore
mkdir "$T/r"
v=$("$RTOOL" sign-next --org-key "$T/org.key" --roster "$C/data/roster" --out "$T/r" --expires 2001-01-01 <<<"$ORGPW") ||
	fail "sign an expired version"
hr_roster_add "$REMOTE" "$T/r" "$v"
audit expired 1
has "fail expired - $v roster.json"
only expired
restore
v=$("$RTOOL" sign-next --org-key "$T/org.key" --roster "$C/data/roster" --out "$T/r" --swap-key m1 <<<"$ORGPW") ||
	fail "sign a swapped key"
hr_roster_add "$REMOTE" "$T/r" "$v"
audit key-swap 1
has "fail roster - $v versions/$v/roster.json"
only roster
restore

# ---- forged receipts: signed by a monitor; a coordinator's naming an entry nobody wrote ----
# forge WHO N [ARGS...]: a receipt signed by WHO's key, committed on WHO's receipts branch.
# ROOT=1 forge ...: the commit starts a new history (no parent); ON=OWNER commits it on
# OWNER's receipts branch instead of WHO's.
forge() {
	local who=$1 n=$2 dir=$T/rc-$1-$2 id tree parent commit
	shift 2
	id=$(author_of "${H[${ON:-$who}]}")
	rm -rf "$dir"
	mkdir -p "$dir"
	"$RECT" sign --home "${H[$who]}" --dir "$dir" --n "$n" --roster 3 "$@" <<<"${PW[$who]}" >/dev/null ||
		fail "forging a receipt of $who"
	tree=$(printf '100644 blob %s\treceipt.json\n100644 blob %s\treceipt.json.minisig\n' \
		"$(hr_git "$REMOTE" hash-object -w "$dir/receipt.json")" \
		"$(hr_git "$REMOTE" hash-object -w "$dir/receipt.json.minisig")" | hr_git "$REMOTE" mktree)
	parent=
	[ -n "${ROOT:-}" ] || parent=$(hr_git "$REMOTE" rev-parse -q --verify "refs/heads/receipts/$id" || true)
	commit=$(GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t \
		hr_git "$REMOTE" commit-tree "$tree" ${parent:+-p "$parent"} </dev/null)
	hr_git "$REMOTE" update-ref "refs/heads/receipts/$id" "$commit"
}
forge m1 1 --member "$A1:3:$E13"
NOBODY=$(printf 'nobody wrote this' | b2sum -l 256 | cut -d' ' -f1)
mapfile -t marks < <(printf '%s\n' "$A1:3:$E13" "$A2:2:$NOBODY" | sort) # ascending by id
forge office 2 --prev "$NOBODY" --member "${marks[0]}" --member "${marks[1]}"
audit forged 1
has "fail receipt-signer m1 1 refs/heads/receipts/$A1" "fail receipt-entry m2 2 $CR" \
	"fail receipt-chain office 2 $CR" "fail receipt-monotone m2 2 $CR"
only receipt-signer receipt-entry receipt-chain receipt-monotone
hr_git "$REMOTE" update-ref -d "refs/heads/receipts/$A1"
restore
audit receipts-restored 0

# ---- every receipt of the history, not only the newest ----
H1=$(git --git-dir="$REMOTE" show "$CR:receipt.json" | b2sum -l 256 | cut -d' ' -f1)
mapfile -t good < <(printf '%s\n' "$A1:3:$E13" "$A2:2:$E22" | sort)
# Older receipts forged, and a newest one covering less, on a history whose newest receipt
# alone would audit clean: the first signed by a monitor, the second (the coordinator's
# key) naming an entry nobody wrote, the third faithful, the fourth back to m1's second
# entry with m2 dropped.
ROOT=1 ON=office forge m1 1 --member "$A1:3:$E13"
HF=$(b2sum -l 256 "$T/rc-m1-1/receipt.json" | cut -d' ' -f1)
forge office 2 --prev "$HF" --member "$A2:1:$NOBODY"
HF=$(b2sum -l 256 "$T/rc-office-2/receipt.json" | cut -d' ' -f1)
forge office 3 --prev "$HF" --member "${good[0]}" --member "${good[1]}"
HF=$(b2sum -l 256 "$T/rc-office-3/receipt.json" | cut -d' ' -f1)
forge office 4 --prev "$HF" --member "$A1:2:$E12"
audit older-forged 1
has "fail receipt office 1 $CR" "fail receipt-entry m2 1 $CR" \
	"fail receipt-monotone m1 3 $CR" "fail receipt-monotone m2 2 $CR"
only receipt receipt-entry receipt-monotone
restore
# A receipts branch rolled back between two audits with a state: only the second sees it,
# and every later one until the host serves the history again.
forge office 2 --prev "$H1" --member "${good[0]}" --member "${good[1]}"
TWO=$(hr_save "$REMOTE" "$CR")
audit receipts-state 0 .r
grep -q "^receipts $(author_of "$C") $TWO\$" "$T/state.vigil.r" || fail "no receipts head in the state: $(cat "$T/state.vigil.r")"
cmp -s "$T/state.vigil.r" "$T/state.stock.r" || fail "the tools wrote different states:"$'\n'"$(diff "$T/state.vigil.r" "$T/state.stock.r")"
restore # receipt 1 again: a rollback
audit receipts-rolled-back 1 .r
has "fail rollback office - $CR"
only rollback
# Deleted too: still reported (the state kept the verified head), until the host mends it.
hr_git "$REMOTE" update-ref -d "$CR"
audit receipts-gone 1 .r
has "fail rollback office - $CR"
only rollback
hr_set "$REMOTE" "$CR" "$TWO"
audit receipts-mended 0 .r
only none
restore

# ---- revocation: quarantine and late_accept are notices, a fork below the cutoff fails ----
# The coordinator's receipt covers m2's sequence 2: a cutoff at 1 is refused, naming it,
# and nothing is signed; --below-receipt (a device seized before what was delivered) does it.
v0=$(kk "$C" roster --json | jq .version)
expect_refusal 1 "below sequence 2 of 'm2', which a receipt of this coordinator covers \(refs/heads/receipts/$(author_of "$C")" \
	kk "$C" --passphrase-fd 3 revoke m2 --after-seq 1 3<<<"$ORGPW"
[ "$(kk "$C" roster --json | jq .version)" = "$v0" ] || fail "a refused revocation signed a version"
kk "$C" --passphrase-fd 3 revoke m2 --after-seq 1 --below-receipt 3<<<"$ORGPW" >/dev/null || fail "revoke m2"
kk "$C" publish >/dev/null || fail "publish the revocation"
# The coordinator's receipt (roster version 3) covered m2's sequence 2: a cutoff of 1 is below.
audit receipted-cutoff 1
has "fail receipt-cutoff m2 2 $CR"
only receipt-cutoff
hr_git "$REMOTE" update-ref -d "$CR"
audit revoked 0 .b
has "info quarantined m2 2 entries/${E22:0:2}/${E22:2:2}/$E22.age"
grep -q "^member m2 (revoked): 2 entries, 2 valid, head 2, 1 quarantined" "$T/revoked.vigil" ||
	fail "summary of a revoked member: $(cat "$T/revoked.vigil")"
kk "$C" --passphrase-fd 3 late-accept "$E22" 3<<<"$ORGPW" >/dev/null || fail "late-accept"
kk "$C" publish >/dev/null || fail "publish late_accept"
hr_git "$REMOTE" update-ref -d "$CR" # publishing pushed the coordinator's receipt again
audit late 0 .b
has "info late-accepted m2 2 entries/${E22:0:2}/${E22:2:2}/$E22.age"
E21=$(hr_entry_at "$REMOTE" "$REF2" 1)
below=$(seal m2 1 0000000000000000000000000000000000000000000000000000000000000000) || fail "seal below the cutoff"
GOOD2R=$(hr_save "$REMOTE" "$REF2")
hr_add_pair "$REMOTE" "$REF2" "$T/e/$below.age"
audit below-cutoff 1
has "fail duplicate m2 1 entries/${below:0:2}/${below:2:2}/$below.age" \
	"fail duplicate m2 1 entries/${E21:0:2}/${E21:2:2}/$E21.age"
hr_set "$REMOTE" "$REF2" "$GOOD2R"
# The roster branch taken back past the revocation: the state remembers the newer version.
hr_set "$REMOTE" refs/heads/roster "$GOODR"
audit revocation-rolled-back 1 .b
has "fail rollback - - refs/heads/roster" "fail rollback - 5 roster.json"
echo "ok: clean, bad input, rollbacks with and without state, hostile host, duplicate, fork, gap, other author, same .age, roster removed/expired/swapped, quarantine, late_accept, receipts (clean, monitor-signed, broken chain, unheld entry, cutoff below, refused below a receipt; older receipts forged, a receipt covering less, a receipts branch rolled back and gone with state)"
