#!/usr/bin/env bash
# Chrome back end: the workload's trace file is valid JSON in the Chrome
# trace-event format, holds every live event of the table with B/E pairs
# that nest per thread, and its send/recv byte counts are what the program
# sent and received (check_chrome.py). Also: the file is written at exit
# without a flush, "%p" in KAOS_TRACE_FILE becomes the pid, and a small
# KAOS_TRACE_MAX_EVENTS bounds the file and counts what was dropped.
# With example_profile (built with the examples), its two processes write
# a file each ("%p"); together they hold every live event, one send span
# per event, recv spans whose bytes add up to what the subscriber received,
# and backpressure instants.
# Usage: check-chrome.sh <test_trace> [<example_profile>]
set -euo pipefail
prog=$(readlink -f "$1")
profile=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
backend=$("$prog" backend)
if [ "$backend" != chrome ]; then
  echo "SKIP: this build's trace back end is '$backend' (configure with -DKAOS_TRACE=chrome)"
  exit 77
fi
if ! command -v python3 >/dev/null; then
  echo "SKIP: python3 not found (apt-get install python3)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$prog" events >"$tmp/events"

# The full workload, flushed explicitly (and again at exit).
KAOS_TRACE_FILE=$tmp/trace.json "$prog" workload 300 >"$tmp/out"
summary=$(grep -o 'sent_bytes=[0-9]* received_bytes=[0-9]* messages=[0-9]* backpressure=[0-9]*' "$tmp/out")
echo "program: $summary"
# shellcheck disable=SC2086
python3 "$here/check_chrome.py" "$tmp/trace.json" "$tmp/events" $summary

# Written at exit with no flush; %p is the pid.
(cd "$tmp" && KAOS_TRACE_FILE='t-%p.json' KAOS_TEST_NO_FLUSH=1 "$prog" workload 50 >/dev/null)
files=$(cd "$tmp" && ls t-*.json)
case "$files" in
  t-[0-9]*.json) echo "ok: written at exit as $files" ;;
  *) echo "FAIL: expected one t-<pid>.json, got: $files"; exit 1 ;;
esac
python3 "$here/check_chrome.py" "$tmp/$files" "$tmp/events"

# Bounded memory: a cap of 100 events keeps the file small and counts the rest.
KAOS_TRACE_FILE=$tmp/capped.json KAOS_TRACE_MAX_EVENTS=100 "$prog" workload 300 >/dev/null
python3 "$here/check_chrome.py" "$tmp/capped.json" "$tmp/events" truncated=1
size=$(stat -c %s "$tmp/capped.json")
full=$(stat -c %s "$tmp/trace.json")
echo "capped file: $size bytes (uncapped: $full)"
[ "$size" -lt "$full" ] || { echo "FAIL: the cap did not bound the file"; exit 1; }

# The profile workload: a file per process, the publisher's and the
# subscriber's (a forked child).
if [ -z "$profile" ]; then
  echo "example_profile not built (-DKAOS_BUILD_EXAMPLES=OFF): its check skipped"
  echo "chrome: ok"
  exit 0
fi
[ -x "$profile" ] || { echo "FAIL: $profile is not built (cmake --build ... --target example_profile)"; exit 1; }
mkdir "$tmp/profile"
KAOS_TRACE_FILE=$tmp/profile/p-%p.json "$profile" 20000 >"$tmp/profile.out" ||
  { cat "$tmp/profile.out"; echo "FAIL: example_profile"; exit 1; }
grep -E '^profile: (events|[0-9.]+ s)|^subscriber: events' "$tmp/profile.out" || true
pub=$(sed -n 's/.*channel \/kaos-profile-\([0-9]*\) .*/\1/p' "$tmp/profile.out")
sent=$(sed -n 's/^profile: events=[0-9]* sent_bytes=\([0-9]*\).*/\1/p' "$tmp/profile.out")
events=$(sed -n 's/^profile: events=\([0-9]*\) .*/\1/p' "$tmp/profile.out")
received=$(sed -n 's/^subscriber: events=[0-9]* received_bytes=\([0-9]*\).*/\1/p' "$tmp/profile.out")
files=("$tmp"/profile/p-*.json)
echo "files: ${files[*]##*/}"
[ "${#files[@]}" -eq 2 ] || { echo "FAIL: expected two files (publisher, subscriber)"; exit 1; }
[ -f "$tmp/profile/p-$pub.json" ] || { echo "FAIL: no p-$pub.json from the publisher"; exit 1; }
for f in "${files[@]}"; do [ "${f##*/}" = "p-$pub.json" ] || sub=${f##*/}; done
# Each process's own: the publisher sends and waits, the subscriber receives.
python3 - "$tmp/profile/p-$pub.json" "$tmp/profile/$sub" <<'PY'
import json, sys
def names(path):
    n = {}
    for e in json.load(open(path))["traceEvents"]:
        if e["ph"] in ("E", "i"):
            n[e["name"]] = n.get(e["name"], 0) + 1
    return n
pub, sub = names(sys.argv[1]), names(sys.argv[2])
print("publisher: %r\nsubscriber: %r" % (pub, sub))
bad = [w for w, ok in (("publisher sends", pub.get("send", 0) > 0),
                       ("publisher waits (backpressure)", pub.get("backpressure", 0) > 0),
                       ("publisher receives nothing", "recv" not in pub),
                       ("subscriber receives", sub.get("recv", 0) > 0),
                       ("subscriber sends nothing", "send" not in sub),
                       ("subscriber never backpressured", "backpressure" not in sub))
       if not ok]
if bad:
    print("FAIL: " + "; ".join(bad)); sys.exit(1)
PY
python3 "$here/check_chrome.py" "$tmp/profile/p-$pub.json" "$tmp/events" \
  more="$tmp/profile/$sub" sent_bytes="$sent" received_bytes="$received" \
  sends="$events" backpressure=1
echo "chrome: ok"
