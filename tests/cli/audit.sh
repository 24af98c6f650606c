#!/usr/bin/env bash
# The auditor's two tools, `vigil audit` and packaging/audit-with-stock-tools.sh, against
# one repository made by the real programs and changed by a hostile host (and a rogue
# holder of keys): each attack is reported by both with the right kind, both print the
# same findings (severity, kind, member, sequence, path) and exit alike. A state file lets
# the second audit see a rollback the first could not; without one, the audit says so.
# Receipts: tests/cli/audit_receipts.sh, on the same repository (tests/lib/audit_repo.sh).
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/hostile_repo.sh"
require_tool git sqlite3 jq minisign b2sum
. "$VIGIL_SOURCE_DIR/tests/lib/audit_repo.sh"

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
# Names in an entry's directory that the layout refuses, each reported once, nothing read.
hr_leaf_junk "$REMOTE" "$REF1"
audit leaf-junk 1
leafdir=$(dirname "$(hr_first_entry "$REMOTE" "$REF1")")
lp=${leafdir##*/}
lp=${leafdir:8:2}$lp
has "fail layout m1 - $leafdir/[0-9a-f]{64}\.age\.bak" \
	"fail layout m1 - $leafdir/${lp}A{60}\.age" \
	"fail layout m1 - $leafdir/[0-9a-f]{4}a{60}\.age" \
	"fail layout m1 - $leafdir/${lp}b{60}\.age" \
	"fail layout m1 - $leafdir/${lp}c{60}\.age" "fail layout m1 - $leafdir/${lp}c{60}\.age\.minisig" \
	"fail layout m1 - $leafdir/${lp}d{60}\.age" "fail layout m1 - $leafdir/${lp}d{60}\.age\.minisig" \
	"fail layout m1 - $leafdir/${lp}e{60}\.age"
[ "$(grep -c '^fail layout' "$T/f")" = 9 ] || fail "leaf-junk: $(cat "$T/f")"
# The reasons too (the stock tool's are the same words; the comparison stops at the path).
while IFS='|' read -r name why; do
	grep -Eq "^fail layout m1 - $leafdir/$name '.*' $why\$" "$T/leaf-junk.vigil" ||
		fail "leaf-junk: no '$why' for $name: $(cat "$T/leaf-junk.vigil")"
done <<EOF
[0-9a-f]{64}\.age\.bak|is not a file the layout allows
${lp}A{60}\.age|is not a file the layout allows
[0-9a-f]{4}a{60}\.age|is not a file the layout allows
${lp}b{60}\.age|has no signature file beside it
${lp}c{60}\.age|is not a regular file
${lp}c{60}\.age\.minisig|is a signature without its entry
${lp}d{60}\.age|has no signature file beside it
${lp}d{60}\.age\.minisig|is not a regular file
${lp}e{60}\.age|is not a regular file
EOF
only layout
restore
# An entry file stored under an object id that is not its own: the audit reads entry files
# without git's check of their ids (as git cat-file does), and their signature refuses them.
hr_forge_oid "$REMOTE" "$REF2"
audit forged 1
has "fail signature m2 [0-9]+ entries/.*\.age"
only signature gap receipt-entry
restore

# ---- what only a key holder can do: duplicates, forks, gaps, misplaced and re-signed files ----
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
# One thread and four find the same: the walk spreads a branch's directories over threads.
for n in 1 4; do
	rc=0
	vg "$C" audit --remote "$REMOTE" --org "$ORG" --threads "$n" >"$T/keys1.t$n" || rc=$?
	[ "$rc" = 1 ] || fail "audit on $n threads exited $rc: $(cat "$T/keys1.t$n")"
	{ grep -E '^(fail|info) ' "$T/keys1.t$n" || true; } | cut -d' ' -f1-5 | sort >"$T/keys1.t$n.f"
	diff "$T/keys1.vigil.f" "$T/keys1.t$n.f" || fail "$n threads found otherwise than the default"
done
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
echo "ok: clean, bad input, rollbacks with and without state, hostile host, duplicate, fork, gap, other author, same .age, roster removed/expired/swapped, quarantine, late_accept, receipts (clean, unheld entry without state, cutoff below, revocation refused below a receipt)"
