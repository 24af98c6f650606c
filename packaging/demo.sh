#!/usr/bin/env bash
# vigil's end-to-end demonstration, from a fresh Debian 12 machine: installs what is
# needed, builds, and runs the parts of vigil's main job that exist so far in a temporary
# directory, saying what each step proves. Exits non-zero when any step fails.
#
# What exists today: devices made by 'vigil init', an organisation and its signed roster
# made by 'vigil-keys' and checked with stock minisign; then the format layer: case records
# sealed as signed, encrypted, chained entries, and an auditor's check of them with stock
# tools only (minisign, b2sum, age, jq), including a tampered entry that every tool
# refuses. Case commands and git sync are open issues; this script grows with them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
step() { printf '\n== %s\n' "$*"; }
proof() { printf '   proves: %s\n' "$*"; }

step "install dependencies and build"
bash packaging/install-deps.sh
cmake -S "$top" -B "$top/build-demo" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build-demo" -j "$(nproc)" >/dev/null
tool=$top/build-demo/tests/vg_entry_tool

vigil=$top/build-demo/agent/vigil
keys=$top/build-demo/keys/vigil-keys

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo-XXXXXX")
# Each home gets its own daemon; stop them all before the directory goes.
cleanup() {
	for h in "$work"/home-*; do
		[ -d "$h" ] && "$vigil" --home "$h" shutdown >/dev/null 2>&1 || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir offline

# v WHO ARGS...: vigil for WHO's home, passphrases from descriptor 3.
v() {
	local who=$1
	shift
	"$vigil" --home "$work/home-$who" --passphrase-fd 3 "$@"
}
k() {
	local who=$1
	shift
	"$keys" --home "$work/home-$who" --passphrase-fd 3 "$@"
}

step "devices: a coordinator, a monitor and an auditor run 'vigil init'"
for who in office nadia audit; do
	line=$(v "$who" init --name "$who" 3<<<"vault passphrase of $who" | head -n 1)
	echo "   $line" | cut -c1-72
done
proof "each device made its own keys, sealed in a vault under its passphrase"

step "the coordinator creates the organisation and enrols the others"
k office org init --name "Example Watch" --org-key offline/org.key \
	--recovery offline/recovery.age >/dev/null 3< <(printf '%s\n%s\n' \
	"organisation key passphrase" "recovery passphrase")
k office org show | sed 's/^/   /'
k office enroll --role monitor --yes "$(cat home-nadia/data/identity.pub)" \
	3<<<"organisation key passphrase" >/dev/null
k office enroll --role auditor --yes "$(cat home-audit/data/identity.pub)" \
	3<<<"organisation key passphrase" >/dev/null
k office roster --verify | sed 's/^/   /'
proof "roster versions 1 to 3 are signed by the organisation key and chained by hash"

step "anyone checks the roster with stock minisign"
k office org show --json | jq -r '"untrusted comment: organisation key\n" + .public_key' >org.pub
minisign -Vm home-office/data/roster/roster.json -p org.pub | sed 's/^/   /'
cp home-office/data/roster/roster.json forged-roster.json
sed -i 's/"monitor"/"coordinator"/' forged-roster.json
cp home-office/data/roster/roster.json.minisig forged-roster.json.minisig
if minisign -Vm forged-roster.json -p org.pub -q 2>/dev/null; then
	echo "FAIL: stock minisign accepted a roster promoting a monitor" >&2
	exit 1
fi
echo "   a roster edited to promote the monitor is refused"
proof "membership and roles cannot be changed without the organisation key"

# The format layer on its own (until the case commands land): keys made by a test tool.
mkdir format
cd format
step "the format layer: an organisation, a monitor, two coordinators, the recovery key"
"$tool" keygen org >/dev/null
read -r monitor_id _ < <("$tool" keygen monitor)
read -r _ coord1 < <("$tool" keygen coordinator-1)
read -r _ coord2 < <("$tool" keygen coordinator-2)
read -r _ recovery < <("$tool" keygen recovery)
echo "   monitor's author id: $monitor_id"
proof "keys are stock formats: minisign public keys and age X25519 identities"

step "the monitor records three cases from the demo data (packaging/demo/)"
mkdir entries
prev=
seq=0
while IFS= read -r body; do
	seq=$((seq + 1))
	id=$(printf '%s' "$body" | "$tool" seal --key monitor --org org.pub --seq "$seq" \
		${prev:+--prev "$prev"} --roster 1 --to "$coord1" --to "$coord2" --to "$recovery" \
		--out entries)
	echo "   entry $seq: $id"
	prev=$id
done <<'EOF'
{"person":"Zhanbolat Mamay","aliases":["Жанболат Мамай"],"role":"journalist","country":"Kazakhstan","event":"pre-trial detention","charges":"money laundering","status":"detained"}
{"person":"Azimjan Askarov","role":"human rights defender","country":"Kyrgyzstan","event":"sentence upheld after re-trial","date":"2017-01","sentence":"life","status":"imprisoned"}
{"person":"Buzurgmehr Yorov","aliases":["Бузургмехр Ёров"],"role":"lawyer","country":"Tajikistan","event":"sentence","date":"2016-10-06","status":"imprisoned"}
EOF
proof "each change is a signed entry chained to the previous one (seq, prev id)"
if grep -rq "Mamay\|Askarov\|Yorov\|Ёров" entries; then
	echo "FAIL: case text found in the entry files" >&2
	exit 1
fi
proof "no name from the cases appears in the entry files"

step "an auditor checks every entry with stock tools only"
for f in entries/*.age; do
	id=$(basename "$f" .age)
	minisign -H -Vm "$f" -p monitor.pub -q
	got=$({ cat "$f"; tail -n 2 "$f.minisig"; } | b2sum -l 256 | cut -d' ' -f1)
	[ "$got" = "$id" ] || { echo "FAIL: id mismatch for $id" >&2; exit 1; }
	[ "$(head -c 4096 "$f" | grep -a -c '^-> X25519 ')" = 3 ]
	sed -n 3p "$f.minisig" | sed 's/^/   /'
done
proof "minisign verifies each signature; b2sum reproduces each id; 3 recipients each"

step "a coordinator reads the cases with stock age and jq"
for f in entries/*.age; do
	age -d -i coordinator-2.age "$f" | jq -c '{seq, person: .body.person, status: .body.status}' |
		sed 's/^/   /'
done
if age -d -i monitor.age entries/*.age >/dev/null 2>&1; then
	echo "FAIL: a non-recipient decrypted an entry" >&2
	exit 1
fi
proof "recipients read the records without vigil; anyone else cannot"

step "a forged entry: one byte of ciphertext changed"
f=$(ls entries/*.age | head -n 1)
cp "$f" forged.age
cp "$f.minisig" forged.age.minisig
printf '\x01' | dd of=forged.age bs=1 seek=150 conv=notrunc status=none
if minisign -H -Vm forged.age -p monitor.pub -q 2>/dev/null; then
	echo "FAIL: stock minisign accepted a forged entry" >&2
	exit 1
fi
echo "   stock minisign refuses it"
proof "nothing can be changed without the author's key"

printf '\ndemo: all steps passed (work directory removed on exit)\n'
