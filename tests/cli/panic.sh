#!/usr/bin/env bash
# vigil panic destroys every key of a home at once, without the daemon or the passphrase:
# the daemon (unlocked, holding the keys) is killed; the vault, an organisation key and a
# recovery identity kept inside the home (--force) are renamed, overwritten, synced and
# removed; afterwards the right passphrase opens nothing, what remains matches the
# allow-list of the README, and a second panic finds nothing left. A copy of the home taken
# before the panic is the positive control: the same passphrase still unlocks it.
# Interrupted panics (strace injecting EIO into the Nth rename, fsync, unlink or write)
# are completed by running panic again.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/reliability.sh"
require_tool strace
KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
PW='vault passphrase before the raid'

# make_home HOME: an initialised, unlocked home whose organisation key and recovery
# identity are kept inside it (as a careless coordinator might).
make_home() {
	local h=$1
	setsid -w "$VIGIL" --home "$h" --passphrase-fd 3 init --name raided </dev/null >/dev/null \
		3<<<"$PW" || fail "vigil init"
	setsid -w "$KEYS" --home "$h" --passphrase-fd 3 org init --name "Raided Watch" --force \
		--org-key "$h/data/org.key" --recovery "$h/config/recovery.age" </dev/null >/dev/null \
		3< <(printf '%s\n%s\n' "org passphrase" "recovery passphrase") || fail "org init"
}

# keys_left HOME: prints every sealed key file, passphrase-encrypted identity or file
# still being destroyed under the home.
keys_left() {
	local f
	while IFS= read -r -d '' f; do
		if head -c 8 "$f" | grep -q VIGILKEY || head -c 40 "$f" | grep -qa -- '-> scrypt' ||
			[[ $(basename "$f") == .vigil-shred-* ]]; then
			echo "$f"
		fi
	done < <(find "$1" -type f -print0)
}
no_keys_left() {
	local left
	left=$(keys_left "$1")
	[ -z "$left" ] || fail "key material left after panic: $left"
}

new_home H raid
make_home "$H"
[ -s "$H/data/org.key" ] && [ -s "$H/config/recovery.age" ] || fail "setup: keys not in the home"
pid=$(daemon_pid "$H")
vg "$H" status --json | jq -e '.locked == false' >/dev/null || fail "setup: not unlocked"
cp -a "$H" "$T/copy-before"

out=$(vg "$H" panic --json) || fail "panic failed: $out"
jq -e '.destroyed and .daemon_killed and .key_files == 3' <<<"$out" >/dev/null ||
	fail "panic report: $out"
pid_alive "$pid" && fail "the daemon survived the panic"
no_keys_left "$H"
for f in data/vault.key data/org.key config/recovery.age data/identity.pub config/org-key-path; do
	[ ! -e "$H/$f" ] || fail "$f survived the panic"
done

# Allow-list: nothing but the store, the daemon's log and lock, the public roster, the
# configuration file, the socket directory and the local repository.
find "$H" -type f | sed "s|^$H/||" | sort >"$T/left"
grep -Ev '^data/(store\.db(-wal|-shm)?|vigild\.log(\.old)?|vigild\.lock|roster/.*|repo\.git/.*)$|^config/vigil\.conf$|^run/' \
	"$T/left" >"$T/unexpected" || true
[ ! -s "$T/unexpected" ] || fail "files outside the allow-list: $(cat "$T/unexpected")"

# The right passphrase opens nothing now; the copy made before still opens (control).
expect_refusal 1 "vigil init" setsid -w "$VIGIL" --home "$H" --passphrase-fd 3 unlock \
	</dev/null 3<<<"$PW"
daemon_homes+=("$T/copy-before")
rm -rf "$T/copy-before/run"
setsid -w "$VIGIL" --home "$T/copy-before" --passphrase-fd 3 unlock </dev/null >/dev/null \
	3<<<"$PW" || fail "control: the copy made before the panic does not unlock"

# Idempotent: nothing left to destroy (the refused unlock above started a daemon, locked).
out=$(vg "$H" panic --json) || fail "second panic: $out"
jq -e '.key_files == 0' <<<"$out" >/dev/null || fail "second panic: $out"

# Without any daemon and with a store it cannot read.
new_home H2 nostore
make_home "$H2"
stop_daemon "$H2"
printf 'not a database' >"$H2/data/store.db"
vg "$H2" panic >"$T/out" || fail "panic with a broken store: $(cat "$T/out")"
grep -q 'store could not be opened' "$T/out" || fail "no word about the store: $(cat "$T/out")"
no_keys_left "$H2"

# Interrupted at the Nth rename, fsync, unlink or write: run again, and it is complete.
tries=0
interrupted=0
rel_begin fault-EIO-panic
for call in renameat,renameat2,rename fsync unlinkat,unlink write; do
	for n in 1 2 3 4; do
		new_home Hi "int-${call%%,*}-$n"
		make_home "$Hi"
		strace -f -o /dev/null -e trace="$call" -e inject="$call":error=EIO:when="$n" \
			"$VIGIL" --home "$Hi" panic </dev/null >/dev/null 2>&1 || true
		[ -z "$(keys_left "$Hi")" ] || interrupted=$((interrupted + 1))
		vg "$Hi" panic >"$T/out" 2>&1 || fail "panic after an EIO at $call #$n: $(cat "$T/out")"
		no_keys_left "$Hi"
		[ ! -e "$Hi/data/vault.key" ] || fail "vault left after $call #$n"
		tries=$((tries + 1)) REL_TRIED=$tries
	done
done
# Control: the injected faults did stop panics half-way (else this proved nothing).
[ "$interrupted" -ge 4 ] || fail "only $interrupted of $tries injected faults left a key behind"
rel_end
# Undelivered entries: a normal panic first pushes them to a remote that answers; --force
# does not wait; a remote that is gone gives a warning and the panic goes on.
EV='{"event":{"type":"detention","date":"2017-03","status":"detained"}}'
pending_home() { # pending_home VAR NAME REMOTE: a home with a synced case and 2 more entries
	local ph
	new_home ph "$2"
	make_home "$ph"
	git init -q --bare "$3"
	setsid -w "$VIGIL" --home "$ph" --passphrase-fd 3 remote set "$3" </dev/null >"$T/rs" 2>&1 3<<<"$PW" || fail "remote set: $(cat "$T/rs")"
	cid=$(setsid -w "$VIGIL" --home "$ph" case new --json <<<'{"person":{"name":"Pushed First","country":"Kazakhstan"}}' | jq -r .case)
	vg "$ph" sync >/dev/null || fail "first sync"
	for i in 1 2; do
		setsid -w "$VIGIL" --home "$ph" case event "$cid" <<<"$EV" >/dev/null || fail "event"
	done
	vg "$ph" status --json | jq -e '.pending == 2' >/dev/null || fail "setup: not 2 pending"
	printf -v "$1" '%s' "$ph"
}
remote_count() { git --git-dir="$1" ls-tree -r --name-only "$(git --git-dir="$1" for-each-ref --format='%(refname)' refs/heads/members | head -1)" | grep -c '\.age$'; }
require_tool git
pending_home P1 push1 "$T/r1.git"
before=$(remote_count "$T/r1.git")
vg "$P1" panic >"$T/out" 2>"$T/err" || fail "panic with pending entries: $(cat "$T/err")"
grep -q 'pushing 2 undelivered entries first' "$T/err" || fail "panic did not try to push: $(cat "$T/err")"
grep -q '^vigil: pushed' "$T/err" || fail "panic did not say it pushed: $(cat "$T/err")"
[ "$(remote_count "$T/r1.git")" = $((before + 2)) ] || fail "the 2 pending entries are not on the remote"
no_keys_left "$P1"
pending_home P2 push2 "$T/r2.git"
before=$(remote_count "$T/r2.git")
vg "$P2" panic --force >"$T/out" 2>"$T/err" || fail "panic --force: $(cat "$T/err")"
! grep -q 'pushing' "$T/err" || fail "panic --force waited for the remote"
[ "$(remote_count "$T/r2.git")" = "$before" ] || fail "panic --force pushed"
no_keys_left "$P2"
pending_home P3 push3 "$T/r3.git"
mv "$T/r3.git" "$T/r3-gone.git"
vg "$P3" panic >"$T/out" 2>"$T/err" || fail "panic with the remote gone: $(cat "$T/err")"
grep -q 'undelivered entries are lost' "$T/err" || fail "no warning with the remote gone: $(cat "$T/err")"
no_keys_left "$P3"

echo "ok: panic complete, allow-list kept, control unlocks; $interrupted of $tries injected faults interrupted a panic, each completed by a rerun"
