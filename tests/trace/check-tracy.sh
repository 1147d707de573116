#!/usr/bin/env bash
# Tracy back end: capture the workload with Tracy's command-line `capture`
# tool and check, with its `csvexport`, that the kaos zones (send, recv,
# connect) and the backpressure messages are in the capture. Both tools
# come from the Tracy checkout the library was built against (the protocol
# must match): build them there first, e.g. for Tracy 0.10
#   make -C <tracy>/capture/build/unix release
#   make -C <tracy>/csvexport/build/unix release
# (or point KAOS_TRACY_CAPTURE / KAOS_TRACY_CSVEXPORT at them).
# Usage: check-tracy.sh <test_trace> <tracy checkout>
set -euo pipefail
prog=$(readlink -f "$1")
tracy=${2:-}
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
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
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
zone_count() { awk -F, -v z="$1" '$1 == z { print $6 }' "$tmp/zones.csv"; }
fail=0
for z in send recv connect; do
  n=$(zone_count "$z")
  if [ -z "$n" ] || [ "$n" -eq 0 ]; then echo "FAIL: no '$z' zones"; fail=1; else echo "ok: $n '$z' zones"; fi
done
n=$(zone_count send)
if [ -n "$n" ] && [ "$n" -lt "$messages" ]; then echo "FAIL: $n send zones for $messages messages"; fail=1; fi
nbp=$(grep -c 'backpressure obj=' "$tmp/messages.csv" || true)
if [ "$nbp" -lt "$bp" ]; then echo "FAIL: $nbp backpressure messages, expected >= $bp"; fail=1; else echo "ok: $nbp backpressure messages"; fi
[ "$fail" -eq 0 ] && echo "tracy: ok"
exit "$fail"
