#!/usr/bin/env bash
# audit-with-stock-tools.sh REPO ORG-PUBKEY [STATE]
#
# The audit of a vigil repository (common/FORMAT.md 18) with stock tools only: git,
# minisign, b2sum, jq and the shell (coreutils, awk). No vigil binary is involved, so an
# auditor can check vigil's own answer (`vigil audit`) with tools it did not write.
#
#   REPO        a bare git repository (a path), e.g. a `git clone --mirror` of the host's
#   ORG-PUBKEY  the organisation's minisign public key line (RW...), from a trusted source
#   STATE       a state file (FORMAT.md 18.3): read when present, then replaced, so that the
#               next audit reports branches or a roster that went backwards
#
# Prints the same finding lines as `vigil audit` ("severity kind member sequence path
# reason") and exits as it does: 1 when anything fails, 0 otherwise. What this script does
# not repeat of vigil's checks: the strict grammars of the signature file, the age header
# and the roster document (FORMAT.md 3, 4.4, 11.2); it checks their signatures, hashes,
# chains, recipients and every rule between versions and entries.
set -uo pipefail
export LC_ALL=C GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 REPO ORG-PUBKEY [STATE]" >&2
	exit 2
fi
REPO=$1
ORG=$2
STATE=${3:-}
for t in git minisign b2sum jq awk; do
	command -v "$t" >/dev/null || { echo "audit: '$t' is needed" >&2; exit 1; }
done
die() {
	echo "audit: $*" >&2
	exit 1
}
g() { git --git-dir="$REPO" "$@"; }
g rev-parse --git-dir >/dev/null 2>&1 || die "no repository at '$REPO'"

W=$(mktemp -d "${TMPDIR:-/tmp}/vigil-audit-XXXXXX")
trap 'rm -rf "$W"' EXIT
F=$W/findings
: >"$F"
ZERO=0000000000000000000000000000000000000000000000000000000000000000
AGE_MAX=1114112 # 1 MiB + 64 KiB
SIG_MAX=1536
JSON_MAX=8388608

# finding SEVERITY KIND MEMBER SEQ PATH REASON
finding() {
	local p
	p=$(printf '%s' "$5" | tr -c '\041-\176' '?')
	printf '%s %s %s %s %s %s\n' "$1" "$2" "$3" "${4:--}" "${p:--}" "$6" >>"$F"
}
fail() { finding fail "$@"; }

ORGID=$(printf '%s' "$ORG" | base64 -d 2>/dev/null | tail -c 32 | b2sum -l 256 | cut -d' ' -f1)
[ "$(printf '%s' "$ORG" | base64 -d 2>/dev/null | wc -c)" = 42 ] || {
	echo "audit: ORG-PUBKEY is not a minisign public key line (RW...)" >&2
	exit 2
}

# ---- the state of the last audit (FORMAT.md 18.3) ----
declare -A OLD  # author -> commit
declare -A OLDR # coordinator -> receipts branch commit
OLD_ROSTER=
if [ -n "$STATE" ] && [ -f "$STATE" ]; then
	[ -s "$STATE" ] && [ "$(tail -c 1 "$STATE" | od -An -tx1 | tr -d ' ')" = 0a ] ||
		die "state file '$STATE': line 1 is malformed"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		if [ $n = 1 ]; then
			[[ $line =~ ^vigil-audit-state\ v=1\ org=([0-9a-f]{64})$ ]] ||
				die "state file '$STATE': line 1 is malformed"
			[ "${BASH_REMATCH[1]}" = "$ORGID" ] ||
				die "state file '$STATE' belongs to another organisation"
		elif [ $n = 2 ] && [[ $line =~ ^roster\ ([1-9][0-9]*)\ ([0-9a-f]{64})\ ([0-9a-f]{40})$ ]]; then
			OLD_ROSTER="${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
		elif [[ $line =~ ^receipts\ ([0-9a-f]{64})\ ([0-9a-f]{40})$ ]] && [[ ${BASH_REMATCH[1]} > ${lastr:-} ]]; then
			OLDR[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
			lastr=${BASH_REMATCH[1]}
		elif [ -z "${lastr:-}" ] && [[ $line =~ ^member\ ([0-9a-f]{64})\ ([0-9a-f]{40})$ ]] && [[ ${BASH_REMATCH[1]} > ${last:-} ]]; then
			OLD[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
			last=${BASH_REMATCH[1]}
		else
			die "state file '$STATE': line $n is malformed"
		fi
	done <"$STATE"
	STATE_READ=1
else
	STATE_READ=0
	if [ -z "$STATE" ]; then
		finding info no-state - - - "no state file: a rollback since an earlier audit cannot be detected"
	else
		finding info no-state - - - "no earlier state: a rollback cannot be detected this time"
	fi
fi

# descends NEW OLD: OLD is NEW or one of its ancestors (a missing OLD is not).
descends() { [ "$1" = "$2" ] || g merge-base --is-ancestor "$2" "$1" 2>/dev/null; }

# ---- the roster branch (FORMAT.md 15, 11.4, 11.5) ----
mkdir -p "$W/v"
NEWEST=0     # the highest version the branch's layout names
VERIFIED=0   # versions 1 .. VERIFIED verified
ROSTER_HEAD=
roster_fail=0
dec_name() { [[ $1 =~ ^[1-9][0-9]{0,15}$ ]] && [ "$1" -le 9007199254740991 ]; }
before=$(grep -c '^fail ' "$F")
if ! ROSTER_HEAD=$(g rev-parse --verify -q 'refs/heads/roster^{commit}'); then
	ROSTER_HEAD=
	fail roster - - refs/heads/roster "the repository has no roster branch"
else
	if [ -n "$OLD_ROSTER" ] && ! descends "$ROSTER_HEAD" "${OLD_ROSTER##* }"; then
		fail rollback - - refs/heads/roster "the roster branch moved backwards or was rewritten"
	fi
	# Top level: versions/, roster.json, roster.json.minisig, org.pub.
	has_versions=0
	while IFS=$'\t' read -r -d '' meta name; do
		read -r mode type _ <<<"$meta"
		if [ "$name" = versions ] && [ "$type" = tree ]; then
			has_versions=1
		elif { [ "$name" = roster.json ] || [ "$name" = roster.json.minisig ] ||
			[ "$name" = org.pub ]; } && [ "$mode" = 100644 ]; then
			:
		else
			fail roster - - "$name" "is not a file the layout allows"
		fi
	done < <(g ls-tree -z "$ROSTER_HEAD")
	if [ $has_versions = 0 ]; then
		fail roster - - versions "is missing"
	else
		good=0
		while IFS=$'\t' read -r -d '' meta name; do
			read -r mode type oid <<<"$meta"
			if ! dec_name "$name" || [ "$type" != tree ]; then
				fail roster - - "versions/${name:0:100}" "is not a file the layout allows"
				continue
			fi
			if [ "$(g ls-tree --name-only "$oid" | tr '\n' ' ')" = "roster.json roster.json.minisig " ]; then
				good=$((good + 1))
			else
				fail roster - - "versions/$name" "holds other files than roster.json and its signature"
			fi
			[ "$name" -gt "$NEWEST" ] && NEWEST=$name
		done < <(g ls-tree -z "$ROSTER_HEAD:versions")
		[ "$NEWEST" = "$good" ] || fail roster - - versions "has a gap"
	fi
	# Every version from 1, until one is missing or refused.
	v=1
	while :; do
		p=versions/$v/roster.json
		jm=$(g ls-tree "$ROSTER_HEAD" "$p" 2>/dev/null | cut -d' ' -f1)
		sm=$(g ls-tree "$ROSTER_HEAD" "$p.minisig" 2>/dev/null | cut -d' ' -f1)
		{ [ -z "$jm" ] || [ -z "$sm" ]; } && break
		why=
		if [ "$jm" != 100644 ] || [ "$sm" != 100644 ]; then
			why="not a regular file"
		elif [ "$(g cat-file -s "$ROSTER_HEAD:$p")" -gt $JSON_MAX ] ||
			[ "$(g cat-file -s "$ROSTER_HEAD:$p.minisig")" -gt $SIG_MAX ]; then
			why="larger than the caps"
		else
			g cat-file blob "$ROSTER_HEAD:$p" >"$W/v/$v.json"
			g cat-file blob "$ROSTER_HEAD:$p.minisig" >"$W/v/$v.json.minisig"
			tc=$(sed -n 3p "$W/v/$v.json.minisig")
			hash=$(b2sum -l 256 "$W/v/$v.json" | cut -d' ' -f1)
			prevhash=$ZERO
			[ $v -gt 1 ] && prevhash=$(b2sum -l 256 "$W/v/$((v - 1)).json" | cut -d' ' -f1)
			if [ "$(head -n 1 "$W/v/$v.json.minisig")" != "untrusted comment: vigil signature" ]; then
				why="the signature's untrusted comment"
			elif ! minisign -H -Vm "$W/v/$v.json" -x "$W/v/$v.json.minisig" -P "$ORG" -q 2>/dev/null; then
				why="the organisation key's signature does not verify"
			elif [ "$tc" != "trusted comment: vigil-roster v=1 org=$ORGID version=$v prev=$prevhash hash=$hash" ]; then
				why="its trusted comment (organisation, version, previous hash or hash)"
			elif ! printf '%s\n' "$(jq -cS . "$W/v/$v.json" 2>/dev/null)" | cmp -s - "$W/v/$v.json"; then
				why="not canonical JSON"
			elif ! jq -e --arg org "$ORGID" --arg key "$ORG" --argjson v "$v" --arg prev "$prevhash" \
				'.v == 1 and .org == $org and .version == $v and .prev == $prev and
				 .signers == {"keys": [$key], "threshold": 1}' "$W/v/$v.json" >/dev/null; then
				why="its document does not match its signature"
			elif [ $v -gt 1 ] && ! jq -e -n --slurpfile a "$W/v/$((v - 1)).json" --slurpfile b "$W/v/$v.json" '
				$a[0] as $p | $b[0] as $c |
				($c.org == $p.org) and ($c.signers == $p.signers) and
				([$p.members[] | . as $m |
				  ([$c.members[] | select(.id == $m.id)] | .[0]) as $n |
				  $n != null and $n.pseudonym == $m.pseudonym and $n.key == $m.key and
				  (if $m.revoked then ($n.revoked == true and $n.cutoff == $m.cutoff)
				   else ($n.revoked == true or ($n.role == $m.role and $n.age == $m.age)) end)
				 ] | all) and
				(($p.late_accept - $c.late_accept) | length == 0)' >/dev/null; then
				why="it breaks the rules between versions (a member changed or removed)"
			fi
		fi
		if [ -n "$why" ]; then
			fail roster - $v "$p" "roster version $v refused: $why"
			break
		fi
		VERIFIED=$v
		v=$((v + 1))
	done
	if [ $VERIFIED = 0 ]; then
		[ "$(grep -c '^fail ' "$F")" = "$before" ] &&
			fail roster - - versions "the roster branch holds no version"
	else
		if [ $VERIFIED = "$NEWEST" ]; then
			[ "$(g rev-parse -q --verify "$ROSTER_HEAD:roster.json")" = \
				"$(g rev-parse "$ROSTER_HEAD:versions/$NEWEST/roster.json")" ] &&
				[ "$(g rev-parse -q --verify "$ROSTER_HEAD:roster.json.minisig")" = \
					"$(g rev-parse "$ROSTER_HEAD:versions/$NEWEST/roster.json.minisig")" ] ||
				fail roster - - roster.json "the roster branch's roster.json is not its newest version"
		fi
		expires=$(jq -r .expires "$W/v/$VERIFIED.json")
		[[ "$(date -u +%F)" > "$expires" ]] &&
			fail expired - $VERIFIED roster.json "the newest roster version expired on $expires"
		if [ -n "$OLD_ROSTER" ]; then
			read -r ov oh _ <<<"$OLD_ROSTER"
			if [ "$ov" -gt "$NEWEST" ]; then
				fail rollback - "$ov" roster.json "the branch's newest version is $NEWEST; the last audit verified $ov"
			elif [ "$ov" -le $VERIFIED ] && [ "$(b2sum -l 256 "$W/v/$ov.json" | cut -d' ' -f1)" != "$oh" ]; then
				fail fork - "$ov" "versions/$ov/roster.json" "roster version $ov is not the one the last audit verified"
			fi
		fi
	fi
fi
[ "$(grep -c '^fail ' "$F")" != "$before" ] && roster_fail=1
CUR=$W/v/$VERIFIED.json

# Per version, the members: "id pseudonym role key" (role "revoked" for revoked ones).
for ((v = 1; v <= VERIFIED; v++)); do
	jq -r '.members[] | [.id, .pseudonym, (if .revoked then "revoked" else .role end), .key] | join(" ")' \
		"$W/v/$v.json" >"$W/v/$v.members"
	jq -r '[.members[] | select(.revoked != true and .role == "coordinator")] | length' \
		"$W/v/$v.json" >"$W/v/$v.coords"
	jq -r '.policy.readback' "$W/v/$v.json" >"$W/v/$v.readback"
done
# name AUTHOR: the pseudonym in the newest verified version, else the author id.
name() {
	local n=
	[ $VERIFIED -gt 0 ] && n=$(awk -v a="$1" '$1 == a { print $2 }' "$W/v/$VERIFIED.members")
	printf '%s' "${n:-$1}"
}

# ---- member branches (FORMAT.md 10) ----
declare -A BR # author -> commit, for branches that name a commit
declare -A ROLLED
while IFS= read -r ref; do
	hex=${ref#refs/heads/members/}
	if ! [[ $hex =~ ^[0-9a-f]{64}$ ]]; then
		fail foreign - - "$ref" "a branch name outside the layout"
		continue
	fi
	oid=$(g rev-parse -q --verify "$ref")
	if [ "$(g cat-file -t "$oid" 2>/dev/null)" != commit ]; then
		fail layout "$(name "$hex")" - "$ref" "a branch that names no commit"
		continue
	fi
	BR[$hex]=$oid
done < <(g for-each-ref --format='%(refname)' refs/heads/members/)
for a in "${!OLD[@]}"; do
	[ -n "${BR[$a]:-}" ] ||
		fail rollback "$(name "$a")" - "refs/heads/members/$a" "the branch the last audit verified is gone"
done

: >"$W/valid" # "branch-author seq id prev age-oid" of every entry valid on its own
ENTRIES=0
check_entry() { # AUTHOR NAME PATH AGE-OID SIG-OID
	local author=$1 nm=$2 path=$3 age=$W/e.age sig=$W/e.age.minisig tc seq prev ver line role key n want
	g cat-file blob "$4" >"$age"
	g cat-file blob "$5" >"$sig"
	tc=$(sed -n 3p "$sig")
	if [ "$(wc -l <"$sig")" != 4 ] || [ "$(sed -n 1p "$sig" | cut -c1-19)" != "untrusted comment: " ] ||
		! [[ $tc =~ ^trusted\ comment:\ vigil-entry\ v=1\ org=([0-9a-f]{64})\ author=([0-9a-f]{64})\ seq=([1-9][0-9]*)\ prev=([0-9a-f]{64})\ roster=([1-9][0-9]*)$ ]]; then
		fail malformed "$nm" - "$path" "malformed signature file"
		return
	fi
	local torg=${BASH_REMATCH[1]} tauthor=${BASH_REMATCH[2]}
	seq=${BASH_REMATCH[3]} prev=${BASH_REMATCH[4]} ver=${BASH_REMATCH[5]}
	if { [ "$seq" = 1 ] && [ "$prev" != $ZERO ]; } || { [ "$seq" != 1 ] && [ "$prev" = $ZERO ]; }; then
		fail malformed "$nm" - "$path" "malformed trusted comment"
		return
	fi
	[ "$tauthor" = "$author" ] || { fail author "$nm" "$seq" "$path" "signed as another member's"; return; }
	[ "$(sed -n 1p "$sig")" = "untrusted comment: vigil signature" ] ||
		{ fail malformed "$nm" "$seq" "$path" "the untrusted comment"; return; }
	[ "$torg" = "$ORGID" ] || { fail org "$nm" "$seq" "$path" "another organisation"; return; }
	[ "$ver" -le "$VERIFIED" ] 2>/dev/null ||
		{ fail roster-version "$nm" "$seq" "$path" "names roster version $ver, not verified"; return; }
	line=$(awk -v a="$author" '$1 == a' "$W/v/$ver.members")
	[ -n "$line" ] || { fail not-member "$nm" "$seq" "$path" "not a member of roster version $ver"; return; }
	read -r _ _ role key <<<"$line"
	minisign -H -Vm "$age" -x "$sig" -P "$key" -q 2>/dev/null ||
		{ fail signature "$nm" "$seq" "$path" "the signature does not verify"; return; }
	id=$({ cat "$age"; tail -n 2 "$sig"; } | b2sum -l 256 | cut -d' ' -f1)
	[ "$path" = "entries/${id:0:2}/${id:2:2}/$id.age" ] ||
		{ fail id "$nm" "$seq" "$path" "the id is not its file name"; return; }
	# Stanzas: every one X25519, as many as the recipients of version ver (11.6).
	n=$(head -c 65536 "$age" | awk '/^---/ { exit } /^-> / { n++; if ($2 != "X25519") bad = 1 }
		END { print bad ? -1 : n + 0 }')
	want=$(($(cat "$W/v/$ver.coords") + 1))
	[ "$(cat "$W/v/$ver.readback")" = true ] && [ "$role" = monitor ] && want=$((want + 1))
	[ "$n" = "$want" ] || { fail stanzas "$nm" "$seq" "$path" "encrypted to $n recipients, not $want"; return; }
	[ "$role" = auditor ] && { fail auditor "$nm" "$seq" "$path" "auditors may not write"; return; }
	echo "$author $seq $id $prev $4" >>"$W/valid"
}

for a in $(printf '%s\n' "${!BR[@]}" | sort); do
	oid=${BR[$a]}
	nm=$(name "$a")
	ref=refs/heads/members/$a
	if [ -n "${OLD[$a]:-}" ] && ! descends "$oid" "${OLD[$a]}"; then
		ROLLED[$a]=1
		fail rollback "$nm" - "$ref" "the branch moved backwards or was rewritten"
	fi
	[ $VERIFIED = 0 ] && continue
	if [ "$nm" = "$a" ]; then
		fail not-member "$nm" - "$ref" "a branch of someone who is not a member of the roster"
		continue
	fi
	# Every name in the tree: what the layout allows, nothing below what it does not.
	g ls-tree -r -t -z --full-tree "$oid" >"$W/tree"
	declare -A MODE=() OID=()
	while IFS=$'\t' read -r -d '' meta p; do
		read -r mode _ o <<<"$meta"
		MODE[$p]=$mode
		OID[$p]=$o
	done <"$W/tree"
	badpfx=
	while IFS=$'\t' read -r -d '' meta p; do
		read -r mode type o <<<"$meta"
		if [ -n "$badpfx" ] && [[ $p == "$badpfx"* ]]; then continue; fi
		badpfx=
		IFS=/ read -r -a parts <<<"$p"
		d=${#parts[@]}
		if [ $d -le 3 ]; then
			ok=0
			if [ "$type" = tree ]; then
				if [ $d = 1 ]; then [ "$p" = entries ] && ok=1
				elif [[ ${parts[0]} == entries && ${parts[$((d - 1))]} =~ ^[0-9a-f]{2}$ ]]; then ok=1; fi
			fi
			if [ $ok = 0 ]; then
				fail layout "$nm" - "$p" "is not a file the layout allows"
				[ "$type" = tree ] && badpfx="$p/"
			fi
			continue
		fi
		# entries/xx/yy/<name>
		leaf=${parts[3]}
		if ! [[ $leaf =~ ^(${parts[1]}${parts[2]}[0-9a-f]{60})\.age(\.minisig)?$ ]] || [ $d != 4 ]; then
			fail layout "$nm" - "$p" "is not a file the layout allows"
			[ "$type" = tree ] && badpfx="$p/"
			continue
		fi
		if [ "$mode" != 100644 ]; then
			fail layout "$nm" - "$p" "is not a regular file"
			[ "$type" = tree ] && badpfx="$p/"
			continue
		fi
		if [ -n "${BASH_REMATCH[2]}" ]; then
			[ "${MODE[${p%.minisig}]:-}" = 100644 ] ||
				fail layout "$nm" - "$p" "is a signature without its entry"
			continue
		fi
		if [ "${MODE[$p.minisig]:-}" != 100644 ]; then
			fail layout "$nm" - "$p" "has no signature file beside it"
			continue
		fi
		s=$(g cat-file -s "$o" 2>/dev/null) || { fail layout "$nm" - "$p" "missing object"; continue; }
		[ "$s" -le $AGE_MAX ] || { fail layout "$nm" - "$p" "is larger than an entry can be"; continue; }
		s=$(g cat-file -s "${OID[$p.minisig]}" 2>/dev/null) ||
			{ fail layout "$nm" - "$p.minisig" "missing object"; continue; }
		[ "$s" -le $SIG_MAX ] || { fail layout "$nm" - "$p.minisig" "is larger than an entry can be"; continue; }
		ENTRIES=$((ENTRIES + 1))
		check_entry "$a" "$nm" "$p" "$o" "${OID[$p.minisig]}"
	done <"$W/tree"
	unset MODE OID
done

# ---- feeds (FORMAT.md 18.2) ----
for a in $(printf '%s\n' "${!BR[@]}" | sort); do
	nm=$(name "$a")
	[ $VERIFIED = 0 ] || [ "$nm" = "$a" ] && continue
	info=$(jq -r --arg a "$a" '.members[] | select(.id == $a) |
		if .revoked then "1 \(.cutoff.seq) \(.cutoff.id)" else "0 0 -" end' "$CUR")
	jq -r '.late_accept[]' "$CUR" >"$W/late"
	awk -v a="$a" '$1 == a { print $2, $3, $4 }' "$W/valid" | sort -k1,1n -k2,2 |
		awk -v nm="$nm" -v info="$info" -v late="$W/late" '
		function out(kind, sev, s, id, msg) {
			printf "%s %s %s %s %s %s\n", sev, kind, nm, s,
				(id == "-" ? "-" : "entries/" substr(id, 1, 2) "/" substr(id, 3, 2) "/" id ".age"), msg
		}
		BEGIN { split(info, f, " "); revoked = f[1]; c = f[2] + 0; C = f[3]
			while ((getline l < late) > 0) L[l] = 1 }
		{ n++; seq[n] = $1 + 0; id[n] = $2; prev[n] = $3 }
		END {
			top = revoked ? c : (n > 0 ? seq[n] : 0); expect = 1
			for (k = 1; k <= n && expect <= top; k++) {
				if (seq[k] > expect) out("gap", "fail", expect, "-", "a gap in the feed")
				if (seq[k] >= expect) expect = seq[k] + 1
			}
			if (expect <= top) out("gap", "fail", expect, "-", "a gap in the feed")
			i = 1; pg = 0; pn = 0
			while (i <= n) {
				g = i; s = seq[i]; gn = 0
				while (i <= n && seq[i] == s) { i++; gn++ }
				for (k = g; k < g + gn; k++) {
					if (gn > 1) { out("duplicate", "fail", s, id[k], "two entries with one sequence number"); continue }
					if (revoked && s > c) {
						if (!(id[k] in L)) { out("quarantined", "info", s, id[k], "after the cutoff of a revoked member"); continue }
						out("late-accepted", "info", s, id[k], "admitted by late_accept")
					}
					if (revoked && s == c && id[k] != C) { out("fork", "fail", s, id[k], "not the entry the cutoff names"); continue }
					if (s == 1 || pn == 0 || seq[pg] != s - 1) continue
					linked = 0
					for (p = pg; p < pg + pn; p++) if (prev[k] == id[p]) linked = 1
					if (!linked) out("fork", "fail", s, id[k], "its previous entry is not the one before it")
				}
				pg = g; pn = gn
			}
		}' >>"$F"
done
# One .age file in more than one entry.
sort -k5,5 "$W/valid" | awk '{ n[$5]++; line[$5, n[$5]] = $0 } END {
	for (o in n) if (n[o] > 1) for (k = 1; k <= n[o]; k++) { split(line[o, k], f, " "); print f[1], f[2], f[3], n[o] } }' |
	while read -r a s id cnt; do
		fail same-age "$(name "$a")" "$s" "entries/${id:0:2}/${id:2:2}/$id.age" "the same .age file is signed in $cnt entries"
	done

# ---- receipts (FORMAT.md 17.6, 18.2 pass 7): every receipt of each branch ----
RJSON_MAX=4194304
declare -A RH RROLLED # coordinator -> head commit; rolled back since the state
# receipt_one REF COORD-ID NAME KEY COMMIT POS: one receipt; on success r.json is in $W.
receipt_one() {
	local ref=$1 c=$2 cn=$3 key=$4 commit=$5 pos=$6 tc n prev hash modes role parents ph ver
	modes=$(g ls-tree "$commit" 2>/dev/null | awk '{ printf "%s %s %s;", $1, $2, $4 }')
	if [ "$modes" != "100644 blob receipt.json;100644 blob receipt.json.minisig;" ]; then
		fail receipt "$cn" "$pos" "$ref" "receipt at $pos: its tree is not receipt.json and its signature"
		return 1
	fi
	if [ "$(g cat-file -s "$commit:receipt.json")" -gt $RJSON_MAX ] ||
		[ "$(g cat-file -s "$commit:receipt.json.minisig")" -gt $SIG_MAX ]; then
		fail receipt "$cn" "$pos" "$ref" "receipt at $pos is larger than the caps"
		return 1
	fi
	g cat-file blob "$commit:receipt.json" >"$W/r.json"
	g cat-file blob "$commit:receipt.json.minisig" >"$W/r.json.minisig"
	hash=$(b2sum -l 256 "$W/r.json" | cut -d' ' -f1)
	tc=$(sed -n 3p "$W/r.json.minisig")
	if [ "$(head -n 1 "$W/r.json.minisig")" != "untrusted comment: vigil signature" ] ||
		! minisign -H -Vm "$W/r.json" -x "$W/r.json.minisig" -P "$key" -q 2>/dev/null ||
		! [[ $tc =~ ^trusted\ comment:\ vigil-receipt\ v=1\ org=$ORGID\ coordinator=$c\ n=([1-9][0-9]*)\ prev=([0-9a-f]{64})\ hash=$hash$ ]]; then
		fail receipt "$cn" "$pos" "$ref" "receipt at $pos: its signature or trusted comment is refused"
		return 1
	fi
	n=${BASH_REMATCH[1]} prev=${BASH_REMATCH[2]}
	if ! printf '%s\n' "$(jq -cS . "$W/r.json" 2>/dev/null)" | cmp -s - "$W/r.json" ||
		! jq -e --arg org "$ORGID" --arg c "$c" --argjson n "$n" --arg prev "$prev" '
		(keys == ["coordinator", "members", "n", "org", "prev", "roster", "v"]) and
		.v == 1 and .org == $org and .coordinator == $c and .n == $n and .prev == $prev and
		(.roster | type == "number" and . >= 1) and
		((.n == 1) == (.prev == "0000000000000000000000000000000000000000000000000000000000000000")) and
		([.members[] | keys == ["entry", "id", "seq"] and (.seq | type == "number" and . >= 1)] | all) and
		([.members[].id] as $ids | $ids == ($ids | unique))' "$W/r.json" >/dev/null; then
		fail receipt "$cn" "$pos" "$ref" "receipt at $pos: its document is refused"
		return 1
	fi
	ver=$(jq -r .roster "$W/r.json")
	role=
	[ "$ver" -le $VERIFIED ] && role=$(awk -v a="$c" '$1 == a { print $3 }' "$W/v/$ver.members")
	if [ "$role" != coordinator ]; then
		fail receipt-signer "$cn" "$pos" "$ref" "receipt $n is not signed by an unrevoked coordinator of roster version $ver"
		return 1
	fi
	parents=$(g rev-list --parents -n 1 "$commit" | wc -w)
	parents=$((parents - 1))
	ph=
	[ $parents = 1 ] && ph=$(g cat-file blob "$commit^:receipt.json" 2>/dev/null | b2sum -l 256 | cut -d' ' -f1)
	if [ "$n" != "$pos" ] || { [ "$n" = 1 ] && [ $parents != 0 ]; } || { [ "$n" != 1 ] && [ $parents != 1 ]; } ||
		{ [ $parents = 1 ] && [ "$ph" != "$prev" ]; }; then
		fail receipt-chain "$cn" "$pos" "$ref" "receipt $n does not follow its commit's parent"
	fi
	return 0
}
receipt_branch() { # REF COORD-ID HEAD
	local ref=$1 c=$2 head=$3 cn line key pos=0 commit have_prev=0
	cn=$(name "$c")
	line=$(awk -v a="$c" '$1 == a' "$W/v/$VERIFIED.members")
	if [ -z "$line" ]; then
		fail receipt-signer "$cn" - "$ref" "a receipts branch of someone who is not a member of the roster"
		return
	fi
	read -r _ _ _ key <<<"$line"
	: >"$W/els"
	: >"$W/shrunk"
	for commit in $(g rev-list --first-parent --reverse "$head"); do
		pos=$((pos + 1))
		receipt_one "$ref" "$c" "$cn" "$key" "$commit" "$pos" || continue
		# 17.2: never less than the previous verified receipt of the branch.
		[ $have_prev = 1 ] && jq -r --slurpfile now "$W/r.json" '.members[] as $w |
			([$now[0].members[] | select(.id == $w.id)][0]) as $m |
			select($m == null or $m.seq < $w.seq or ($m.seq == $w.seq and $m.entry != $w.entry)) |
			"\($w.id) \($w.seq)"' "$W/prev.json" >>"$W/shrunk"
		jq -r '.roster as $v | .members[] | "\(.id) \(.seq) \(.entry) \($v)"' "$W/r.json" >>"$W/els"
		cp "$W/r.json" "$W/prev.json"
		have_prev=1
	done
	sort -u "$W/shrunk" | while read -r m s; do
		fail receipt-monotone "$(name "$m")" "$s" "$ref" "a later receipt covers less of the member than an earlier one did (sequence $s)"
	done
	# One element per (id, seq, entry), with the lowest roster version naming it.
	sort -k1,1 -k2,2n -k3,3 -k4,4n "$W/els" | awk '!seen[$1 " " $2 " " $3]++' | while read -r m s e ver; do
		grep -q "^$m $s $e " "$W/valid" ||
			fail receipt-entry "$(name "$m")" "$s" "$ref" "a receipt names an entry the member's branch does not hold valid"
		for ((v = ver + 1; v <= VERIFIED; v++)); do
			co=$(jq -r --arg m "$m" '.members[] | select(.id == $m and .revoked == true) | .cutoff.seq' "$W/v/$v.json")
			[ -z "$co" ] && continue
			[ "$s" -gt "$co" ] &&
				fail receipt-cutoff "$(name "$m")" "$s" "$ref" "roster version $v revokes the member with cutoff $co, below a receipt of version $ver"
			break
		done
	done
}
if [ $VERIFIED -gt 0 ]; then
	while IFS= read -r ref; do
		hex=${ref#refs/heads/receipts/}
		if ! [[ $hex =~ ^[0-9a-f]{64}$ ]]; then
			fail foreign - - "$ref" "a branch name outside the layout"
			continue
		fi
		oid=$(g rev-parse -q --verify "$ref")
		if [ "$(g cat-file -t "$oid" 2>/dev/null)" != commit ]; then
			fail receipt "$(name "$hex")" - "$ref" "a receipts branch that names no commit"
			continue
		fi
		RH[$hex]=$oid
		# 17.6 step 1: the head descends from the one the last audit verified.
		if [ -n "${OLDR[$hex]:-}" ] && ! descends "$oid" "${OLDR[$hex]}"; then
			fail rollback "$(name "$hex")" - "$ref" "the receipts branch moved backwards or was rewritten since the last audit"
			RROLLED[$hex]=1
		fi
		receipt_branch "$ref" "$hex" "$oid"
	done < <(g for-each-ref --format='%(refname)' refs/heads/receipts/)
	for hex in "${!OLDR[@]}"; do
		[ -n "${RH[$hex]:-}" ] ||
			fail rollback "$(name "$hex")" - "refs/heads/receipts/$hex" "the receipts branch the last audit verified is gone"
	done
fi

# ---- the new state ----
if [ -n "$STATE" ]; then
	{
		echo "vigil-audit-state v=1 org=$ORGID"
		if [ -n "$ROSTER_HEAD" ] && [ $roster_fail = 0 ]; then
			echo "roster $VERIFIED $(b2sum -l 256 "$CUR" | cut -d' ' -f1) $ROSTER_HEAD"
		elif [ -n "$OLD_ROSTER" ]; then
			echo "roster $OLD_ROSTER"
		fi
		for a in $(printf '%s\n' "${!BR[@]}" "${!OLD[@]}" | sort -u); do
			if [ -n "${BR[$a]:-}" ] && [ -z "${ROLLED[$a]:-}" ]; then
				echo "member $a ${BR[$a]}"
			else
				echo "member $a ${OLD[$a]}"
			fi
		done
		for c in $(printf '%s\n' "${!RH[@]}" "${!OLDR[@]}" | sort -u); do
			if [ -n "${RH[$c]:-}" ] && [ -z "${RROLLED[$c]:-}" ]; then
				echo "receipts $c ${RH[$c]}"
			else
				echo "receipts $c ${OLDR[$c]}"
			fi
		done
	} >"$STATE.tmp.$$" && mv "$STATE.tmp.$$" "$STATE" || die "cannot write the state file '$STATE'"
fi

# ---- report ----
echo "audit of $REPO with stock tools"
[ $VERIFIED -gt 0 ] && echo "roster: versions 1 to $VERIFIED verified, the newest expires $(jq -r .expires "$CUR")"
sort -t' ' -k3,3 -k4,4n -k2,2 -k5,5 "$F"
nf=$(grep -c '^fail ' "$F")
echo "audit: $ENTRIES entries, $(wc -l <"$W/valid") valid: $nf failures, $(grep -c '^info ' "$F") notices"
[ "$nf" = 0 ]
