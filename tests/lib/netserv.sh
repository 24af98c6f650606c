# Sourced by the network transport tests after common.sh (and daemon.sh, when used):
# throw-away servers on 127.0.0.1, each started by the test and stopped by its EXIT trap.
#
#   require_sshd                    skip (fail under CI=true) without sshd, ssh, ssh-keygen
#   free_port                       a TCP port on 127.0.0.1 that nothing listens on now
#   start_sshd [PORT]               sshd as the current user with a fresh Ed25519 host key;
#                                   sets SSHD_PORT, SSHD_PIN (SHA256:..., as
#                                   `ssh-keygen -lf` prints it), SSHD_LOG, SSHD_AUTH
#                                   (its authorized_keys), SSHD_USER
#   restart_sshd_new_key            the same port, another host key (SSHD_PIN changes)
#   restart_sshd_prev_key           the same port, the host key before that again
#   stop_sshd
#   ssh_user_key NAME [TYPE]        a key pair $NS/NAME(.pub), no passphrase (TYPE ed25519)
#   ssh_authorize NAME [OPTIONS]    append NAME.pub to authorized_keys (with key options)
#   ssh_url PATH                    ssh://USER@127.0.0.1:PORT/PATH
#   stock_git_ssh KEY ARGS...       stock git through stock ssh, pinned to this host key
#                                   (killed after 30 s)
#   make_cert NAME                  a self-signed certificate $NS/NAME.pem (key NAME.key)
#                                   for IP:127.0.0.1 and DNS:localhost; prints its pin
#                                   (sha256: + hex of the SHA-256 of its DER)
#   start_https ROOT CERT [OPT...]  tests/tools/git_https_server.py serving the bare
#                                   repositories under ROOT with certificate CERT (a
#                                   make_cert NAME) on HTTPS_PORT (when set, else a free
#                                   one: a restart keeps the port); options passed on
#                                   (--user N:T, --stall-after BYTES); sets HTTPS_PORT,
#                                   HTTPS_LOG, HTTPS_PID
#   stop_https
#   start_proxy                     tests/tools/connect_proxy.py on PROXY_PORT (when set, else
#                                   a free one); sets PROXY_PORT, PROXY_LOG, PROXY_PID
#   stock_git_https CERT ARGS...    stock git trusting only CERT (killed after 30 s)
#
# With syncorg.sh sourced before (its H, PW, A, kk, author_of):
#   net_org_init REPO COORD [MONITOR...]
#                                   the bare repository REPO; a home per name; COORD makes
#                                   the organisation and enrols the monitors (no remote:
#                                   the test sets it, publishes and invites)
#   vgn / kkn HOME ARGS...          vg / kk bounded to 60 s
#   refused WHAT PATTERN CMD...     CMD fails saying /PATTERN/ (not a usage error)
#   net_join WHO URL [INVITE-ARGS...]
#                                   COORD invites WHO with --remote URL and the arguments
#                                   (--pin, --credential), WHO joins (--json output in
#                                   $T/WHO.join.json); fails the test when either fails
#
# Everything lives in $NS ($T/net). A server that does not come up within 10 s fails the
# test with its log.

# Each server needs its tools only when a test starts it (require_sshd, require_tool).
require_tool python3
require_sshd() {
	require_tool ssh-keygen ssh
	[ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd is not installed (packaging/install-deps.sh installs openssh-server)"
}

NS=$T/net
mkdir -p "$NS"
NET_TOOLS=$VIGIL_SOURCE_DIR/tests/tools
netserv_pids=()

# netserv_kill PID: stop a server and every process below it (sshd's session processes
# start their own sessions, so a process group is not enough), TERM then KILL.
netserv_tree() {
	local p c
	for p in "$@"; do
		echo "$p"
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			netserv_tree "$c"
		done
	done
}
netserv_alive() {
	local p
	for p in "$@"; do
		[ -d "/proc/$p" ] && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && return 0
	done
	return 1
}
netserv_kill() {
	local pids p i
	pids=$(netserv_tree "$@" | sort -u)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	for ((i = 0; i < 40; i++)); do
		# shellcheck disable=SC2086
		netserv_alive $pids || break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
}

# Extend the EXIT trap in place: servers first (while $T still exists), then whatever was
# there (common.sh's rm -rf, daemon.sh's daemon stop, log check and rm -rf), with the
# script's status preserved for it.
netserv_prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//" -e "s/'\\\\''/'/g")
netserv_cleanup() {
	local rc=$?
	local p
	set +e
	netserv_kill "${netserv_pids[@]}" 2>/dev/null || true
	# Stalling ssh commands record their pids (their parent sshd session may be gone).
	for p in $(cat "$NS"/stall.pids 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null || true
	done
	(exit $rc)
	eval "$netserv_prev_trap"
}
trap netserv_cleanup EXIT

free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# listening PORT: something accepts TCP connections on 127.0.0.1:PORT.
listening() {
	python3 -c 'import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# netserv_wait PID PORT LOG WHAT: the server PID listens on PORT within 10 s.
netserv_wait() {
	local i
	for ((i = 0; i < 200; i++)); do
		netserv_alive "$1" || fail "$4 exited at start: $(tail -n 20 "$3" 2>/dev/null)"
		listening "$2" && return 0
		sleep 0.05
	done
	fail "$4 does not listen on 127.0.0.1:$2 after 10 s: $(tail -n 20 "$3" 2>/dev/null)"
}

# ---- sshd ----

SSHD_USER=$(id -un)
SSHD_PID=
SSHD_LOG=$NS/sshd.log
SSHD_AUTH=$NS/authorized_keys
touch "$SSHD_AUTH"

sshd_write_config() {
	cat >"$NS/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSHD_PORT
HostKey $NS/host_key
AuthorizedKeysFile $SSHD_AUTH
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PidFile $NS/sshd.pid
LogLevel VERBOSE
MaxAuthTries 6
EOF
}

sshd_run() {
	# As root sshd wants its privilege separation directory; as a user it runs without one
	# and accepts only that user's own logins.
	if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p -m 0755 /run/sshd
	fi
	/usr/sbin/sshd -t -f "$NS/sshd_config" >>"$SSHD_LOG" 2>&1 ||
		fail "sshd refuses its configuration: $(tail -n 5 "$SSHD_LOG")"
	local mark i
	mark=$(wc -l <"$SSHD_LOG")
	/usr/sbin/sshd -D -e -f "$NS/sshd_config" >>"$SSHD_LOG" 2>&1 &
	SSHD_PID=$!
	netserv_pids+=("$SSHD_PID")
	# Ready when it says so (a connection probe could reach whoever else holds the port); a
	# port taken since free_port chose it: status 2, the caller picks another.
	for ((i = 0; i < 200; i++)); do
		if ! netserv_alive "$SSHD_PID"; then
			wait "$SSHD_PID" 2>/dev/null || true
			tail -n +$((mark + 1)) "$SSHD_LOG" | grep -q "Address already in use" && return 2
			fail "sshd exited at start: $(tail -n 20 "$SSHD_LOG")"
		fi
		tail -n +$((mark + 1)) "$SSHD_LOG" | grep -q "^Server listening on 127.0.0.1 port $SSHD_PORT\." &&
			return 0
		sleep 0.05
	done
	fail "sshd does not listen on 127.0.0.1:$SSHD_PORT after 10 s: $(tail -n 20 "$SSHD_LOG")"
}

sshd_new_host_key() {
	rm -f "$NS/host_key" "$NS/host_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C vigil-test-host -f "$NS/host_key" || fail "ssh-keygen host key"
	SSHD_PIN=$(ssh-keygen -lf "$NS/host_key.pub" | awk '{print $2}')
	case $SSHD_PIN in SHA256:*) ;; *) fail "host key fingerprint: $SSHD_PIN" ;; esac
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1-2 "$NS/host_key.pub")" >"$NS/known_hosts"
}

start_sshd() {
	local try rc
	require_sshd
	for try in 1 2 3; do
		SSHD_PORT=${1:-$(free_port)}
		sshd_new_host_key
		sshd_write_config
		rc=0
		sshd_run || rc=$?
		[ $rc = 2 ] && [ -z "${1:-}" ] && continue
		[ $rc = 0 ] || fail "sshd cannot listen on 127.0.0.1:$SSHD_PORT: $(tail -n 5 "$SSHD_LOG")"
		return 0
	done
	fail "sshd found no free port in 3 tries"
}

stop_sshd() {
	[ -n "$SSHD_PID" ] || return 0
	netserv_kill "$SSHD_PID"
	SSHD_PID=
}

restart_sshd_new_key() {
	local old=$SSHD_PIN
	stop_sshd
	cp "$NS/host_key" "$NS/host_key.prev"
	cp "$NS/host_key.pub" "$NS/host_key.prev.pub"
	sshd_new_host_key
	[ "$SSHD_PIN" != "$old" ] || fail "the new host key has the old fingerprint"
	sshd_run || fail "sshd cannot listen on 127.0.0.1:$SSHD_PORT again: $(tail -n 5 "$SSHD_LOG")"
}

restart_sshd_prev_key() {
	stop_sshd
	mv "$NS/host_key.prev" "$NS/host_key"
	mv "$NS/host_key.prev.pub" "$NS/host_key.pub"
	SSHD_PIN=$(ssh-keygen -lf "$NS/host_key.pub" | awk '{print $2}')
	printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$(cut -d' ' -f1-2 "$NS/host_key.pub")" >"$NS/known_hosts"
	sshd_run || fail "sshd cannot listen on 127.0.0.1:$SSHD_PORT again: $(tail -n 5 "$SSHD_LOG")"
}

ssh_user_key() {
	require_tool ssh-keygen
	rm -f "$NS/$1" "$NS/$1.pub"
	case ${2:-ed25519} in
	rsa) ssh-keygen -q -t rsa -b 3072 -N '' -C "vigil-test-$1" -f "$NS/$1" ;;
	*) ssh-keygen -q -t "${2:-ed25519}" -N '' -C "vigil-test-$1" -f "$NS/$1" ;;
	esac || fail "ssh-keygen $1"
}

ssh_authorize() {
	if [ -n "${2:-}" ]; then
		printf '%s %s\n' "$2" "$(cat "$NS/$1.pub")" >>"$SSHD_AUTH"
	else
		cat "$NS/$1.pub" >>"$SSHD_AUTH"
	fi
}

ssh_url() {
	printf 'ssh://%s@127.0.0.1:%s%s' "$SSHD_USER" "$SSHD_PORT" "$1"
}

# A command for authorized_keys' command="...": accepts the login and the git request,
# then sends nothing, forever (until the test ends). It records its pid for the clean-up.
ssh_stall_command() {
	cat >"$NS/stall.sh" <<EOF
#!/bin/sh
echo \$\$ >>"$NS/stall.pids"
echo "stalled: \$SSH_ORIGINAL_COMMAND" >>"$NS/stall.log"
exec sleep 120
EOF
	chmod 0755 "$NS/stall.sh"
	printf 'command="%s",no-pty,no-port-forwarding' "$NS/stall.sh"
}

stock_git_ssh() {
	local key=$1
	shift
	GIT_SSH_COMMAND="ssh -F /dev/null -o UserKnownHostsFile=$NS/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none -i $NS/$key" \
		GIT_CONFIG_NOSYSTEM=1 HOME=$NS timeout 30 git "$@"
}

# ---- TLS ----

make_cert() {
	require_tool openssl
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=vigil test $1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		-keyout "$NS/$1.key" -out "$NS/$1.pem" >/dev/null 2>&1 || fail "openssl: certificate $1"
	printf 'sha256:%s\n' "$(openssl x509 -in "$NS/$1.pem" -outform der | sha256sum | cut -d' ' -f1)"
}

HTTPS_PID=
HTTPS_LOG=$NS/https.log

start_https() {
	local root=$1 cert=$2 i
	shift 2
	rm -f "$NS/https.port"
	python3 "$NET_TOOLS/git_https_server.py" --root "$root" --cert "$NS/$cert.pem" \
		--key "$NS/$cert.key" --port "${HTTPS_PORT:-0}" --port-file "$NS/https.port" \
		--log "$HTTPS_LOG" "$@" >>"$NS/https.err" 2>&1 &
	HTTPS_PID=$!
	netserv_pids+=("$HTTPS_PID")
	for ((i = 0; i < 200; i++)); do
		[ -s "$NS/https.port" ] && break
		[ -d "/proc/$HTTPS_PID" ] || fail "the https server exited at start: $(tail -n 20 "$NS/https.err")"
		sleep 0.05
	done
	HTTPS_PORT=$(cat "$NS/https.port" 2>/dev/null) || fail "the https server wrote no port: $(tail "$NS/https.err")"
	netserv_wait "$HTTPS_PID" "$HTTPS_PORT" "$NS/https.err" "the https server"
}

stop_https() {
	[ -n "$HTTPS_PID" ] || return 0
	netserv_kill "$HTTPS_PID"
	HTTPS_PID=
}

stock_git_https() {
	local cert=$1
	shift
	GIT_CONFIG_NOSYSTEM=1 HOME=$NS GIT_TERMINAL_PROMPT=0 GIT_SSL_CAINFO="$NS/$cert.pem" \
		timeout 30 git "$@"
}

PROXY_PID=
PROXY_LOG=$NS/proxy.log

start_proxy() {
	local i
	rm -f "$NS/proxy.port"
	python3 "$NET_TOOLS/connect_proxy.py" --port "${PROXY_PORT:-0}" --port-file "$NS/proxy.port" --log "$PROXY_LOG" \
		>>"$NS/proxy.err" 2>&1 &
	PROXY_PID=$!
	netserv_pids+=("$PROXY_PID")
	for ((i = 0; i < 200; i++)); do
		[ -s "$NS/proxy.port" ] && break
		[ -d "/proc/$PROXY_PID" ] || fail "the proxy exited at start: $(tail -n 20 "$NS/proxy.err")"
		sleep 0.05
	done
	PROXY_PORT=$(cat "$NS/proxy.port" 2>/dev/null) || fail "the proxy wrote no port"
	netserv_wait "$PROXY_PID" "$PROXY_PORT" "$NS/proxy.err" "the proxy"
}

# ---- an organisation around a network remote (needs syncorg.sh) ----

NET_COORD=
net_org_init() {
	local repo=$1 who home
	NET_COORD=$2
	shift
	mkdir -p "$(dirname "$repo")" "$T/offline"
	git init -q --bare "$repo"
	for who in "$@"; do
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
	home=${H[$NET_COORD]}
	kk "$home" --passphrase-fd 3 org init --name "Example Watch" --org-key "$T/offline/org.key" \
		--recovery "$T/offline/recovery.age" 3< <(printf '%s\n%s\n' "$ORGPW" "recovery pw") \
		>/dev/null || fail "org init"
	shift
	for who in "$@"; do
		kk "$home" --passphrase-fd 3 enroll --role monitor --yes "$(cat "${H[$who]}/data/identity.pub")" \
			3<<<"$ORGPW" >/dev/null || fail "enroll $who"
	done
}

net_join() {
	local who=$1 url=$2
	shift 2
	kk "${H[$NET_COORD]}" --passphrase-fd 3 invite "$who" --remote "$url" "$@" -o "$T/$who.inv" \
		3<<<"$ORGPW" >"$T/$who.invite.out" 2>&1 || fail "invite $who: $(cat "$T/$who.invite.out")"
	timeout 60 setsid -w "$VIGIL" --home "${H[$who]}" --passphrase-fd 3 join "$T/$who.inv" --yes --json \
		3<<<"${PW[$who]}" </dev/null >"$T/$who.join.json" 2>"$T/$who.join.err" ||
		fail "join $who: $(cat "$T/$who.join.json" "$T/$who.join.err")"
}

# vgn / kkn HOME ARGS...: vg and kk bounded to 60 s, for commands that reach the network
# (a hang fails the test instead of holding CI). 124 is timeout's status.
vgn() {
	local h=$1
	shift
	timeout 60 setsid -w "$VIGIL" --home "$h" "$@" </dev/null
}
kkn() {
	local h=$1
	shift
	timeout 60 setsid -w "$KEYS" --home "$h" "$@" </dev/null
}

# refused WHAT PATTERN COMMAND...: COMMAND fails and its output names the problem (the
# extended regular expression PATTERN, case-insensitive): a usage error is not enough.
refused() {
	local what=$1 pat=$2
	shift 2
	expect_fail "$what" "$@"
	grep -Eiq -- "$pat" "$T/.out" || fail "$what: the refusal does not say /$pat/: $(cat "$T/.out")"
	! grep -q "usage:" "$T/.out" || fail "$what: refused as a usage error: $(cat "$T/.out")"
}

# elapsed_ms START: milliseconds since START (a `date +%s%N`).
elapsed_ms() {
	echo $((($(date +%s%N) - $1) / 1000000))
}
