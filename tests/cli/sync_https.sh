#!/usr/bin/env bash
# Sync over smart HTTP and TLS against stock `git http-backend` behind a small TLS server
# on 127.0.0.1 (tests/tools/git_https_server.py, started here with a self-signed
# certificate for IP:127.0.0.1; every request needs HTTP Basic auth, one name and token
# per device):
# - `vigil remote set` refuses a malformed pin or credential file, takes the certificate's
#   pin and a username/password credential, says what changed; `remote show` never prints
#   the token;
# - with the pinned certificate: publish, a monitor joins from its invitation (remote, pin,
#   credential), entries both ways (accepted, receipt back), each device authenticated as
#   itself in the server's log; stock git clones the result and `git fsck --strict` is clean;
# - the server restarted with another self-signed certificate: refused with both pins
#   named, exit 1, nothing trusted moves; no pin (the system CA bundle): the self-signed
#   certificate refused; the coordinator takes the new pin and syncs; the first one back,
#   the monitor's waiting entry goes;
# - through the HTTP CONNECT proxy of `[sync] proxy`: with nothing listening there the sync
#   fails (the proxy is really used), with the proxy up it works and the proxy logged the
#   CONNECT to the server;
# - a wrong token and no credential: refused with a clear error, quickly, without a loop
#   of retries; no token in a file of a home.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
require_tool git sqlite3 jq
. "$VIGIL_SOURCE_DIR/tests/lib/syncorg.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/netserv.sh"
require_tool openssl ssh-keygen

PIN1=$(make_cert c1)
PIN2=$(make_cert c2)
[ "$PIN1" != "$PIN2" ] || fail "two certificates with one pin"
TOK_OFFICE='tok-office-5f1d2a9c7e'
TOK_M1='tok-m1-8b3e6d0f4a'
printf 'username=office\npassword=%s\n' "$TOK_OFFICE" >"$NS/office.cred"
printf 'username=m1\npassword=%s\n' "$TOK_M1" >"$NS/m1.cred"
printf 'username=office\npassword=not-the-token\n' >"$NS/wrong.cred"
printf 'user office\n' >"$NS/malformed.cred"
ssh_user_key sshkey
mkdir -p "$T/srv"
start_https "$T/srv" c1 --user "office:$TOK_OFFICE" --user "m1:$TOK_M1"
URL=https://127.0.0.1:$HTTPS_PORT/vigil.git
REPO=$T/srv/vigil.git

# The server itself, with stock git: the pinned certificate's CA file, the token.
git init -q --bare "$T/srv/probe.git"
stock_git_https c1 ls-remote "https://office:$TOK_OFFICE@127.0.0.1:$HTTPS_PORT/probe.git" >/dev/null ||
	fail "stock git cannot reach the https server: $(tail "$HTTPS_LOG")"
! stock_git_https c1 ls-remote "https://office:nope@127.0.0.1:$HTTPS_PORT/probe.git" >/dev/null 2>&1 ||
	fail "the https server accepts a wrong token"

net_org_init "$REPO" office m1
C=${H[office]}
M=${H[m1]}

# ---- the coordinator's remote: bad input refused, then set ----
rs() { vgn "$C" --passphrase-fd 3 remote set "$@" 3<<<"${PW[office]}"; }
refused "an ssh fingerprint as a certificate pin" "pin" rs "$URL" --pin "SHA256:$(printf 'A%.0s' $(seq 43))"
refused "a short certificate pin" "pin" rs "$URL" --pin "sha256:0123abcd"
refused "a pin that is not hex" "pin" rs "$URL" --pin "sha256:$(printf 'z%.0s' $(seq 64))"
refused "a malformed credential file" "credential|username|password" rs "$URL" --pin "$PIN1" --credential "$NS/malformed.cred"
refused "an ssh key as an https credential" "credential|username|password|key" rs "$URL" --pin "$PIN1" --credential "$NS/sshkey"
refused "http:// (no TLS)" "https|http://|URL|remote" rs "http://127.0.0.1:$HTTPS_PORT/vigil.git" --no-pin --credential "$NS/office.cred"
rs "$URL" --pin "$PIN1" --credential "$NS/office.cred" --json >"$T/rs1.json" || fail "remote set: $(cat "$T/rs1.json")"
jq -e --arg u "$URL" --arg p "$PIN1" '.remote == $u and .pin == $p and .credential == "https-password"' \
	"$T/rs1.json" >/dev/null || fail "remote set --json: $(cat "$T/rs1.json")"
vg "$C" remote show >"$T/show.out" || fail "remote show"
grep -qF "$PIN1" "$T/show.out" && grep -qi "https-password" "$T/show.out" ||
	fail "remote show lacks the pin or the credential's kind: $(cat "$T/show.out")"
! grep -qF "$TOK_OFFICE" "$T/show.out" "$T/rs1.json" || fail "remote show or set prints the token"

kkn "$C" publish >"$T/publish.out" 2>&1 || fail "publish over https: $(cat "$T/publish.out") $(tail "$HTTPS_LOG")"
git --git-dir="$REPO" cat-file -e roster:roster.json || fail "no roster on the https server"
grep -q "^POST /vigil.git/git-receive-pack user=office status=200" "$HTTPS_LOG" ||
	fail "the coordinator's push is not in the server's log as office: $(cat "$HTTPS_LOG")"

# ---- a monitor joins over https; entries both ways ----
net_join m1 "$URL" --pin "$PIN1" --credential "$NS/m1.cred"
jq -e '.role == "monitor"' "$T/m1.join.json" >/dev/null || fail "join over https: $(cat "$T/m1.join.json")"
entries "$M" 3
vgn "$M" sync --json >"$T/m1.json" || fail "monitor sync over https: $(cat "$T/m1.json")"
jq -e '.pushed == 3 and .pending == 0' "$T/m1.json" >/dev/null || fail "monitor sync: $(cat "$T/m1.json")"
grep -q "^POST /vigil.git/git-receive-pack user=m1 status=200" "$HTTPS_LOG" ||
	fail "the monitor's push did not authenticate as m1: $(cat "$HTTPS_LOG")"
vgn "$C" sync --json >"$T/c1.json" || fail "coordinator sync over https: $(cat "$T/c1.json")"
jq -e '.fetched == 3 and .accepted == 3 and .refused == 0 and .receipts_written == 1' "$T/c1.json" \
	>/dev/null || fail "coordinator sync: $(cat "$T/c1.json")"
vgn "$M" sync --json >"$T/m2.json" || fail "monitor's second sync"
jq -e '.receipts_honoured == 1 and .received_now == 3' "$T/m2.json" >/dev/null ||
	fail "the receipt did not come back over https: $(cat "$T/m2.json")"
stock_git_https c1 clone -q --mirror "https://office:$TOK_OFFICE@127.0.0.1:$HTTPS_PORT/vigil.git" "$T/mirror.git" ||
	fail "stock git clone --mirror over https"
git --git-dir="$T/mirror.git" fsck --strict >"$T/fsck.out" 2>&1 || fail "git fsck --strict: $(cat "$T/fsck.out")"
[ "$(remote_entries "$T/mirror.git" "members/${A[m1]}" | wc -l)" = 3 ] || fail "the clone lacks m1's entries"
for tok in "$TOK_OFFICE" "$TOK_M1"; do
	! grep -rqF "$tok" "$C" "$M" || fail "a token is in a file of a home"
done

# ---- another certificate on the same address: refused, nothing trusted moves ----
snapshot() {
	local h=$1
	find "$h/data/vault.key" "$h/data/roster" -type f -print0 | sort -z | xargs -0 sha256sum
	# (the device's own branch is its feed, committed as a sync starts: not from the remote)
	git --git-dir="$h/data/repo.git" for-each-ref --format='%(refname) %(objectname)' |
		grep -v "^refs/heads/members/$(author_of "$h") "
	store_entries "$h" | sort
	git --git-dir="$REPO" for-each-ref --format='%(refname) %(objectname)'
}
entries "$M" 1
snapshot "$M" >"$T/before"
stop_https
start_https "$T/srv" c2 --user "office:$TOK_OFFICE" --user "m1:$TOK_M1"
mark=$(wc -l <"$HTTPS_LOG")
rc=0
vgn "$M" sync >"$T/cert.out" 2>"$T/cert.err" || rc=$?
[ $rc = 1 ] || fail "sync against another certificate exited $rc, want 1: $(cat "$T/cert.out" "$T/cert.err")"
grep -qiF "certificate $PIN2 is not the pinned $PIN1" "$T/cert.err" ||
	fail "the certificate mismatch is not named: $(cat "$T/cert.err")"
! tail -n +$((mark + 1)) "$HTTPS_LOG" | grep -q "^[A-Z]* /" ||
	fail "a request was sent to an unpinned certificate: $(tail -n +$((mark + 1)) "$HTTPS_LOG")"
snapshot "$M" >"$T/after"
diff "$T/before" "$T/after" >&2 || fail "a refused certificate changed trusted state"

# No pin: the system CA bundle, which does not hold a self-signed certificate.
rs "$URL" --no-pin >"$T/rs2.out" || fail "remote set --no-pin: $(cat "$T/rs2.out")"
grep -Eiq "pin.*\(changed\)" "$T/rs2.out" && grep -Eiq "credential.*\(unchanged\)" "$T/rs2.out" ||
	fail "--no-pin: remote set does not say pin changed, credential unchanged: $(cat "$T/rs2.out")"
vg "$C" remote show --json 2>/dev/null | jq -e '.pin == null' >/dev/null 2>&1 ||
	vg "$C" remote show | grep -Eiq "pin.*(none|system|ca)" || fail "remote show after --no-pin: $(vg "$C" remote show)"
rc=0
vgn "$C" sync >"$T/ca.out" 2>"$T/ca.err" || rc=$?
[ $rc = 1 ] || fail "a self-signed certificate without a pin exited $rc, want 1: $(cat "$T/ca.out" "$T/ca.err")"
grep -qi "certificate" "$T/ca.err" || fail "the CA refusal does not say certificate: $(cat "$T/ca.err")"
rs "$URL" --pin "$PIN2" >"$T/rs3.out" || fail "remote set the new pin"
vgn "$C" sync --json >"$T/c2.json" || fail "the coordinator with the new pin: $(cat "$T/c2.json")"
# The first certificate back (the monitor still pins it), and the coordinator's pin too.
stop_https
start_https "$T/srv" c1 --user "office:$TOK_OFFICE" --user "m1:$TOK_M1"
rs "$URL" --pin "$PIN1" >/dev/null || fail "remote set the first pin again"

# ---- through the HTTP CONNECT proxy of the configuration ----
PROXY_PORT=$(free_port)
printf '[sync]\nproxy = http://127.0.0.1:%s\n' "$PROXY_PORT" >"$C/config/vigil.conf"
stop_daemon "$C"
vg "$C" --passphrase-fd 3 unlock 3<<<"${PW[office]}" >/dev/null || fail "unlock after the restart"
mark=$(wc -l <"$HTTPS_LOG")
rc=0
vgn "$C" sync >"$T/px0.out" 2>"$T/px0.err" || rc=$?
[ $rc = 1 ] || fail "sync through a proxy that is not there exited $rc, want 1 (the proxy is bypassed?)"
! tail -n +$((mark + 1)) "$HTTPS_LOG" | grep -q "^[A-Z]* /" || fail "the server was reached without the proxy"
start_proxy
entries "$M" 2
vgn "$M" sync --json >"$T/m3.json" || fail "the monitor's sync with its certificate back: $(cat "$T/m3.json")"
jq -e '.pushed == 3 and .pending == 0' "$T/m3.json" >/dev/null || fail "the monitor's pending entry: $(cat "$T/m3.json")"
vgn "$C" sync --json >"$T/px.json" || fail "sync through the proxy: $(cat "$T/px.json") $(cat "$PROXY_LOG" 2>/dev/null)"
jq -e '.accepted == 3' "$T/px.json" >/dev/null || fail "through the proxy: $(cat "$T/px.json")"
grep -qx "CONNECT 127.0.0.1:$HTTPS_PORT ok" "$PROXY_LOG" ||
	fail "the proxy did not see the CONNECT to the server: $(cat "$PROXY_LOG")"
rm -f "$C/config/vigil.conf"
stop_daemon "$C"
vg "$C" --passphrase-fd 3 unlock 3<<<"${PW[office]}" >/dev/null || fail "unlock"

# ---- a wrong token, no token: refused clearly, quickly, no retry loop ----
for bad in wrong none; do
	if [ $bad = wrong ]; then
		rs "$URL" --credential "$NS/wrong.cred" >/dev/null || fail "remote set a wrong token"
	else
		rs "$URL" --no-credential --json >"$T/nc.json" || fail "remote set --no-credential"
		jq -e '.credential == null and .changed == ["credential"]' "$T/nc.json" >/dev/null ||
			fail "--no-credential: $(cat "$T/nc.json")"
	fi
	mark=$(wc -l <"$HTTPS_LOG")
	s=$(date +%s%N)
	rc=0
	vgn "$C" sync >"$T/bad.out" 2>"$T/bad.err" || rc=$?
	ms=$(elapsed_ms "$s")
	[ $rc = 1 ] || fail "sync with $bad credential exited $rc, want 1: $(cat "$T/bad.out" "$T/bad.err")"
	grep -Eiq "credential|authenticat|refused|401" "$T/bad.err" ||
		fail "$bad credential: the refusal is not clear: $(cat "$T/bad.err")"
	n=$(tail -n +$((mark + 1)) "$HTTPS_LOG" | grep -c "status=401" || true)
	[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "$bad credential: $n requests refused with 401 (want 1..3)"
	[ "$ms" -lt 10000 ] || fail "$bad credential: the refusal took $ms ms"
	echo "figure: $bad credential refused after $n 401 answer(s) in $ms ms"
done
rs "$URL" --credential "$NS/office.cred" >/dev/null || fail "remote set the token back"
vgn "$C" sync --json >/dev/null || fail "sync with the token back"
echo "ok: https remotes: pinned certificates, system CA refusal, Basic-auth credentials, CONNECT proxy"
