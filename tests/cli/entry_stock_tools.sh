#!/usr/bin/env bash
# An entry sealed by vigil is checked with stock tools only: minisign verifies the
# signature and shows the trusted comment, b2sum reproduces the id from the file name,
# age decrypts it for every recipient and jq reads the plaintext; the stanza count is the
# recipient count; an outsider's identity opens nothing; a tampered entry is refused by
# both minisign and vigil.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
require_tool minisign age age-keygen b2sum jq
tool=$VIGIL_BUILD_DIR/tests/vg_entry_tool
[ -x "$tool" ] || fail "vg_entry_tool is not built"

cd "$T"
"$tool" keygen org >/dev/null
read -r author_id _ < <("$tool" keygen monitor)
read -r _ coord1 < <("$tool" keygen coord1)
read -r _ coord2 < <("$tool" keygen coord2)
read -r _ recovery < <("$tool" keygen recovery)
read -r _ outsider < <("$tool" keygen outsider)
mkdir out

# The author id is BLAKE2b-256 of the Ed25519 key, reproducible from the .pub line.
want=$(sed -n 2p monitor.pub | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1)
[ "$want" = "$author_id" ] || fail "author id $author_id is not b2sum of the key ($want)"

body='{"person":"Ёров Бузургмехр","notes":"quotes \" and <script>alert(1)</script>"}'
id1=$(printf '%s' "$body" | "$tool" seal --key monitor --org org.pub --seq 1 --roster 1 \
	--to "$coord1" --to "$coord2" --to "$recovery" --out out)
id2=$(printf '{"event":"arrest"}' | "$tool" seal --key monitor --org org.pub --seq 2 \
	--prev "$id1" --roster 1 --to "$coord1" --to "$coord2" --to "$recovery" --out out)

for id in "$id1" "$id2"; do
	f=out/$id.age
	# minisign: signature and trusted comment.
	minisign -H -Vm "$f" -p monitor.pub >"$T/v.out" || fail "stock minisign refuses $id"
	grep -q "^Trusted comment: vigil-entry v=1 org=" "$T/v.out" || fail "no trusted comment shown"
	# b2sum: the id over the .age bytes and the last two lines of the signature file.
	got=$({ cat "$f"; tail -n 2 "$f.minisig"; } | b2sum -l 256 | cut -d' ' -f1)
	[ "$got" = "$id" ] || fail "b2sum gives $got for entry $id"
	# age: exactly three X25519 stanzas, and each recipient decrypts.
	[ "$(head -c 4096 "$f" | grep -a -c '^-> X25519 ')" = 3 ] || fail "stanza count is not 3"
	for who in coord1 coord2 recovery; do
		age -d -i "$who.age" "$f" >"$T/pt" || fail "age -d with $who fails on $id"
		jq -e . "$T/pt" >/dev/null || fail "jq cannot read the plaintext"
		[ $(($(stat -c %s "$T/pt") % 1024)) = 0 ] || fail "plaintext not padded to the bucket"
	done
	expect_fail "age -d with an outsider's identity" age -d -i outsider.age "$f"
	expect_fail "age -d with the author's own identity (not a recipient)" age -d -i monitor.age "$f"
done

# The plaintext repeats the signed metadata and the case data survives both ways.
age -d -i coord1.age "out/$id1.age" >"$T/pt"
[ "$(jq -r .author "$T/pt")" = "$author_id" ] || fail "plaintext author differs"
[ "$(jq -r .seq "$T/pt")" = 1 ] || fail "plaintext seq differs"
[ "$(jq -r .body.person "$T/pt")" = "Ёров Бузургмехр" ] || fail "Cyrillic text did not survive"
"$tool" open --identity recovery.age --author monitor.pub --org org.pub "out/$id2.age" |
	jq -e '.type == "open" and .body.event == "arrest" and .seq == 2' >/dev/null ||
	fail "vigil's own open disagrees"
"$tool" verify --org org.pub --author monitor.pub --stanzas 3 "out/$id2.age" |
	grep -q "seq=2 prev=$id1 roster=1" || fail "chain link not in the trusted comment"

# Tampering: one flipped byte in the ciphertext, and a changed trusted comment.
cp "out/$id1.age" bad.age && cp "out/$id1.age.minisig" bad.age.minisig
printf '\x01' | dd of=bad.age bs=1 seek=200 conv=notrunc status=none
expect_fail "stock minisign on a modified .age" minisign -H -Vm bad.age -p monitor.pub
mkdir tam && cp "out/$id1.age" "out/$id1.age.minisig" tam/
sed -i '3s/roster=1/roster=2/' "tam/$id1.age.minisig"
expect_fail "stock minisign on a modified trusted comment" minisign -H -Vm "tam/$id1.age" -p monitor.pub
expect_fail "vigil on a modified trusted comment" \
	"$tool" verify --org org.pub --author monitor.pub --stanzas 3 "tam/$id1.age"
grep -q "signature" "$T/.out" || fail "the refusal does not name the signature: $(cat "$T/.out")"
# A stanza count that differs from the roster's recipients.
expect_fail "vigil with the wrong stanza count" \
	"$tool" verify --org org.pub --author monitor.pub --stanzas 2 "out/$id1.age"
grep -q "recipients" "$T/.out" || fail "the refusal does not name the recipients: $(cat "$T/.out")"
echo "ok: entries verified by stock minisign, b2sum, age and jq"
