#!/usr/bin/env bash
# vigil config show: effective values and their origin (default, or the file's line), the
# same refusals as the daemon (unknown key, bad value, twice, with the line), no daemon.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"
. "$VIGIL_SOURCE_DIR/tests/lib/daemon.sh"

new_home H cfg
mkdir -p "$H/config"
# No file: every default.
vg "$H" config show --json >"$T/d.json" || fail "config show without a file"
jq -e '.settings | length == 5 and all(.origin == "default" and .line == null and .value == .default)' \
	"$T/d.json" >/dev/null || fail "defaults: $(cat "$T/d.json")"
jq -e '.settings[] | select(.section == "agent" and .key == "autolock") | .value == 600' "$T/d.json" >/dev/null ||
	fail "autolock default: $(cat "$T/d.json")"
[ ! -S "$H/run/vigild.sock" ] || fail "config show started a daemon"

# A file setting one key, with a comment and a blank line before it.
printf '; mine\n\n[sync]\ninterval = 60\n' >"$H/config/vigil.conf"
vg "$H" config show --json >"$T/f.json" || fail "config show with a file"
jq -e '.settings[] | select(.key == "interval") | .value == 60 and .origin == "file" and .line == 4 and .default == 900' \
	"$T/f.json" >/dev/null || fail "interval from line 4: $(cat "$T/f.json")"
jq -e '.settings[] | select(.key == "autolock") | .origin == "default"' "$T/f.json" >/dev/null ||
	fail "autolock should stay default: $(cat "$T/f.json")"
vg "$H" config show >"$T/f.txt" || fail "human config show"
grep -q '^\[sync\] interval = 60 .*from line 4 of the file (default 900)' "$T/f.txt" || fail "human output: $(cat "$T/f.txt")"
grep -q '^\[agent\] autolock = 600 .*default' "$T/f.txt" || fail "human output: $(cat "$T/f.txt")"

# The network settings: a timeout within 5..86400, a proxy that is http://HOST:PORT.
printf '[sync]\ntimeout = 30\nproxy = http://127.0.0.1:8118\n' >"$H/config/vigil.conf"
vg "$H" config show --json >"$T/n.json" || fail "config show with timeout and proxy"
jq -e '.settings[] | select(.key == "timeout") | .value == 30 and .default == 600 and .line == 2' \
	"$T/n.json" >/dev/null || fail "timeout: $(cat "$T/n.json")"
jq -e '.settings[] | select(.key == "proxy") | .value == "http://127.0.0.1:8118" and .default == "" and .line == 3' \
	"$T/n.json" >/dev/null || fail "proxy: $(cat "$T/n.json")"
vg "$H" config show | grep -q '^\[sync\] proxy = http://127.0.0.1:8118 .*from line 3' ||
	fail "human proxy line: $(vg "$H" config show)"
for bad in 'timeout = 4' 'timeout = 86401' 'timeout = 0' 'proxy = socks5://127.0.0.1:9050' \
	'proxy = http://127.0.0.1' 'proxy = https://proxy:3128'; do
	printf '[sync]\n%s\n' "$bad" >"$H/config/vigil.conf"
	expect_refusal 1 "line 2: bad value for" vg "$H" config show
done

# [agent] log_level: a word, shown as a word, its default info.
jq -e '.settings[] | select(.key == "log_level") | .value == "info" and .unit == "level"' "$T/f.json" >/dev/null ||
	fail "log_level default: $(cat "$T/f.json")"
printf '[agent]\nlog_level = debug\n' >"$H/config/vigil.conf"
vg "$H" config show --json | jq -e '.settings[] | select(.key == "log_level") | .value == "debug" and .default == "info" and .line == 2' \
	>/dev/null || fail "log_level from the file"
vg "$H" config show | grep -q '^\[agent\] log_level = debug  ; level, from line 2 of the file (default info)' ||
	fail "human log_level: $(vg "$H" config show)"
for bad in verbose DEBUG 2 ''; do
	printf '[agent]\nlog_level = %s\n' "$bad" >"$H/config/vigil.conf"
	expect_refusal 1 "line 2: bad value for 'log_level': it must be one of error, warn, info, debug" vg "$H" config show
done

# What the daemon refuses is refused here, with the line.
printf '[agent]\nautolock = 10\nautolock = 20\n' >"$H/config/vigil.conf"
expect_refusal 1 "line 3: key 'autolock' given twice" vg "$H" config show
printf '[agent]\nauto_lock = 10\n' >"$H/config/vigil.conf"
expect_refusal 1 "line 2: unknown key 'auto_lock' in \\[agent\\]" vg "$H" config show
printf '[sync]\ninterval = -5\n' >"$H/config/vigil.conf"
expect_refusal 1 "line 2: bad value for 'interval'" vg "$H" config show
expect_refusal 2 "usage: vigil config show" vg "$H" config
expect_refusal 2 "usage: vigil config show" vg "$H" config set autolock 5
# The example shipped with the package is accepted and changes nothing.
cp "$VIGIL_SOURCE_DIR/packaging/vigil.conf.example" "$H/config/vigil.conf"
vg "$H" config show --json | jq -e '.settings | all(.origin == "file" and .value == .default)' >/dev/null ||
	fail "the shipped example is not the defaults"
echo "ok: config show"
