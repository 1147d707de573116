#!/usr/bin/env bash
# Chrome back end: the workload's trace file is valid JSON in the Chrome
# trace-event format, holds every live event of the table with B/E pairs
# that nest per thread, and its send/recv byte counts are what the program
# sent and received (check_chrome.py). Also: the file is written at exit
# without a flush, "%p" in KAOS_TRACE_FILE becomes the pid, and a small
# KAOS_TRACE_MAX_EVENTS bounds the file and counts what was dropped.
# Usage: check-chrome.sh <test_trace>
set -euo pipefail
prog=$(readlink -f "$1")
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
echo "chrome: ok"
