#!/usr/bin/env bash
# vigil-keys end to end in temporary homes made by the real `vigil init`: org init (the
# organisation key refused inside a home, the recovery identity opened by stock age with its
# passphrase), enroll a monitor, a second coordinator and an auditor (fingerprint codes,
# --yes), invite (signed, credential for the member alone), entries sealed under that
# roster open with both coordinators' and the recovery identities and nobody else's (stock
# age, exported identities), revoke with the cutoff from what the coordinator verified,
# quarantine after it, a thief's fork refused, late-accept, roster --verify; stock minisign
# verifies the good roster and refuses a tampered one; rollback, fork, a wrong signer and
# expiry refused.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool minisign age b2sum jq script timeout

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
TOOL=$VIGIL_BUILD_DIR/tests/vg_roster_tool
[ -x "$KEYS" ] || fail "vigil-keys is not built"
[ -x "$TOOL" ] || fail "vg_roster_tool is not built"

ORGPW='organisation key: a long passphrase'
RECPW='recovery: another long passphrase'
FP_RE='^[0-9]{5} [0-9]{5} [0-9]{5} [0-9]{5} [0-9]{5}$'

# kk HOME ARGS...: vigil-keys for HOME without a terminal (nothing can be asked).
kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}

# age_tty PASSPHRASE ARGS...: stock age on a pseudo-terminal, the passphrase typed into it
# (age 1.1 reads passphrases from the terminal only). Exit status: age's.
age_tty() {
	local pw=$1
	shift
	printf '%s\n' "$pw" | timeout 120 script -qec "$(printf '%q ' age "$@")" /dev/null \
		>"$T/.age.out" 2>&1
}

# ---- device identities, made by the real vigil init ----
declare -A H PW
for who in office abroad nadia audit outsider; do
	new_home home "$who"
	H[$who]=$home
	PW[$who]="vault passphrase of $who"
	vg "${H[$who]}" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null ||
		fail "vigil init for $who"
	[ -s "${H[$who]}/data/identity.pub" ] || fail "no identity.pub for $who"
done
C1=${H[office]}
R=$C1/data/roster
OFF=$T/offline
mkdir -p "$OFF"

# ---- org init ----
expect_refusal 1 "run 'vigil init' first" kk "$T/nobody" --passphrase-fd 3 org init --name X \
	--org-key "$OFF/x.key" 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW")
expect_refusal 2 "needs --name" kk "$C1" org init
expect_refusal 1 "inside a vigil home.*--force" kk "$C1" --passphrase-fd 3 org init \
	--name "Example Watch" --org-key "$C1/data/org.key" --recovery "$OFF/r.age" \
	3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW")
expect_refusal 1 "inside a vigil home" kk "$C1" --passphrase-fd 3 org init \
	--name "Example Watch" --org-key "${H[nadia]}/org.key" --recovery "$OFF/r.age" \
	3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW")
expect_refusal 1 "r.age. is inside a vigil home: the recovery identity" kk "$C1" --passphrase-fd 3 org init \
	--name "Example Watch" --org-key "$OFF/org.key" --recovery "$C1/config/r.age" \
	3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW")
expect_refusal 1 "passphrase of its own" kk "$C1" --passphrase-fd 3 org init \
	--name "Example Watch" --org-key "$OFF/org.key" --recovery "$OFF/recovery.age" \
	3< <(printf '%s\n%s\n' "$ORGPW" "$ORGPW")
[ ! -e "$OFF/org.key" ] && [ ! -e "$R" ] || fail "a refused org init left files behind"
kk "$C1" --passphrase-fd 3 org init --name "Example Watch" --org-key "$OFF/org.key" \
	--recovery "$OFF/recovery.age" --json 3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW") \
	>"$T/init.json" || fail "org init: $(cat "$T/init.json")"
[ "$(jq -r .roster "$T/init.json")" = 1 ] || fail "org init did not sign version 1"
[[ $(jq -r .fingerprint "$T/init.json") =~ $FP_RE ]] || fail "organisation fingerprint code"
ORG_PK=$(jq -r .public_key "$T/init.json")
ORG_ID=$(jq -r .org "$T/init.json")
[ "$(printf '%s' "$ORG_PK" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1)" = "$ORG_ID" ] ||
	fail "the organisation id is not b2sum of its key"
[ "$(stat -c %a "$OFF/org.key")" = 600 ] && [ "$(stat -c %a "$OFF/recovery.age")" = 600 ] ||
	fail "secret files are not 0600"
head -c 8 "$OFF/org.key" | grep -q VIGILKEY || fail "org.key is not a sealed key file"
[ "$(head -n 2 "$OFF/recovery.age" | tail -n 1 | cut -d' ' -f1-2)" = "-> scrypt" ] ||
	fail "recovery identity has no scrypt stanza"
[ "$(head -n 2 "$OFF/recovery.age" | tail -n 1 | cut -d' ' -f4)" = 18 ] ||
	fail "recovery identity's work factor is not age's default"
expect_refusal 1 "already has an organisation" kk "$C1" --passphrase-fd 3 org init \
	--name Again --org-key "$OFF/again.key" --recovery "$OFF/again.age" \
	3< <(printf '%s\n%s\n' "$ORGPW" "$RECPW")
show=$(kk "$C1" org show --json) || fail "org show"
[ "$(jq -r .public_key <<<"$show")" = "$ORG_PK" ] || fail "org show: another key"
[ "$(jq -r .fingerprint <<<"$show")" = "$(jq -r .fingerprint "$T/init.json")" ] ||
	fail "org show: another fingerprint"
minisign -H -Vm "$R/roster.json" -p "$R/org.pub" >/dev/null || fail "stock minisign refuses v1"

# The recovery identity opens with stock age and its passphrase, and with nothing else.
age_tty "$RECPW" -d -o "$T/recovery.txt" "$OFF/recovery.age" || fail "age -d recovery: $(cat "$T/.age.out")"
grep -q '^AGE-SECRET-KEY-1' "$T/recovery.txt" || fail "the recovery file holds no identity"
[ "$(sed -n 's/^# public key: //p' "$T/recovery.txt")" = "$(jq -r .recovery_recipient "$T/init.json")" ] ||
	fail "recovery identity is not the roster's recovery recipient"
if age_tty "$ORGPW" -d -o "$T/wrong.txt" "$OFF/recovery.age"; then
	fail "stock age opened the recovery identity with another passphrase"
fi

# ---- enroll: fingerprint codes, --yes, refusals ----
ID_NADIA=$(cat "${H[nadia]}/data/identity.pub")
ID_ABROAD=$(cat "${H[abroad]}/data/identity.pub")
ID_AUDIT=$(cat "${H[audit]}/data/identity.pub")
FP_NADIA=$(vg "${H[nadia]}" id --json | jq -r .fingerprint)
expect_refusal 1 "compare it and pass --yes" kk "$C1" --passphrase-fd 3 enroll --role monitor \
	"$ID_NADIA" 3<<<"$ORGPW"
expect_refusal 2 "role 'boss'" kk "$C1" enroll --role boss --yes "$ID_NADIA"
expect_refusal 2 "needs --role" kk "$C1" enroll --yes "$ID_NADIA"
expect_refusal 1 "public identity" kk "$C1" enroll --role monitor --yes "vigil-id:broken"
expect_refusal 1 "wrong passphrase" kk "$C1" --passphrase-fd 3 enroll --role monitor --yes \
	"$ID_NADIA" 3<<<"not the passphrase"
kk "$C1" --passphrase-fd 3 enroll --role monitor --yes "$ID_NADIA" --json 3<<<"$ORGPW" \
	>"$T/enroll.json" || fail "enroll monitor"
[ "$(jq -r .fingerprint "$T/enroll.json")" = "$FP_NADIA" ] ||
	fail "enroll shows another fingerprint code than 'vigil id'"
[ "$(jq -r .version "$T/enroll.json")" = 2 ] || fail "enroll did not sign version 2"
NADIA_ID=$(jq -r .id "$T/enroll.json")
kk "$C1" --passphrase-fd 3 enroll --role coordinator --yes "$ID_ABROAD" 3<<<"$ORGPW" \
	>"$T/enroll2.out" 2>"$T/enroll2.err" || fail "enroll coordinator"
grep -q "can read every entry" "$T/enroll2.err" || fail "no warning for a new coordinator"
grep -q "^fingerprint: " "$T/enroll2.out" || fail "enroll does not show the fingerprint code"
cp -r "$R" "$T/roster-at-3"
kk "$C1" --passphrase-fd 3 enroll --role auditor --yes "$ID_AUDIT" 3<<<"$ORGPW" >/dev/null ||
	fail "enroll auditor"
expect_refusal 1 "already in the roster" kk "$C1" --passphrase-fd 3 enroll --role coordinator \
	--yes "$ID_NADIA" 3<<<"$ORGPW"
kk "$C1" roster --verify --json >"$T/r4.json" || fail "roster --verify"
jq -e '.version == 4 and .verified == "history" and (.roster.members | length) == 4' \
	"$T/r4.json" >/dev/null || fail "roster after three enrolments: $(cat "$T/r4.json")"
jq -e '[.roster.members[] | select(.role == "auditor") | has("age")] == [false]' "$T/r4.json" \
	>/dev/null || fail "an auditor has an age recipient in the roster"
[ "$(jq -r .hash "$T/r4.json")" = "$(b2sum -l 256 "$R/roster.json" | cut -d' ' -f1)" ] ||
	fail "the roster hash is not b2sum of roster.json"
kk "$C1" roster >"$T/r4.txt" || fail "roster (human)"
grep -Eq '^  nadia +monitor ' "$T/r4.txt" || fail "roster does not list nadia: $(cat "$T/r4.txt")"

# ---- stock minisign: the good roster verifies, a member added by editing does not ----
out=$(minisign -H -Vm "$R/roster.json" -P "$ORG_PK") || fail "stock minisign refuses version 4"
grep -q "vigil-roster v=1 org=$ORG_ID version=4 prev=" <<<"$out" || fail "trusted comment: $out"
grep -q "hash=$(b2sum -l 256 "$R/roster.json" | cut -d' ' -f1)" <<<"$out" ||
	fail "the trusted comment does not carry the roster's hash"
cp -r "$R" "$T/tampered"
X_LINE=$(cat "${H[outsider]}/data/identity.pub")
X_KEY=$(cut -d: -f3 <<<"$X_LINE")
X_ID=$(printf '%s' "$X_KEY" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1)
jq -cj --arg k "$X_KEY" --arg id "$X_ID" --arg age "$(cut -d: -f4 <<<"$X_LINE")" \
	'.members += [{"age": $age, "id": $id, "key": $k, "pseudonym": "outsider", "role": "coordinator"}] | .members |= sort_by(.id)' \
	"$R/roster.json" >"$T/tampered/roster.json"
echo >>"$T/tampered/roster.json"
cp "$T/tampered/roster.json" "$T/tampered/versions/4/roster.json"
expect_fail "stock minisign on a member added by editing" minisign -H -Vm "$T/tampered/roster.json" -P "$ORG_PK"
expect_refusal 1 "not signed by the organisation key" "$TOOL" verify --roster "$T/tampered"
cp "$R/roster.json" "$T/good.json"
cp "$T/tampered/roster.json" "$R/roster.json"
expect_refusal 1 "not signed by the organisation key" kk "$C1" roster
cp "$T/good.json" "$R/roster.json"
kk "$C1" roster --verify >/dev/null || fail "roster --verify after restoring"

# ---- invite ----
command -v ssh-keygen >/dev/null || skip "ssh-keygen (openssh-client) is not installed"
ssh-keygen -q -t ed25519 -N '' -C nadia -f "$T/cred" || fail "ssh-keygen"
PIN=sha256:$(printf '%064d' 7)
SSHR=ssh://vigil@sync.example.org:2222/srv/vigil.git
expect_refusal 2 "needs --remote" kk "$C1" invite nadia
expect_refusal 1 "not a member" kk "$C1" --passphrase-fd 3 invite nobody --remote /x 3<<<"$ORGPW"
expect_refusal 1 "auditor, with no age recipient" kk "$C1" --passphrase-fd 3 invite audit --remote "$SSHR" \
	--pin "$PIN" --credential "$T/cred" -o "$T/audit.inv" 3<<<"$ORGPW"
# The remote, pin and credential must suit each other.
expect_refusal 2 "host-key pin" kk "$C1" --passphrase-fd 3 invite nadia --remote "$SSHR" \
	--credential "$T/cred" -o "$T/x.inv" 3<<<"$ORGPW"
expect_refusal 2 "takes no pin and no credential" kk "$C1" --passphrase-fd 3 invite nadia \
	--remote "$T/remote.git" --credential "$T/cred" -o "$T/x.inv" 3<<<"$ORGPW"
expect_refusal 2 "in the clear" kk "$C1" --passphrase-fd 3 invite nadia \
	--remote http://sync.example.org/v.git -o "$T/x.inv" 3<<<"$ORGPW"
printf 'username=nadia\npassword=tok\n' >"$T/https.cred"
expect_refusal 2 "not an OpenSSH private key" kk "$C1" --passphrase-fd 3 invite nadia \
	--remote "$SSHR" --pin "$PIN" --credential "$T/https.cred" -o "$T/x.inv" 3<<<"$ORGPW"
ssh-keygen -q -t rsa -b 2048 -N '' -f "$T/rsa" || fail "ssh-keygen rsa"
expect_refusal 2 "libssh2 1.10 cannot sign with RSA" kk "$C1" --passphrase-fd 3 invite nadia \
	--remote "$SSHR" --pin "$PIN" --credential "$T/rsa" -o "$T/x.inv" 3<<<"$ORGPW"
[ ! -e "$T/x.inv" ] || fail "a refused invitation was written"
kk "$C1" --passphrase-fd 3 invite nadia --remote "$SSHR" --pin "$PIN" \
	--credential "$T/cred" -o "$T/nadia.inv" 3<<<"$ORGPW" >"$T/invite.out" ||
	fail "invite: $(cat "$T/invite.out")"
grep -q "organisation fingerprint: $(jq -r .fingerprint "$T/init.json")" "$T/invite.out" ||
	fail "invite does not show the organisation's fingerprint code"
"$TOOL" invite "$T/nadia.inv" "$T/nadia.cred.age" >"$T/invite.txt" || fail "the invitation does not parse"
grep -q "^fingerprint: $(jq -r .fingerprint "$T/init.json")$" "$T/invite.txt" || fail "invitation: another organisation"
grep -q "^member: nadia $NADIA_ID$" "$T/invite.txt" || fail "invitation: another member"
grep -q "^roster: 4 $(jq -r .hash "$T/r4.json")$" "$T/invite.txt" || fail "invitation: roster pin"
grep -q "^pin: yes$" "$T/invite.txt" || fail "invitation: no pin"
head -n 1 "$T/nadia.inv" >"$T/inv.json" && tail -n 4 "$T/nadia.inv" >"$T/inv.json.minisig"
minisign -H -Vm "$T/inv.json" -P "$ORG_PK" >/dev/null || fail "stock minisign refuses the invitation"
[ "$(jq -r .remote "$T/inv.json")" = "$SSHR" ] || fail "invitation remote"
sed -i 's/vigil.git/evil.git/' "$T/nadia.inv"
expect_refusal 1 "not signed by the organisation key" "$TOOL" invite "$T/nadia.inv"

# ---- entries sealed under version 4 by nadia ----
mkdir "$T/entries"
seal() { # seal SEQ [PREV [VERSION]] -> id
	"$TOOL" seal --home "${H[nadia]}" --roster "$R" --seq "$1" ${2:+--prev "$2"} \
		${3:+--version "$3"} --out "$T/entries" <<<"${PW[nadia]}"
}
e1=$(seal 1) && e2=$(seal 2 "$e1") && e3=$(seal 3 "$e2") || fail "sealing entries"
nrcpt=$(jq '[.roster.members[] | select(.role == "coordinator")] | length + 1' "$T/r4.json")
[ "$nrcpt" = 3 ] || fail "version 4 should have 3 recipients, not $nrcpt"
NADIA_KEY=$(jq -r '.roster.members[] | select(.pseudonym == "nadia") | .key' "$T/r4.json")
for id in "$e1" "$e2" "$e3"; do
	f=$T/entries/$id.age
	[ "$(head -c 4096 "$f" | grep -a -c '^-> X25519 ')" = "$nrcpt" ] ||
		fail "stanza count of $id is not the roster's recipient count"
	minisign -H -Vm "$f" -P "$NADIA_KEY" >/dev/null || fail "stock minisign refuses entry $id"
	[ "$({ cat "$f"; tail -n 2 "$f.minisig"; } | b2sum -l 256 | cut -d' ' -f1)" = "$id" ] ||
		fail "b2sum does not reproduce $id"
done

# ---- identities: exported with a passphrase, opened by stock age; who can read ----
expect_refusal 1 "wrong passphrase" kk "$C1" --passphrase-fd 3 export-identity -o "$T/x.age" \
	3< <(printf '%s\n%s\n' "not it" "export passphrase")
expect_refusal 1 "passphrase of its own" kk "$C1" --passphrase-fd 3 export-identity \
	-o "$T/x.age" 3< <(printf '%s\n%s\n' "${PW[office]}" "${PW[office]}")
for who in office abroad nadia audit outsider; do
	kk "${H[$who]}" --passphrase-fd 3 export-identity -o "$T/$who.id.age" \
		3< <(printf '%s\n%s\n' "${PW[$who]}" "export of $who") >/dev/null ||
		fail "export-identity for $who"
	[ "$(head -n 2 "$T/$who.id.age" | tail -n 1 | cut -d' ' -f1-2)" = "-> scrypt" ] ||
		fail "the export of $who is not passphrase-encrypted"
	age_tty "export of $who" -d -o "$T/$who.txt" "$T/$who.id.age" ||
		fail "stock age cannot open the export of $who: $(cat "$T/.age.out")"
	grep -q "^# public key: $(cut -d: -f4 "${H[$who]}/data/identity.pub")$" "$T/$who.txt" ||
		fail "the export of $who is not its identity"
done
expect_refusal 1 "already exists" kk "$C1" --passphrase-fd 3 export-identity -o "$T/office.id.age" \
	3< <(printf '%s\n%s\n' "${PW[office]}" "again")
if age_tty "wrong" -d -o "$T/nope.txt" "$T/office.id.age"; then
	fail "stock age opened an export with another passphrase"
fi
# An encrypted identity file used directly, as the help says.
age_tty "export of abroad" -d -i "$T/abroad.id.age" -o "$T/direct.json" "$T/entries/$e1.age" ||
	fail "age -d -i EXPORT: $(cat "$T/.age.out")"
jq -e --arg a "$NADIA_ID" '.author == $a and .seq == 1' "$T/direct.json" >/dev/null ||
	fail "the entry's plaintext"
for id in "$e1" "$e2"; do
	for who in recovery office abroad; do
		age -d -i "$T/$who.txt" "$T/entries/$id.age" >"$T/pt" ||
			fail "stock age: $who cannot open entry $id"
		jq -e .body.event "$T/pt" >/dev/null || fail "jq cannot read entry $id"
	done
	for who in nadia audit outsider; do
		expect_fail "stock age: $who opens entry $id" age -d -i "$T/$who.txt" "$T/entries/$id.age"
	done
done
# The invitation's credential: nadia alone.
age -d -i "$T/nadia.txt" "$T/nadia.cred.age" | cmp -s - "$T/cred" ||
	fail "nadia cannot open her credential"
for who in office recovery audit; do
	expect_fail "$who opens nadia's credential" age -d -i "$T/$who.txt" "$T/nadia.cred.age"
done

# ---- the coordinator verifies entries 1 and 2 (as sync will) ----
"$TOOL" accept --roster "$R" --home "$C1" --import "$T/entries/$e1.age" "$T/entries/$e2.age" \
	>"$T/acc.txt" || fail "accept"
[ "$(grep -c ' accepted ' "$T/acc.txt")" = 2 ] || fail "entries 1 and 2: $(cat "$T/acc.txt")"
# An auditor's entry is refused; so is an outsider's.
"$TOOL" seal --home "${H[audit]}" --roster "$R" --seq 1 --out "$T/entries" <<<"${PW[audit]}" \
	>"$T/aud.id" || fail "sealing as the auditor"
"$TOOL" accept --roster "$R" "$T/entries/$(cat "$T/aud.id").age" | tee "$T/aud.out" | grep -q "refused author .audit. is an auditor, and auditors may not write" ||
	fail "an auditor's entry was not refused"

# ---- revoke: the cutoff is the highest entry verified ----
expect_refusal 1 "sequence 5 of 'nadia' was never verified here \(the highest verified is 2\)" \
	kk "$C1" --passphrase-fd 3 revoke nadia --after-seq 5 3<<<"$ORGPW"
expect_refusal 1 "not a member" kk "$C1" --passphrase-fd 3 revoke nobody 3<<<"$ORGPW"
kk "$C1" --passphrase-fd 3 revoke nadia --json 3<<<"$ORGPW" >"$T/revoke.json" || fail "revoke"
jq -e --arg e2 "$e2" '.cutoff.seq == 2 and .cutoff.id == $e2 and .version == 5' "$T/revoke.json" \
	>/dev/null || fail "revoke's cutoff is not (2, e2): $(cat "$T/revoke.json")"
expect_refusal 1 "already revoked" kk "$C1" --passphrase-fd 3 revoke nadia 3<<<"$ORGPW"
kk "$C1" roster --json >"$T/r5.json"
jq -e '.roster.members[] | select(.pseudonym == "nadia") | keys == ["cutoff", "id", "key", "pseudonym", "revoked"]' \
	"$T/r5.json" >/dev/null || fail "a revoked member holds more than revoked and the cutoff"
! grep -Eq '"(time|date|reason|revoked_at)"' "$R/roster.json" || fail "the roster records a time or reason"

# Entries up to the cutoff stay accepted; entry 3 is quarantined; the thief's fork is refused.
"$TOOL" accept --roster "$R" --home "$C1" "$T/entries/$e1.age" "$T/entries/$e2.age" >"$T/acc.txt"
[ "$(grep -c ' accepted ' "$T/acc.txt")" = 2 ] || fail "entries up to the cutoff: $(cat "$T/acc.txt")"
"$TOOL" accept --roster "$R" --home "$C1" --import "$T/entries/$e3.age" | grep -q "^$e3 quarantined " ||
	fail "entry 3, past the cutoff, is not quarantined"
f1=$(seal 1 "" 4) || fail "sealing the thief's fork"
"$TOOL" accept --roster "$R" --home "$C1" "$T/entries/$f1.age" | grep -q "^$f1 refused fork " ||
	fail "the thief's fork at sequence 1 is not refused as a fork"
t4=$(seal 4 "$e3") || fail "sealing after the revocation"
"$TOOL" accept --roster "$R" --home "$C1" "$T/entries/$t4.age" | grep -q "^$t4 quarantined " ||
	fail "an entry signed after the revocation is not quarantined"

# ---- late-accept: entry 3 admitted, its chain intact ----
expect_refusal 2 "not an entry id" kk "$C1" late-accept 1234
expect_refusal 1 "not after the cutoff" kk "$C1" --passphrase-fd 3 late-accept "$e1" 3<<<"$ORGPW"
kk "$C1" --passphrase-fd 3 late-accept "$e3" 3<<<"$ORGPW" >/dev/null || fail "late-accept"
expect_refusal 1 "already admitted" kk "$C1" --passphrase-fd 3 late-accept "$e3" 3<<<"$ORGPW"
"$TOOL" accept --roster "$R" --home "$C1" "$T/entries/$e3.age" | grep -q "^$e3 accepted admitted by late_accept" ||
	fail "entry 3 was not admitted by late_accept"
"$TOOL" accept --roster "$R" --home "$C1" "$T/entries/$t4.age" | grep -q "^$t4 quarantined " ||
	fail "entry 4 must stay quarantined"

# ---- the organisation key moves to another stick: given once, remembered; renew ----
mkdir "$T/stick" && mv "$OFF/org.key" "$T/stick/org.key"
expect_refusal 1 "org.key" kk "$C1" --passphrase-fd 3 renew 3<<<"$ORGPW"
kk "$C1" --passphrase-fd 3 renew --days 30 --org-key "$T/stick/org.key" 3<<<"$ORGPW" \
	>"$T/renew.out" || fail "renew: $(cat "$T/renew.out")"
[ "$(cat "$C1/config/org-key-path")" = "$T/stick/org.key" ] || fail "the moved key is not remembered"
kk "$C1" roster --verify --json >"$T/r7.json" || fail "roster --verify at the end"
jq -e --arg d "$(date -u -d '+30 days' +%F)" \
	'.version == 7 and (.roster.late_accept | length) == 1 and .expires == $d' "$T/r7.json" >/dev/null ||
	fail "final roster: $(cat "$T/r7.json")"
"$TOOL" verify --roster "$R" | grep -q '^ok 7$' || fail "a client cannot verify the history"
for v in 1 2 3 4 5 6 7; do
	minisign -H -Vm "$R/versions/$v/roster.json" -P "$ORG_PK" >/dev/null ||
		fail "stock minisign refuses version $v"
done

# ---- what a client refuses: rollback, fork, a wrong signer, expiry ----
expect_refusal 1 "rollback" "$TOOL" verify --roster "$R" --roster "$T/roster-at-3"
FORK=$T/forkhome
mkdir -p "$FORK/data" && cp -r "$T/roster-at-3" "$FORK/data/roster" && cp -r "$C1/config" "$FORK/"
kk "$FORK" --passphrase-fd 3 enroll --role monitor --yes "$X_LINE" 3<<<"$ORGPW" >/dev/null ||
	fail "signing a competing version 4"
expect_refusal 1 "fork" "$TOOL" verify --roster "$FORK/data/roster" --roster "$R"
OTHER=${H[outsider]}
kk "$OTHER" --passphrase-fd 3 org init --name "Impostor" --org-key "$OFF/other.key" \
	--recovery "$OFF/other.age" 3< <(printf '%s\n%s\n' "x-$ORGPW" "x-$RECPW") >/dev/null ||
	fail "a second organisation"
cp "$R/org.pub" "$OTHER/data/roster/org.pub"
expect_refusal 1 "not signed by the organisation key" "$TOOL" verify --roster "$OTHER/data/roster"
expect_refusal 1 "is not the key of organisation" kk "$C1" --passphrase-fd 3 renew \
	--org-key "$OFF/other.key" 3<<<"x-$ORGPW"
expect_refusal 1 "expired on" "$TOOL" verify --now 2099-01-01 --roster "$R"
"$TOOL" accept --now 2099-01-01 --roster "$R" "$T/entries/$e1.age" | grep -q "pending .*expired" ||
	fail "an expired roster does not hold entries back"
echo "ok: vigil-keys flow, stock minisign and age, revocation and late-accept"
