# Sourced after common.sh and daemon.sh by sync tests: an organisation in temporary homes
# around one bare repository, set up with the real programs.
#
#   sync_org REMOTE COORD [MONITOR...]
#       a bare repository at REMOTE; a home per name (H[name], its vault passphrase
#       PW[name], its author id A[name]); COORD makes the organisation (key in
#       $T/offline/org.key, passphrase $ORGPW), enrols the monitors, sets its remote,
#       publishes; each monitor joins with an invitation. CONF[name], when set, is
#       written to that home's vigil.conf before its daemon starts.
#   kk HOME ARGS...          vigil-keys for HOME, no terminal
#   entries HOME N           N new entries in HOME's feed; their ids are appended to
#                            $T/<name>.ids (what the feed acknowledged)
#   author_of HOME           the author id of HOME's device
#   remote_entries REMOTE REF   "author seq id" of every entry on REF, read with stock git
#   store_entries HOME [STATE] [AUTHOR]   "author seq id" in HOME's store (STATE 0: accepted)

KEYS=$VIGIL_BUILD_DIR/keys/vigil-keys
FEED=$VIGIL_BUILD_DIR/tests/vg_feed_tool
STORE_CHECK=$VIGIL_BUILD_DIR/tests/vg_store_check
[ -x "$KEYS" ] && [ -x "$FEED" ] && [ -x "$STORE_CHECK" ] ||
	fail "vigil-keys, vg_feed_tool or vg_store_check is not built"
ORGPW='organisation key: a long passphrase'
export GIT_CONFIG_NOSYSTEM=1
declare -A H PW A CONF

kk() {
	local h=$1
	shift
	setsid -w "$KEYS" --home "$h" "$@" </dev/null
}

entries() {
	local name
	name=$(basename "$1")
	"$FEED" append --home "$1" --count "$2" <<<"${PW[$name]}" >>"$T/$name.ids" ||
		fail "appending entries for $name"
}

author_of() {
	cut -d: -f3 "$1/data/identity.pub" | base64 -d | tail -c 32 | b2sum -l 256 | cut -d' ' -f1
}

sync_org() {
	local remote=$1 coord=$2 who home
	shift 2
	mkdir -p "$(dirname "$remote")" "$T/offline"
	git init -q --bare "$remote"
	for who in "$coord" "$@"; do
		new_home home "$who"
		H[$who]=$home
		PW[$who]="vault passphrase of $who"
		if [ -n "${CONF[$who]:-}" ]; then
			mkdir -p "$home/config"
			printf '%s\n' "${CONF[$who]}" >"$home/config/vigil.conf"
		fi
		vg "$home" --passphrase-fd 3 init --name "$who" 3<<<"${PW[$who]}" >/dev/null ||
			fail "init $who"
		A[$who]=$(author_of "$home")
	done
	home=${H[$coord]}
	kk "$home" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
		--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "recovery pw") \
		>/dev/null || fail "org init"
	for who in "$@"; do
		kk "$home" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$who]}/data/identity.pub")" \
			3<<<"$ORGPW" >/dev/null || fail "enroll $who"
	done
	vg "$home" --passphrase-fd 3 remote set "$remote" 3<<<"${PW[$coord]}" >/dev/null || fail "remote set"
	kk "$home" publish >/dev/null || fail "publish"
	for who in "$@"; do
		kk "$home" --passphrase-fd 3 invite "$who" --remote "$remote" -o "$T/$who.inv" \
			3<<<"$ORGPW" >/dev/null || fail "invite $who"
		vg "${H[$who]}" --passphrase-fd 3 join "$T/$who.inv" --yes 3<<<"${PW[$who]}" >/dev/null ||
			fail "join $who"
	done
}

# The trusted comment of each .minisig on REF gives author, seq and the id is the name.
remote_entries() {
	local repo=$1 ref=$2
	GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent git --git-dir="$repo" ls-tree -r --name-only "$ref" |
		grep '\.age\.minisig$' | sed "s|^|$ref:|" |
		GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent git --git-dir="$repo" cat-file --batch |
		sed -n 's/^trusted comment: vigil-entry v=1 org=[0-9a-f]* author=\([0-9a-f]*\) seq=\([0-9]*\) prev=.*/\1 \2/p' >"$T/.tc"
	GIT_CONFIG_NOSYSTEM=1 HOME=/nonexistent git --git-dir="$repo" ls-tree -r --name-only "$ref" |
		grep '\.age\.minisig$' | sed 's|.*/\([0-9a-f]*\)\.age\.minisig$|\1|' | paste -d' ' "$T/.tc" -
}

store_entries() {
	local where="1 = 1"
	[ -n "${2:-}" ] && where="$where AND state = $2"
	[ -n "${3:-}" ] && where="$where AND hex(author) = upper('$3')"
	sqlite3 -separator " " "$1/data/store.db" "SELECT lower(hex(author)), seq, lower(hex(id)) FROM entries WHERE $where"
}
