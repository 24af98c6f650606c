# Sourced after common.sh by tests that run vigil and vigild in temporary homes.
# Every daemon a test starts is stopped on exit (by the pid in its home's lock file), and
# every home's vigild.log is checked for sanitizer reports, which a detached daemon can
# only write there.

VIGIL=$VIGIL_BUILD_DIR/agent/vigil
VIGILD=$VIGIL_BUILD_DIR/agent/vigild
[ -x "$VIGIL" ] && [ -x "$VIGILD" ] || fail "vigil and vigild are not built in $VIGIL_BUILD_DIR/agent"
require_tool setsid jq

daemon_homes=()

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local state
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone PID [SECONDS]: wait until the process has exited.
wait_gone() {
	local i n=$((${2:-10} * 20))
	for ((i = 0; i < n; i++)); do
		pid_alive "$1" || return 0
		sleep 0.05
	done
	fail "process $1 did not exit"
}

# wait_for CONDITION... [within 10 s]: poll a command until it succeeds.
wait_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	fail "timed out waiting for: $*"
}

# check_logs: no home's daemon log holds a sanitizer report (returns 1 after printing it).
check_logs() {
	local h
	for h in "${daemon_homes[@]}"; do
		[ -f "$h/data/vigild.log" ] || continue
		if grep -Eq 'Sanitizer|runtime error' "$h/data/vigild.log"; then
			cat "$h/data/vigild.log" >&2
			echo "FAIL: sanitizer report in $h/data/vigild.log" >&2
			return 1
		fi
	done
}

# wait_child PID: wait for a background child of this shell (at most 20 s: a daemon that
# should have refused to start is killed, and the test fails) and set child_rc to its exit
# status. (Not in "$(...)": a subshell cannot wait for its parent's children.)
wait_child() {
	local i rc=0
	for ((i = 0; i < 400; i++)); do
		pid_alive "$1" || break
		sleep 0.05
	done
	if pid_alive "$1"; then
		kill -TERM "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
		fail "process $1 is still running after 20 s"
	fi
	wait "$1" || rc=$?
	child_rc=$rc
}

# A command on a pseudo-terminal (util-linux script), for what only a terminal does:
# prompts, no echo, passphrases typed twice.
#   tty_start OUT COMMAND...   start it, everything it shows goes to OUT
#   tty_type PATTERN LINE      wait until OUT shows PATTERN, then type LINE
#   tty_end                    wait for it; child_rc is its exit status
tty_start() {
	tty_out=$1
	shift
	rm -f "$T/tty.in"
	mkfifo "$T/tty.in"
	script -qefc "$(printf '%q ' "$@")" /dev/null <"$T/tty.in" >"$tty_out" 2>&1 &
	tty_pid=$!
	exec 7>"$T/tty.in"
}
tty_type() {
	# The prompt appears once echo is off and typed-ahead input flushed: type after it.
	wait_for grep -q -- "$1" "$tty_out"
	printf '%s\n' "$2" >&7
}
tty_end() {
	exec 7>&-
	wait_child "$tty_pid"
}

# The pid the daemon of HOME wrote into its lock file (empty when none).
lock_pid() {
	cat "$1/data/vigild.lock" 2>/dev/null || true
}

stop_all_daemons() {
	local h pid i
	for h in "${daemon_homes[@]}"; do
		pid=$(lock_pid "$h")
		if [ -n "$pid" ] && pid_alive "$pid" && grep -q vigild "/proc/$pid/cmdline" 2>/dev/null; then
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do
				pid_alive "$pid" || break
				sleep 0.05
			done
		fi
	done
}

cleanup_daemons() {
	local rc=$?
	stop_all_daemons
	if [ $rc -eq 0 ]; then
		check_logs || rc=1
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup_daemons EXIT

# new_home VAR NAME: make the home $T/NAME, register it for clean-up (its daemon stopped,
# its log checked) and set VAR to its path. (Not "$(new_home)": a subshell would lose the
# registration.)
new_home() {
	local h=$T/$2
	mkdir -p "$h"
	daemon_homes+=("$h")
	printf -v "$1" '%s' "$h"
}

# vg HOME ARGS...: run vigil for HOME without a terminal (so no passphrase can be typed)
# and with standard input closed; the exit status is vigil's.
vg() {
	local h=$1
	shift
	setsid -w "$VIGIL" --home "$h" "$@" </dev/null
}

# daemon_pid HOME: the running daemon's pid, from status.
daemon_pid() {
	vg "$1" status --json | jq -er .pid
}

# stop_daemon HOME: shut the daemon down and wait until it has exited.
stop_daemon() {
	local pid
	pid=$(daemon_pid "$1") || fail "no daemon for $1"
	vg "$1" shutdown >/dev/null || fail "shutdown failed for $1"
	wait_gone "$pid"
}

# expect_refusal STATUS PATTERN COMMAND...: COMMAND exits with STATUS and its stderr
# matches the extended regular expression PATTERN.
expect_refusal() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "$* exited $rc, want $want; stderr: $(cat "$T/.err")"
	grep -Eq -- "$pat" "$T/.err" || fail "$*: stderr lacks /$pat/: $(cat "$T/.err")"
	[ "$(wc -l <"$T/.err")" -ge 1 ] || fail "$*: no message"
}
