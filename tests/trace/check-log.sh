#!/usr/bin/env bash
# Log back end: KAOS_LOG picks the lowest level printed (trace < debug <
# info < warn; default and unknown values: warn). The workload is run at
# each level and the lines counted per event: connect/disconnect are info,
# backpressure debug, send/recv trace. At trace level the send and recv
# lines' byte counts add up to what the program sent and received.
# With example_profile (built with the examples): at debug its full ring
# and channel give backpressure lines and its sends and receives none (they
# are trace), at warn it prints nothing, at trace every send has a line
# and the byte counts of both processes add up.
# Usage: check-log.sh <test_trace> [<example_profile>]
set -euo pipefail
prog=$(readlink -f "$1")
profile=${2:-}
backend=$("$prog" backend)
if [ "$backend" != log ]; then
  echo "SKIP: this build's trace back end is '$backend' (configure with -DKAOS_TRACE=log)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # what expected actual
  if [ "$2" != "$3" ]; then echo "FAIL: $1: expected $2, got $3"; fail=1; else echo "ok: $1 = $3"; fi
}
atleast() { # what minimum actual
  if [ "$3" -lt "$2" ]; then echo "FAIL: $1: expected at least $2, got $3"; fail=1; else echo "ok: $1 = $3 (>= $2)"; fi
}
count() { # file event
  grep -c "^kaos [0-9]*\.[0-9]\{9\} tid=[0-9]* [a-z]* $2 obj=" "$1" || true
}
run() { # level (or "unset")
  if [ "$1" = unset ]; then
    env -u KAOS_LOG "$prog" workload 100 >"$tmp/out" 2>"$tmp/$1"
  else
    KAOS_LOG=$1 "$prog" workload 100 >"$tmp/out" 2>"$tmp/$1"
  fi
}

for level in unset bogus warn; do
  run "$level"
  check "KAOS_LOG=$level: kaos lines" 0 "$(grep -c '^kaos ' "$tmp/$level" || true)"
done

run info
check "info: connect lines" 5 "$(count "$tmp/info" connect)"
check "info: disconnect lines" 4 "$(count "$tmp/info" disconnect)"
check "info: lines that are not info" 0 "$(grep '^kaos ' "$tmp/info" | grep -vc ' info ' || true)"
# The failed publish: its span ends with the error code.
check "info: failed connect" 1 "$(grep -c ' connect obj=(nil) publisher=1 rc=-22 dur_ns=' "$tmp/info" || true)"

run debug
bp=$(sed -n 's/.*backpressure=\([0-9]*\).*/\1/p' "$tmp/out")
atleast "debug: backpressure lines" "$bp" "$(count "$tmp/debug" backpressure)"
check "debug: send/recv lines" 0 "$(( $(count "$tmp/debug" send) + $(count "$tmp/debug" recv) ))"
check "debug: connect lines" 5 "$(count "$tmp/debug" connect)"

run trace
sent=$(sed -n 's/.*sent_bytes=\([0-9]*\).*/\1/p' "$tmp/out")
received=$(sed -n 's/.*received_bytes=\([0-9]*\).*/\1/p' "$tmp/out")
atleast "trace: send lines" 100 "$(count "$tmp/trace" send)"
atleast "trace: recv lines" 1 "$(count "$tmp/trace" recv)"
check "trace: bytes on send lines" "$sent" \
  "$(awk '/ send obj=/ { for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { sub(/bytes=/, "", $i); s += $i } } END { print s + 0 }' "$tmp/trace")"
check "trace: bytes on recv lines" "$received" \
  "$(awk '/ recv obj=/ { for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { sub(/bytes=/, "", $i); s += $i } } END { print s + 0 }' "$tmp/trace")"
# Spans have real durations.
check "trace: send lines without dur_ns" 0 "$(grep ' send obj=' "$tmp/trace" | grep -vc ' dur_ns=[0-9]*$' || true)"
atleast "trace: backpressure lines" "$bp" "$(count "$tmp/trace" backpressure)"
# Nothing else on stderr: every line is a kaos line.
check "trace: other stderr lines" 0 "$(grep -vc '^kaos ' "$tmp/trace" || true)"
echo "example lines:"
grep -m1 ' send obj=' "$tmp/trace"
grep -m1 ' backpressure obj=' "$tmp/trace"
grep -m1 ' connect obj=' "$tmp/trace"

# The profile workload: a publisher process and a subscriber (forked).
sum_bytes() { # file event
  awk -v ev=" $2 obj=" 'index($0, ev) { for (i = 1; i <= NF; i++) if ($i ~ /^bytes=/) { sub(/bytes=/, "", $i); s += $i } } END { print s + 0 }' "$1"
}
run_profile() { # level
  KAOS_LOG=$1 "$profile" 20000 >"$tmp/profile.out" 2>"$tmp/profile.$1" ||
    { cat "$tmp/profile.out" "$tmp/profile.$1"; echo "FAIL: example_profile"; exit 1; }
}
if [ -z "$profile" ]; then
  echo "example_profile not built (-DKAOS_BUILD_EXAMPLES=OFF): its check skipped"
elif [ ! -x "$profile" ]; then
  echo "FAIL: $profile is not built (cmake --build ... --target example_profile)"
  fail=1
else
  run_profile warn
  check "profile, warn: kaos lines" 0 "$(grep -c '^kaos ' "$tmp/profile.warn" || true)"
  run_profile debug
  grep '^profile: events=' "$tmp/profile.out"
  atleast "profile, debug: backpressure lines" 1 "$(count "$tmp/profile.debug" backpressure)"
  check "profile, debug: send/recv lines" 0 \
    "$(( $(count "$tmp/profile.debug" send) + $(count "$tmp/profile.debug" recv) ))"
  check "profile, debug: connect lines (publisher, subscriber)" 2 "$(count "$tmp/profile.debug" connect)"
  check "profile, debug: threads that connected" 2 \
    "$(grep ' connect obj=' "$tmp/profile.debug" | awk '{ print $3 }' | sort -u | wc -l)"
  check "profile, debug: disconnect lines" 2 "$(count "$tmp/profile.debug" disconnect)"
  check "profile, debug: other stderr lines" 0 "$(grep -vc '^kaos ' "$tmp/profile.debug" || true)"
  run_profile trace
  events=$(sed -n 's/^profile: events=\([0-9]*\) .*/\1/p' "$tmp/profile.out")
  sent=$(sed -n 's/^profile: events=[0-9]* sent_bytes=\([0-9]*\).*/\1/p' "$tmp/profile.out")
  received=$(sed -n 's/^subscriber: events=[0-9]* received_bytes=\([0-9]*\).*/\1/p' "$tmp/profile.out")
  check "profile, trace: send lines" "$events" "$(count "$tmp/profile.trace" send)"
  atleast "profile, trace: recv lines" 1 "$(count "$tmp/profile.trace" recv)"
  check "profile, trace: bytes on send lines" "$sent" "$(sum_bytes "$tmp/profile.trace" send)"
  check "profile, trace: bytes on recv lines" "$received" "$(sum_bytes "$tmp/profile.trace" recv)"
  atleast "profile, trace: backpressure lines" 1 "$(count "$tmp/profile.trace" backpressure)"
  grep -m1 ' backpressure obj=' "$tmp/profile.debug"
fi
[ "$fail" -eq 0 ] && echo "log: ok"
exit "$fail"
