#!/usr/bin/env bash
# The HTML report in a real browser (headless Chromium): the page renders to a non-empty
# PNG, its DOM holds the chart and the people, no record's markup became an element and no
# script ran, the browser's console stays silent (a CSP violation would be logged there),
# and the page attempts no network request.
#
# Network: Chromium is given a proxy on 127.0.0.1 that records the first line of every
# request and refuses it, so any request the page causes (http, https via CONNECT, any
# host, since names are resolved by the proxy) is recorded. Chromium makes its own
# background requests to its vendor's service hosts (updates, time, accounts) whatever the
# page holds; those are set aside by host, and the report is checked to name no URL at all,
# so it cannot be what asked for them. Two controls prove the method: a page without a
# policy that loads an image must show up in the recording, and the same image inside the
# report's own policy must not, and must be reported on the console.
. "$VIGIL_SOURCE_DIR/tests/lib/common.sh"

tool=$VIGIL_BUILD_DIR/tests/vg_report_tool
[ -x "$tool" ] || fail "vg_report_tool is not built"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || skip "'chromium' is not installed (packaging/install-deps.sh installs it)"
require_tool socat

# Merged cases from the demo data, and a hostile record.
cat >"$T/cases.json" <<'EOF'
[
 {"id": "5a1c0d2e9f3b4a6c8d7e1f2a3b4c5d6e", "name": "Buzurgmehr Yorov",
  "other_names": ["Бузургмехр Ёров"], "role": "lawyer", "country": "Tajikistan",
  "status": "imprisoned", "sentence": "21 years, +2 years", "charges": "extremism",
  "linked": ["b17f00d5b17f00d5b17f00d5b17f00d5"],
  "events": [
   {"date": "2016-10", "type": "sentenced", "charges": "extremism; other charges",
    "status": "imprisoned", "sentence": "21 years", "monitor": "nadia"},
   {"date": "2017-03", "type": "additional sentence", "charges": "contempt of court",
    "status": "imprisoned", "sentence": "+2 years", "monitor": "nadia"},
   {"date": "2017-03", "type": "criminal case opened", "charges": "fraud",
    "monitor": "timur"}]},
 {"id": "0c3e5a7b9d1f2e4c6a8b0d2f4e6a8c0b", "name": "Azimjan Askarov",
  "other_names": ["Азимжан Аскаров"], "role": "human rights defender",
  "country": "Kyrgyzstan", "status": "imprisoned", "sentence": "life",
  "events": [
   {"date": "2010-06", "type": "arrest", "place": "southern Kyrgyzstan", "monitor": "nadia"},
   {"date": "2016", "type": "UN decision", "authority": "UN Human Rights Committee"},
   {"date": "2017-01", "type": "sentence upheld after re-trial", "sentence": "life"}]},
 {"id": "00112233445566778899aabbccddeeff",
  "name": "<script>alert(1)</script><img src=x onerror=\"document.title='pwned'\">",
  "other_names": ["=HYPERLINK(\"x\",\"y\")"], "country": "Kazakhstan",
  "notes": "<style>body{display:none}</style><iframe srcdoc=x></iframe>",
  "events": [{"date": "2016-11-02", "type": "<b onmouseover=alert(3)>sentenced</b>",
              "notes": "javascript:alert(4)"}]}
]
EOF
"$tool" html --generated 2017-03-28 <"$T/cases.json" >"$T/report.html" || fail "vg_report_tool html failed"
grep -q '<svg' "$T/report.html" || fail "the report has no chart"
if grep -o '[a-z]*://[^"]*' "$T/report.html" | grep -vqx 'http://www.w3.org/2000/svg'; then
	fail "the report names a URL"
fi

# The recording proxy: the first line of each request, answered 403.
port=""
for _ in 1 2 3 4 5 6 7 8; do
	p=$((20000 + RANDOM % 30000))
	socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" \
		SYSTEM:"head -n 1 >>'$T/requests'; printf 'HTTP/1.1 403 Forbidden\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n'" \
		2>>"$T/socat.log" &
	pid=$!
	sleep 0.3
	if kill -0 "$pid" 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "cannot start the recording proxy"
trap 'kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
: >"$T/requests"

# browser NAME ARGS... : run Chromium on a fresh profile, its log in $T/NAME.log.
browser() {
	local name=$1
	shift
	timeout 120 "$browser" --headless --disable-gpu --no-sandbox --no-first-run \
		--no-default-browser-check --disable-background-networking \
		--disable-component-update --disable-sync --disable-default-apps \
		--disable-extensions --user-data-dir="$T/profile-$name" \
		--proxy-server="http://127.0.0.1:$port" --enable-logging=stderr --v=0 \
		--window-size=1200,2400 --virtual-time-budget=5000 "$@" 2>"$T/$name.log"
}

# Requests other than the browser's own background traffic to its vendor's hosts.
page_requests() {
	grep -Ev '^(CONNECT|GET|POST) (https?://)?[^ /]*\.(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)[:/ ]' "$T/requests" || true
}

# Control 1: a page without a policy that loads an image is seen by the proxy.
printf '<!DOCTYPE html><meta charset="utf-8"><title>c</title><img src="http://vigil-probe.invalid/a.png">\n' >"$T/control.html"
browser control --screenshot="$T/control.png" "file://$T/control.html" >/dev/null ||
	fail "chromium failed on the control page (see $T/control.log)"
grep -q 'vigil-probe.invalid' "$T/requests" ||
	fail "the proxy did not see the control page's request: the network check proves nothing"
: >"$T/requests"

# Control 2: the same image inside the report's policy is blocked, and said so on the console.
sed 's|<main>|<main><img src="http://vigil-probe.invalid/b.png">|' "$T/report.html" >"$T/blocked.html"
browser blocked --dump-dom "file://$T/blocked.html" >"$T/blocked.dom" ||
	fail "chromium failed on the blocked control"
grep -q 'vigil-probe.invalid' "$T/requests" && fail "the report's policy let an image load"
grep -q 'INFO:CONSOLE.*Content Security Policy' "$T/blocked.log" ||
	fail "a blocked load is not reported on the console: the console check proves nothing"
: >"$T/requests"

# The report itself: a screenshot, then its DOM.
browser shot --screenshot="$T/report.png" "file://$T/report.html" >/dev/null ||
	fail "chromium failed to render the report (see $T/shot.log)"
[ -s "$T/report.png" ] || fail "no screenshot"
[ "$(head -c 8 "$T/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "the screenshot is not a PNG"
[ "$(stat -c %s "$T/report.png")" -gt 10000 ] || fail "the screenshot is nearly empty"
browser dom --dump-dom "file://$T/report.html" >"$T/report.dom" ||
	fail "chromium failed to load the report (see $T/dom.log)"

if grep -h 'INFO:CONSOLE' "$T/shot.log" "$T/dom.log"; then
	fail "the report logged to the browser console"
fi
if [ -n "$(page_requests)" ]; then
	page_requests >&2
	fail "the report attempted a network request"
fi
# The chart and people are in the DOM; record markup stayed text; no script ran.
grep -q '<svg' "$T/report.dom" || fail "no chart in the DOM"
[ "$(grep -o '<rect ' "$T/report.dom" | wc -l)" -ge 5 ] || fail "the chart has too few bars"
grep -q 'Buzurgmehr Yorov' "$T/report.dom" || fail "Yorov is missing"
grep -q 'Бузургмехр Ёров' "$T/report.dom" || fail "the Cyrillic name is missing"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T/report.dom" || fail "the hostile name is not shown as text"
grep -qi '<script' "$T/report.dom" && fail "a script element reached the DOM"
grep -qi '<img\|<iframe\|<b onmouseover' "$T/report.dom" && fail "record markup became an element"
grep -q '<title>Cases of concern</title>' "$T/report.dom" || fail "the title changed: a script ran"
echo "ok: report rendered ($(stat -c %s "$T/report.png") byte PNG), chart present, no console message, no request"
