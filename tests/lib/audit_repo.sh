# The repository tests/cli/audit*.sh audit, made by the real programs: an organisation (a
# coordinator, two monitors with 3 and 2 entries, the coordinator's receipt) on a bare
# repository, and the helpers those tests share: restore (the repository as made), audit
# (both tools, the same findings and exit status), has, only, seal (a validly signed entry),
# forge (a receipt signed by any member's key). Sourced after common.sh, daemon.sh and
# hostile_repo.sh.
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

# ---- what a key holder can sign ----
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
NOBODY=$(printf 'nobody wrote this' | b2sum -l 256 | cut -d' ' -f1)
