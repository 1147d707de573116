#!/usr/bin/env bash
# Tracy back end: capture the workload with Tracy's command-line `capture`
# tool and check, with its `csvexport`, that the kaos zones (send, recv,
# connect) and the backpressure messages are in the capture. Both tools
# come from the Tracy checkout the library was built against (the protocol
# must match): build them there first, e.g. for Tracy 0.10
#   make -C <tracy>/capture/build/unix release
#   make -C <tracy>/csvexport/build/unix release
# (or point KAOS_TRACY_CAPTURE / KAOS_TRACY_CSVEXPORT at them).
# With example_profile (built with the examples): its two processes each
# run a profiler (the subscriber, a forked child, on TRACY_PORT + 1), so
# two captures: the publisher's has a send zone per event and backpressure
# messages, the subscriber's the recv zones.
# Usage: check-tracy.sh <test_trace> <tracy checkout> [<example_profile>]
set -euo pipefail
prog=$(readlink -f "$1")
tracy=${2:-}
profile=${3:-}
backend=$("$prog" backend)
if [ "$backend" != tracy ]; then
  echo "SKIP: this build's trace back end is '$backend' (configure with -DKAOS_TRACE=tracy -DKAOS_TRACY_DIR=...)"
  exit 77
fi
find_tool() { # env-override name
  local v=$1 name=$2 c
  if [ -n "${!v:-}" ]; then echo "${!v}"; return; fi
  for c in "$tracy/$name/build/unix/$name-release" "$tracy/$name/build/$name" \
           "$tracy/$name/build/tracy-$name" "$(command -v "tracy-$name" || true)"; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return; fi
  done
}
capture=$(find_tool KAOS_TRACY_CAPTURE capture)
csvexport=$(find_tool KAOS_TRACY_CSVEXPORT csvexport)
if [ -z "$capture" ] || [ -z "$csvexport" ]; then
  echo "SKIP: Tracy's capture and csvexport are not built in '$tracy' (see this script's header)"
  exit 77
fi
tmp=$(mktemp -d)
pid=
cpid=
# shellcheck disable=SC2154 # p: the trap's own loop variable
trap 'for p in $pid $cpid; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
port=$((20000 + RANDOM % 20000))

# TRACY_NO_EXIT: the program waits at exit until the capture has everything.
TRACY_NO_EXIT=1 TRACY_PORT=$port "$prog" workload 300 >"$tmp/out" 2>&1 &
pid=$!
timeout 120 "$capture" -o "$tmp/trace.tracy" -a 127.0.0.1 -p "$port" -f >"$tmp/capture.log" 2>&1 || {
  cat "$tmp/capture.log"; echo "FAIL: capture"; exit 1; }
wait "$pid" || { cat "$tmp/out"; echo "FAIL: the workload failed"; exit 1; }
pid=
tail -n 3 "$tmp/capture.log"
"$csvexport" "$tmp/trace.tracy" >"$tmp/zones.csv"
"$csvexport" -m "$tmp/trace.tracy" >"$tmp/messages.csv"
echo "zones:"
cat "$tmp/zones.csv"
summary=$(grep -o 'messages=[0-9]* backpressure=[0-9]*' "$tmp/out")
messages=$(sed -n 's/messages=\([0-9]*\).*/\1/p' <<<"$summary")
bp=$(sed -n 's/.*backpressure=\([0-9]*\)/\1/p' <<<"$summary")
# csv: name,src_file,src_line,total_ns,total_perc,counts,...
zone_count() { # name [csv]
  awk -F, -v z="$1" '$1 == z { print $6 }' "${2:-$tmp/zones.csv}"
}
fail=0
for z in send recv connect; do
  n=$(zone_count "$z")
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then echo "FAIL: no '$z' zones"; fail=1; else echo "ok: $n '$z' zones"; fi
done
n=$(zone_count send)
if [ -n "$n" ] && [ "$n" -lt "$messages" ]; then echo "FAIL: $n send zones for $messages messages"; fail=1; fi
nbp=$(grep -c 'backpressure obj=' "$tmp/messages.csv" || true)
if [ "$nbp" -lt "$bp" ]; then echo "FAIL: $nbp backpressure messages, expected >= $bp"; fail=1; else echo "ok: $nbp backpressure messages"; fi

# The profile workload: a capture per process, at once.
if [ -z "$profile" ]; then
  echo "example_profile not built (-DKAOS_BUILD_EXAMPLES=OFF): its check skipped"
elif [ ! -x "$profile" ]; then
  echo "FAIL: $profile is not built (cmake --build ... --target example_profile)"
  fail=1
else
  pport=$((20000 + (port - 20000 + 2 + RANDOM % 1000) % 19999))
  TRACY_NO_EXIT=1 TRACY_PORT=$pport "$profile" 20000 >"$tmp/profile.out" 2>&1 &
  pid=$!
  timeout 120 "$capture" -o "$tmp/pub.tracy" -a 127.0.0.1 -p "$pport" -f \
    >"$tmp/capture-pub.log" 2>&1 &
  cpid=$!
  timeout 120 "$capture" -o "$tmp/sub.tracy" -a 127.0.0.1 -p $((pport + 1)) -f \
    >"$tmp/capture-sub.log" 2>&1 || { cat "$tmp/capture-sub.log"; echo "FAIL: capture (subscriber)"; exit 1; }
  wait "$cpid" || { cat "$tmp/capture-pub.log"; echo "FAIL: capture (publisher)"; exit 1; }
  cpid=
  wait "$pid" || { cat "$tmp/profile.out"; echo "FAIL: example_profile failed"; exit 1; }
  pid=
  grep -E '^(profile|subscriber): (events|[0-9.]+ s)' "$tmp/profile.out" || true
  events=$(sed -n 's/^profile: events=\([0-9]*\) .*/\1/p' "$tmp/profile.out")
  for side in pub sub; do
    "$csvexport" "$tmp/$side.tracy" >"$tmp/$side-zones.csv"
    "$csvexport" -m "$tmp/$side.tracy" >"$tmp/$side-messages.csv"
  done
  echo "publisher zones:"; cat "$tmp/pub-zones.csv"
  echo "subscriber zones:"; cat "$tmp/sub-zones.csv"
  expect() { # what expected actual
    if [ "$2" != "$3" ]; then echo "FAIL: $1: expected ${2:-none}, got ${3:-none}"; fail=1; else echo "ok: $1: ${3:-none}"; fi
  }
  expect "profile, publisher: send zones (one per event)" "$events" "$(zone_count send "$tmp/pub-zones.csv")"
  expect "profile, publisher: connect zones" 1 "$(zone_count connect "$tmp/pub-zones.csv")"
  expect "profile, publisher: recv zones" "" "$(zone_count recv "$tmp/pub-zones.csv")"
  expect "profile, subscriber: connect zones" 1 "$(zone_count connect "$tmp/sub-zones.csv")"
  expect "profile, subscriber: send zones" "" "$(zone_count send "$tmp/sub-zones.csv")"
  n=$(zone_count recv "$tmp/sub-zones.csv")
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then echo "FAIL: profile, subscriber: no recv zones"; fail=1
  else echo "ok: profile, subscriber: $n recv zones"; fi
  nbp=$(grep -c 'backpressure obj=' "$tmp/pub-messages.csv" || true)
  if [ "$nbp" -eq 0 ]; then echo "FAIL: profile, publisher: no backpressure messages"; fail=1
  else echo "ok: profile, publisher: $nbp backpressure messages"; fi
fi
[ "$fail" -eq 0 ] && echo "tracy: ok"
exit "$fail"
