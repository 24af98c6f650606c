# Sourced after daemon.sh by tests that log cases: a home with a vault and an organisation
# (its own coordinator, so entries are sealed to a roster), and vigil with case data on
# standard input and the passphrase on descriptor 3.

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
STORE_CHECK=$VIGIL_BUILD_DIR/tests/vg_store_check
[ -x "$KEYS" ] || fail "vigil-keys is not built in $VIGIL_BUILD_DIR/keys"
[ -x "$STORE_CHECK" ] || fail "vg_store_check is not built in $VIGIL_BUILD_DIR/tests"

# The vault passphrase of every home these tests make.
CASES_PW='vault passphrase of a monitor in the field'

# cases_home HOME NAME: vigil init, then an organisation with this device as its
# coordinator; the organisation key and recovery identity go outside the home.
cases_home() {
	local h=$1 name=$2
	setsid -w "$VIGIL" --home "$h" --passphrase-fd 3 init --name "$name" \
		</dev/null >/dev/null 3<<<"$CASES_PW" || fail "vigil init for $name"
	mkdir -p "$T/offline-$name"
	setsid -w "$KEYS" --home "$h" --passphrase-fd 3 org init --name "Watch of $name" \
		--org-key "$T/offline-$name/org.key" --recovery "$T/offline-$name/recovery.age" \
		</dev/null >/dev/null 3< <(printf '%s\n%s\n' "org key of $name" "recovery of $name") ||
		fail "vigil-keys org init for $name"
}

# vgs HOME ARGS...: vigil for HOME without a terminal, standard input passed on (case data
# as JSON), the vault passphrase on descriptor 3 in case the vault is locked.
vgs() {
	local h=$1
	shift
	setsid -w "$VIGIL" --home "$h" --passphrase-fd 3 "$@" 3<<<"$CASES_PW"
}

# new_case HOME JSON: open a case; prints its id.
new_case() {
	local out
	out=$(vgs "$1" case new --json <<<"$2") || fail "vigil case new failed"
	jq -er '.case' <<<"$out" || fail "no case id in: $out"
}
