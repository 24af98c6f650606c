#!/usr/bin/env bash
# The systemd user units as built: the service starts the installed vigild in the
# foreground, the socket listens where vigil looks for it (%t/vigil/vigild.sock, a 0700
# directory, a 0600 socket), and `systemd-analyze security --offline=true --user` scores
# the service at most 2.5 (it was 9.6 unhardened). Fails when the hardening gets worse.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
require_tool systemd-analyze

unit=$VIGIL_BUILD_DIR/packaging/vigild.service
socket=$VIGIL_SOURCE_DIR/packaging/systemd/vigild.socket
[ -f "$unit" ] || fail "the service unit is not configured in $VIGIL_BUILD_DIR/packaging"
grep -Eq '^ExecStart=/[^ ]*/vigild --foreground$' "$unit" || fail "ExecStart: $(grep ExecStart "$unit")"
grep -q '^PrivateUsers=yes$' "$unit" || fail "without PrivateUsers=yes systemd 252 ignores the sandbox"
grep -q '^ListenStream=%t/vigil/vigild.sock$' "$socket" || fail "the socket is not where vigil looks"
grep -q '^DirectoryMode=0700$' "$socket" || fail "the socket directory is not 0700"
grep -q '^SocketMode=0600$' "$socket" || fail "the socket is not 0600"

mkdir -m 0700 "$T/rt"
XDG_RUNTIME_DIR=$T/rt systemd-analyze security --offline=true --user "$unit" >"$T/out" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for vigild.service: \([0-9.]*\).*/\1/p' "$T/out")
[ -n "$score" ] || fail "systemd-analyze gave no score: $(tail -n 3 "$T/out")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "vigild.service scores $score, above 2.5: $(grep '✗' "$T/out")"
XDG_RUNTIME_DIR=$T/rt systemd-analyze verify --user "$unit" "$socket" 2>&1 |
	grep -v 'is not executable\|man vigil\|Command .man ' >"$T/verify" || true
[ ! -s "$T/verify" ] || fail "systemd-analyze verify: $(cat "$T/verify")"
echo "ok: vigild.service scores $score"
