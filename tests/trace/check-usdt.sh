#!/usr/bin/env bash
# USDT back end: every live probe of the event table (as test_trace prints
# it from kaos/trace.h, so the list cannot drift) is in the shared library,
# no pending one is, and each probe site is a single nop. If bpftrace can
# attach here (root, a kernel with uprobes), the workload's probes also
# fire with the byte counts it reports.
# With example_profile (built with the examples, linked statically): the
# same for its own copy of the probes, and with bpftrace the backpressure
# probes fire while it runs (its ring and channel fill up).
# Usage: check-usdt.sh <libkaos.so> <test_trace> [<example_profile>]
set -euo pipefail
lib=$(readlink -f "$1")
prog=$(readlink -f "$2")
profile=${3:-}
backend=$("$prog" backend)
if [ "$backend" != usdt ]; then
  echo "SKIP: this build's trace back end is '$backend' (configure with -DKAOS_TRACE=usdt)"
  exit 77
fi
if ! command -v readelf >/dev/null || ! command -v objdump >/dev/null; then
  echo "SKIP: readelf/objdump not found (apt-get install binutils)"
  exit 77
fi

fail=0
# Every live probe in @p file, no pending one, each site one nop.
check_probes() { # file
  local file=$1 notes live=0 probe status n name loc insn
  # Provider/name/location of every stapsdt note.
  notes=$(readelf -n "$file" | awk '
    /Provider:/ { prov = $2 }
    /Name:/     { name = $2 }
    /Location:/ { loc = $2; sub(/,$/, "", loc); if (prov == "kaos") print name, loc }')
  while read -r probe status; do
    n=$(awk -v p="$probe" '$1 == p' <<<"$notes" | wc -l)
    if [ "$status" = live ]; then
      live=$((live + 1))
      if [ "$n" -eq 0 ]; then
        echo "FAIL: probe kaos:$probe (live) is not in $file"
        fail=1
      else
        echo "ok: kaos:$probe ($n site(s))"
      fi
    elif [ "$n" -ne 0 ]; then
      echo "FAIL: probe kaos:$probe is in $file but the event table says PENDING: mark it LIVE"
      fail=1
    else
      echo "ok: kaos:$probe pending, absent"
    fi
  done < <("$prog" probes)

  # Each site is one nop (what a probe costs when nothing is attached).
  while read -r name loc; do
    insn=$(objdump -d --start-address="$loc" --stop-address=$((loc + 1)) "$file" |
           awk -F'\t' '/^ *[0-9a-f]+:/ { print $3; exit }')
    case "$insn" in
      nop*) ;;
      *) echo "FAIL: kaos:$name at $loc is '$insn', not a nop"; fail=1 ;;
    esac
  done <<<"$notes"
  [ "$fail" -eq 0 ] || exit 1
  echo "readelf: $live live probes present in $(basename "$file"), every site a nop"
}
check_probes "$lib"
if [ -z "$profile" ]; then
  echo "example_profile not built (-DKAOS_BUILD_EXAMPLES=OFF): its checks skipped"
else
  [ -x "$profile" ] || { echo "FAIL: $profile is not built (cmake --build ... --target example_profile)"; exit 1; }
  profile=$(readlink -f "$profile")
  check_probes "$profile"
fi

# Optional: attach for real.
if command -v bpftrace >/dev/null && [ "$(id -u)" -eq 0 ] &&
   timeout 20 bpftrace -e 'BEGIN { exit(); }' >/dev/null 2>&1; then
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
  # The static test program carries the probes too.
  timeout 120 bpftrace -e "
    usdt:$prog:kaos:send_end { @sent = sum(arg1); @sends = count(); }
    usdt:$prog:kaos:recv_end { @received = sum(arg1); }
    usdt:$prog:kaos:backpressure { @backpressure = count(); }
    usdt:$prog:kaos:connect_end { @connects = count(); }" \
    -c "$prog workload 200" >"$out" 2>&1 || { cat "$out"; echo "FAIL: bpftrace run"; exit 1; }
  summary=$(grep -o 'sent_bytes=[0-9]* received_bytes=[0-9]* messages=[0-9]* backpressure=[0-9]*' "$out")
  sent=$(sed -n 's/.*sent_bytes=\([0-9]*\).*/\1/p' <<<"$summary")
  bp=$(sed -n 's/.*backpressure=\([0-9]*\).*/\1/p' <<<"$summary")
  got_sent=$(awk '/^@sent:/ { print $2 }' "$out")
  got_recv=$(awk '/^@received:/ { print $2 }' "$out")
  got_bp=$(awk '/^@backpressure:/ { print $2 }' "$out")
  got_conn=$(awk '/^@connects:/ { print $2 }' "$out")
  echo "bpftrace: sent=$got_sent received=$got_recv backpressure=$got_bp connects=$got_conn (program: $summary)"
  if [ "$got_sent" != "$sent" ] || [ "$got_recv" != "$sent" ] || [ "${got_bp:-0}" -lt "$bp" ] ||
     [ "${got_conn:-0}" -lt 5 ]; then
    cat "$out"
    echo "FAIL: the probes did not report what the program did"
    exit 1
  fi
  if [ -n "$profile" ]; then
    # The subscriber is a forked child, which `bpftrace -c` does not
    # follow: attach to the binary (every process running it) instead,
    # run the program once the probes are in, then stop bpftrace (SIGINT
    # prints the maps).
    pout=$(mktemp)
    trap 'rm -f "$out" "$pout"; [ -n "${bt:-}" ] && kill "$bt" 2>/dev/null || true' EXIT
    timeout 120 bpftrace -e "
      BEGIN { printf(\"attached\\n\"); }
      usdt:$profile:kaos:send_end { @sent = sum(arg1); @sends = count(); }
      usdt:$profile:kaos:recv_end { @received = sum(arg1); }
      usdt:$profile:kaos:backpressure { @backpressure = count(); }
      usdt:$profile:kaos:connect_end { @connects = count(); }" >"$out" 2>&1 &
    bt=$!
    for _ in $(seq 300); do grep -q '^attached' "$out" && break; sleep 0.1; done
    grep -q '^attached' "$out" || { cat "$out"; echo "FAIL: bpftrace did not attach"; exit 1; }
    "$profile" 20000 >"$pout" || { cat "$pout"; echo "FAIL: example_profile"; exit 1; }
    kill -INT "$bt"
    wait "$bt" || true
    bt=
    events=$(sed -n 's/^profile: events=\([0-9]*\) .*/\1/p' "$pout")
    sent=$(sed -n 's/^profile: events=[0-9]* sent_bytes=\([0-9]*\).*/\1/p' "$pout")
    received=$(sed -n 's/^subscriber: events=[0-9]* received_bytes=\([0-9]*\).*/\1/p' "$pout")
    got_sends=$(awk '/^@sends:/ { print $2 }' "$out")
    got_sent=$(awk '/^@sent:/ { print $2 }' "$out")
    got_recv=$(awk '/^@received:/ { print $2 }' "$out")
    got_bp=$(awk '/^@backpressure:/ { print $2 }' "$out")
    got_conn=$(awk '/^@connects:/ { print $2 }' "$out")
    echo "bpftrace, example_profile: sends=$got_sends sent=$got_sent received=$got_recv" \
         "backpressure=$got_bp connects=$got_conn (program: events=$events sent_bytes=$sent" \
         "received_bytes=$received)"
    if [ -z "$events" ] || [ "$got_sends" != "$events" ] || [ "$got_sent" != "$sent" ] ||
       [ "$got_recv" != "$received" ] || [ "${got_bp:-0}" -le 0 ] || [ "$got_conn" != 2 ]; then
      cat "$out"
      echo "FAIL: the probes did not report what example_profile did (both processes)"
      exit 1
    fi
  fi
else
  echo "bpftrace not usable here (not installed, not root, or no uprobes): attach check skipped"
fi
echo "usdt: ok"
