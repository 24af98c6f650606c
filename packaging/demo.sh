#!/usr/bin/env bash
# vigil's main job end to end, from a fresh Debian 12 machine: installs what is needed,
# builds (the release key-derivation profile), and in a temporary directory runs an
# organisation with a coordinator, two monitors and an auditor, a bare git repository on the
# local disk as the remote, and the project's demo cases (packaging/demo/). Each step says
# what it proves; the script exits non-zero when any step fails. The coordinator's reports
# are left in build-demo/reports/ (or $VIGIL_DEMO_REPORTS).
#
#   packaging/demo.sh [--keep]     (--keep leaves the work directory for inspection)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
keep=0
[ "${1:-}" = --keep ] && keep=1
step() { printf '\n== %s\n' "$*"; }
proof() { printf '   proves: %s\n' "$*"; }
die() {
	echo "demo: FAIL: $*" >&2
	exit 1
}

step "install dependencies and build (release profile: Argon2id 256 MiB per unlock)"
bash "$top/packaging/install-deps.sh"
cmake -S "$top" -B "$top/build-demo" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_BUILD_TESTS=OFF \
	-DVIGIL_TEST_KDF=OFF -DVIGIL_SANITIZE=OFF >/dev/null
cmake --build "$top/build-demo" -j "$(nproc)" >/dev/null
vigil=$top/build-demo/agent/vigil
keys=$top/build-demo/keys/vigil-keys
export GIT_CONFIG_NOSYSTEM=1

work=$(mktemp -d "${TMPDIR:-/tmp}/vigil-demo-XXXXXX")
cleanup() {
	for h in "$work"/home-*; do
		[ -d "$h" ] && "$vigil" --home "$h" shutdown >/dev/null 2>&1 || true
	done
	if [ $keep -eq 1 ]; then
		echo "demo: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
cd "$work"
mkdir offline

# v WHO ARGS...: vigil for WHO's home, passphrases from descriptor 3, no terminal.
v() {
	local who=$1
	shift
	"$vigil" --home "$work/home-$who" --passphrase-fd 3 "$@" 3<<<"vault passphrase of $who"
}
# k WHO ARGS...: vigil-keys for WHO's home with the organisation key's passphrase.
k() {
	local who=$1
	shift
	"$keys" --home "$work/home-$who" --passphrase-fd 3 "$@" 3<<<"organisation key passphrase"
}

step "devices: a coordinator (office), two monitors (nadia, timur) and an auditor run 'vigil init'"
for who in office nadia timur audit; do
	v "$who" init --name "$who" </dev/null | head -n 1 | cut -c1-76 | sed 's/^/   /'
done
proof "each device made its own keys, sealed in a vault under its passphrase"

step "the coordinator creates the organisation, enrols the others, publishes to a bare repository"
"$keys" --home "$work/home-office" --passphrase-fd 3 org init --name "Example Watch" \
	--org-key offline/org.key --recovery offline/recovery.age >/dev/null \
	3< <(printf '%s\n%s\n' "organisation key passphrase" "recovery passphrase")
k office org show | sed 's/^/   /'
k office enroll --role monitor --yes "$(cat home-nadia/data/identity.pub)" >/dev/null
k office enroll --role monitor --yes "$(cat home-timur/data/identity.pub)" >/dev/null
k office enroll --role auditor --yes "$(cat home-audit/data/identity.pub)" >/dev/null
git init -q --bare remote.git
v office remote set "$work/remote.git" >/dev/null
"$keys" --home "$work/home-office" publish | sed 's/^/   /'
proof "roster versions 1 to 4, signed by the organisation key and chained by hash, are on the remote"

step "the monitors join with invitations, comparing the organisation's fingerprint code"
for m in nadia timur; do
	k office invite "$m" --remote "$work/remote.git" -o "$m.invite" >/dev/null
	v "$m" join "$m.invite" --yes | sed 's/^/   /'
done
proof "each device verified the roster from the remote against the invited organisation key"

step "the monitors import their spreadsheets (packaging/demo/) and sync"
v nadia import "$top/packaging/demo/monitor-a.csv" | sed 's/^/   nadia: /'
v timur import "$top/packaging/demo/monitor-b.csv" | sed 's/^/   timur: /'
v nadia case list | head -n 6 | sed 's/^/   /'
for m in nadia timur; do
	v "$m" sync --json | jq -c '{pushed, pending, delivered, alarms}' | sed "s/^/   $m: /"
done
for m in nadia timur; do
	if grep -rqa 'Askarov\|Yorov\|Ёров\|Mamay' "home-$m" remote.git; then
		die "case text found in $m's home or on the remote"
	fi
done
proof "cases are stored and pushed as ciphertext: no name in any home or on the remote"

step "the coordinator syncs: every monitor's entries verified and accepted"
v office sync --json | jq -c '{fetched, accepted, pending, quarantined, refused, alarms}' | sed 's/^/   /'
v office status --json | jq -c '{role, remote, alarms}' | sed 's/^/   /'
proof "entries from both monitors passed signature, chain and roster checks"

step "the coordinator merges every monitor's cases, finds duplicates, links them, writes reports"
echo "   $(v office cases --json | jq '.cases | length') people before linking"
v office cases --duplicates --json >dups.json
jq -r '.duplicates[] | "   probable duplicate: " + .reason' dups.json
[ "$(jq '.duplicates | length' dups.json)" = 2 ] || die "expected 2 duplicate pairs"
jq -r '.duplicates[] | .cases | join(" ")' dups.json | while read -r a b; do
	v office link "$a" "$b" >/dev/null
done
people=$(v office cases --json | jq '.cases | length')
echo "   $people people after linking"
[ "$people" = 16 ] || die "expected 16 people after linking, got $people"
reports=${VIGIL_DEMO_REPORTS:-$top/build-demo/reports}
mkdir -p "$reports"
v office report --format html -o "$reports/cases-of-concern.html" --force >/dev/null 2>&1
v office report --format md -o "$reports/cases-of-concern.md" --force >/dev/null 2>&1
grep -q 'Content-Security-Policy' "$reports/cases-of-concern.html" || die "no CSP in the report"
echo "   reports: $reports/cases-of-concern.html and .md"
proof "two monitors' spellings of one person (across scripts) are found and merged; the Matayevs stay two"

step "the monitors sync again: the coordinator's receipt arrives, and what it covers is no longer readable on their laptops"
for m in nadia timur; do
	v "$m" sync --json | jq -c '{receipts_honoured, received_now}' | sed "s/^/   $m: /"
	st=$(v "$m" status --json)
	echo "   $m: $(jq -r '"\(.received) entries received by the coordinator, \(.pending) pending"' <<<"$st")"
	[ "$(jq .received <<<"$st")" -gt 0 ] || die "$m: no entry was received"
	[ "$(jq .pending <<<"$st")" = 0 ] || die "$m: entries still pending"
done
v nadia case list --json >nadia-cases.json
delivered=$(jq '[.cases[] | select(.delivered == true)] | length' nadia-cases.json)
echo "   nadia's case list: $delivered cases delivered, shown by id only"
[ "$delivered" -gt 0 ] || die "nadia's case list shows no delivered case"
one=$(jq -r '[.cases[] | select(.delivered == true and (keys | length) == 2)][0].id' nadia-cases.json)
[ "$one" != null ] || die "no case of nadia's is delivered whole"
if v nadia case show "$one" >/dev/null 2>&1; then
	die "nadia can still read a delivered case"
fi
proof "a seized monitor's laptop, even with its passphrase, no longer opens what the coordinator holds"

step "the coordinator reads an entry with stock age and jq, no vigil involved"
"$keys" --home "$work/home-office" --passphrase-fd 3 export-identity -o offline/office-identity.age \
	3< <(printf '%s\n%s\n' "vault passphrase of office" "export passphrase") >/dev/null
git clone -q --mirror remote.git clone.git
mkdir tree
branch=$(git --git-dir=clone.git for-each-ref --format='%(refname:short)' refs/heads/members | head -n 1)
git --git-dir=clone.git archive "$branch" | tar -x -C tree
first=$(find tree/entries -name '*.age' | head -n 1)
echo "   $(basename "$first")"
# Stock age reads passphrase-encrypted identities from a terminal only: give it one.
printf 'export passphrase\n' | script -qec "age -d -o offline/office-identity.txt offline/office-identity.age" /dev/null >/dev/null
age -d -i offline/office-identity.txt "$first" | jq -c '{type, case, body: (.body.person // .body.event)}' | cut -c1-150 | sed 's/^/   /'
rm -f offline/office-identity.txt
proof "records are age v1 and JSON: readable forever with stock tools"

step "the auditor checks the repository: vigil audit, then the same with stock tools only"
fsck=$(git --git-dir=clone.git fsck --strict --no-dangling 2>&1) || die "git fsck --strict: $fsck"
echo "   git fsck --strict: clean"
orgkey=$(k office org show --json | jq -r .public_key)
git --git-dir=clone.git show roster:roster.json >roster.json
"$vigil" --home "$work/home-audit" audit --remote "$work/clone.git" --org "$orgkey" \
	--state audit.state >audit.vigil || die "vigil audit: $(cat audit.vigil)"
sed 's/^/   /' audit.vigil
bash "$top/packaging/audit-with-stock-tools.sh" clone.git "$orgkey" stock.state >audit.stock ||
	die "the stock-tool audit: $(cat audit.stock)"
tail -n 1 audit.stock | sed 's/^/   stock tools: /'
findings() { grep -E '^(fail|info) ' "$1" | cut -d' ' -f1-5 | sort; }
diff <(findings audit.vigil) <(findings audit.stock) || die "the two audits disagree"
checked=$(grep -o '^audit: [0-9]*' audit.vigil | cut -d' ' -f2)
proof "$checked entries: every one signed by an enrolled member, none missing, reordered or forged; git, minisign, b2sum and jq agree"

step "a forged entry: one byte of ciphertext changed"
cp "$first" forged.age
cp "$first.minisig" forged.age.minisig
printf '\x01' | dd of=forged.age bs=1 seek=150 conv=notrunc status=none
jq -r '.members[] | select(.role == "monitor") | "untrusted comment: m\n" + .key' roster.json |
	head -n 2 >m.pub
if minisign -Vm forged.age -p m.pub -q 2>/dev/null; then
	die "stock minisign accepted a forged entry"
fi
echo "   stock minisign refuses it"
proof "nothing can be changed without the author's key"

step "nadia's laptop is seized: she panics, the coordinator revokes the device"
v nadia panic | sed 's/^/   /'
if v nadia unlock >/dev/null 2>&1; then die "the vault still opens after panic"; fi
echo "   the right passphrase opens nothing any more"
k office revoke nadia | sed 's/^/   /'
"$keys" --home "$work/home-office" publish | sed 's/^/   /'
v timur sync --json | jq -c '{roster_version: .roster, alarms}' | sed 's/^/   timur: /'
git --git-dir=clone.git fetch -q "$work/remote.git" '+refs/heads/*:refs/heads/*'
"$vigil" audit --remote "$work/clone.git" --org "$orgkey" --state audit.state | grep -E '^member nadia|^audit:' |
	sed 's/^/   auditor: /'
bash "$top/packaging/audit-with-stock-tools.sh" clone.git "$orgkey" stock.state >/dev/null ||
	die "the stock-tool audit after the revocation"
proof "keys destroyed on the device; what it signed before the cutoff stays valid"

printf '\ndemo: all steps passed\n'
