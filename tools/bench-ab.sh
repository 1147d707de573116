#!/usr/bin/env bash
# A/B of two builds of kaos on one benchmark case: the cost of a build-time
# choice (KAOS_TRACE=usdt, a tree without the trace hooks, ...) as an
# interleaved ratio, on the same machine in the same run.
#
# The two builds' copies of one benchmark program run alternately, A B,
# B A, A B, ... for R rounds, each a short run of that one case: kaos alone
# (--only-kaos --exact), in --quick mode unless told otherwise, pinned the
# same way (the harness's default CPUs, or --cpus). Each run's rate is the
# "median_eps" of its one JSON line (the median over that run's measured
# rounds). Printed: every round (both rates, each run's median core-to-core
# probe "rtt_ns", A/B), the median rate of each side, and the median of the
# per-round ratios A/B with their min and max, overall and per vCPU
# placement (near: both probes below 250 ns; far: both at or above; the
# host moves the two vCPUs between ~50-120 ns and ~370-420 ns apart). A/B
# above 1: A is faster.
#
# Usage: tools/bench-ab.sh [--rounds R] [--mode quick|smoke|full]
#                          [--cpus P,C] [--names A,B] [--keep DIR]
#                          BUILD_A BUILD_B PROGRAM CASE
#   BUILD_A, BUILD_B  build directories (their bench/PROGRAM is run)
#   PROGRAM           bench_core, bench_ipc, ...
#   CASE              a whole case name: core/per_event, ipc/single_8B
#   --rounds  R rounds, one run of each side per round (default 10)
#   --mode    the harness's mode for every run (default quick; smoke: a
#             check that it all works, numbers meaningless)
#   --names   labels of the two sides (default A,B)
#   --keep    keep every run's output and JSON line in DIR
set -euo pipefail
rounds=10
mode=quick
cpus=
names=A,B
keep=
usage() {
  echo "usage: $0 [--rounds R] [--mode quick|smoke|full] [--cpus P,C]" \
       "[--names A,B] [--keep DIR] BUILD_A BUILD_B PROGRAM CASE" >&2
  exit 2
}
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=${2:?}; shift 2 ;;
    --mode) mode=${2:?}; shift 2 ;;
    --cpus) cpus=${2:?}; shift 2 ;;
    --names) names=${2:?}; shift 2 ;;
    --keep) keep=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    -*) usage ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -eq 4 ] || usage
dir_a=${args[0]} dir_b=${args[1]} prog=${args[2]} case_name=${args[3]}
case "$mode" in quick|smoke|full) ;; *) usage ;; esac
case "$rounds" in ''|*[!0-9]*|0) usage ;; esac
name_a=${names%%,*} name_b=${names#*,}
if [ -z "$name_a" ] || [ -z "$name_b" ] || [ "$names" = "$name_a" ]; then usage; fi

for d in "$dir_a" "$dir_b"; do
  if [ ! -x "$d/bench/$prog" ]; then
    echo "bench-ab: $d/bench/$prog is missing (build it first)" >&2
    exit 1
  fi
done

if [ -n "$keep" ]; then
  work=$keep
  mkdir -p "$work"
  rm -f "$work"/[ab]-*.log "$work"/[ab]-*.jsonl "$work"/rounds.txt
else
  work=$(mktemp -d /tmp/kaos-bench-ab.XXXXXX)
  trap 'rm -rf "$work"' EXIT
fi

# How a build was configured, from its CMake cache.
describe() { # build-dir
  local cache=$1/CMakeCache.txt trace type cc
  [ -f "$cache" ] || { echo "no CMakeCache.txt"; return; }
  trace=$(sed -n 's/^KAOS_TRACE:[A-Z]*=//p' "$cache")
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$cache")
  cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$cache")
  echo "KAOS_TRACE=${trace:-?}, ${type:-no build type}, $cc"
}

# One run of one side: its rate and probe ("eps rtt_ns") on stdout.
run() { # side-label build-dir round
  local out=$work/$1-$3 lines line eps rtt
  local cmd=("$2/bench/$prog" "--$mode" --only-kaos --exact --json "$out.jsonl")
  [ -z "$cpus" ] || cmd+=(--cpus "$cpus")
  cmd+=("$case_name")
  rm -f "$out.jsonl"
  if ! "${cmd[@]}" >"$out.log" 2>&1; then
    tail -20 "$out.log" >&2
    echo "bench-ab: FAILED: ${cmd[*]} (output: $out.log)" >&2
    exit 1
  fi
  lines=$(grep -c . "$out.jsonl" 2>/dev/null || true)
  if [ "$lines" != 1 ]; then
    echo "bench-ab: ${cmd[*]} wrote ${lines:-no} JSON lines, not one" \
         "(is '$case_name' a case of $prog in $mode mode?)" >&2
    exit 1
  fi
  line=$(cat "$out.jsonl")
  eps=$(sed -n 's/.*"median_eps":\([0-9.]*\).*/\1/p' <<<"$line")
  rtt=$(sed -n 's/.*"rtt_ns":\([0-9.]*\|null\).*/\1/p' <<<"$line")
  if [ -z "$eps" ]; then
    echo "bench-ab: no median_eps in $out.jsonl" >&2
    exit 1
  fi
  echo "$eps ${rtt:-null}"
}

echo "bench-ab: $prog $case_name, $rounds rounds of $name_a and $name_b (ABBA order)," \
     "$mode mode, kaos alone${cpus:+, CPUs $cpus}"
echo "  $name_a: $dir_a ($(describe "$dir_a"))"
echo "  $name_b: $dir_b ($(describe "$dir_b"))"
# The timed loops are the adapters' kaos_produce and kaos_consume: their
# instructions, addresses and offsets masked out, in program order.
timed_code() { # program
  command -v objdump >/dev/null || return 0
  objdump -d --no-show-raw-insn "$1" |
    awk '/^[0-9a-f]+ <kaos_(produce|consume)[.a-z0-9_]*>:$/ { p = 1; print $2; next }
         p && /^$/ { p = 0 } p' |
    sed -E 's/^ +[0-9a-f]+:\t//; s/[0-9a-f]+ <([A-Za-z_0-9.@]+)(\+0x[0-9a-f]+)?>/<\1\2>/g;
            s/-?0x[0-9a-f]+\(%rip\)/RIP/g'
}
if cmp -s "$dir_a/bench/$prog" "$dir_b/bench/$prog"; then
  echo "  (the two programs are byte-identical: the ratio is this machine's noise)"
else
  code_a=$(timed_code "$dir_a/bench/$prog") code_b=$(timed_code "$dir_b/bench/$prog")
  if [ -n "$code_a" ] && [ "$code_a" = "$code_b" ]; then
    echo "  (the timed loops, kaos_produce and kaos_consume, are the same instructions" \
         "in both: the ratio is this machine's noise)"
  elif [ -n "$code_a" ]; then
    echo "  (the timed loops, kaos_produce and kaos_consume, differ between the two)"
  fi
fi
printf '%5s %12s %8s %12s %8s %9s\n' round "$name_a" "probe ns" "$name_b" \
       "probe ns" "$name_a/$name_b"
# events/s as the harness prints them
awk_rate='function rate(e) {
  if (e >= 1e9) return sprintf("%.2f G/s", e / 1e9)
  if (e >= 1e6) return sprintf("%.1f M/s", e / 1e6)
  return sprintf("%.1f K/s", e / 1e3)
}'
results=$work/rounds.txt
: >"$results"
for r in $(seq 1 "$rounds"); do
  # A B, then B A: a drift over the run (the vCPUs' placement) falls on
  # both sides alike.
  if [ $((r % 2)) -eq 1 ]; then
    side=$(run a "$dir_a" "$r") || exit 1
    read -r eps_a rtt_a <<<"$side"
    side=$(run b "$dir_b" "$r") || exit 1
    read -r eps_b rtt_b <<<"$side"
  else
    side=$(run b "$dir_b" "$r") || exit 1
    read -r eps_b rtt_b <<<"$side"
    side=$(run a "$dir_a" "$r") || exit 1
    read -r eps_a rtt_a <<<"$side"
  fi
  echo "$r $eps_a $rtt_a $eps_b $rtt_b" >>"$results"
  awk -v r="$r" -v a="$eps_a" -v ra="$rtt_a" -v b="$eps_b" -v rb="$rtt_b" "$awk_rate"'
    BEGIN { printf "%5d %12s %8s %12s %8s %9.3f\n", r, rate(a), ra, rate(b), rb,
                   a / b }'
done

# Medians (of an even count: the mean of the middle two, as the harness).
awk -v na="$name_a" -v nb="$name_b" -v split_ns=250 "$awk_rate"'
  function sort(v, k,   i, j, t) {
    for (i = 2; i <= k; i++)
      for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
  }
  function median(v, k) { sort(v, k); return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2 }
  { a[NR] = $2; b[NR] = $4; q[NR] = $2 / $4
    # The vCPUs placement, by the probes: both runs near or both far, or
    # the round mixed them and counts in neither.
    if ($3 != "null" && $5 != "null") {
      if ($3 < split_ns && $5 < split_ns) { nq[++nn] = $2 / $4 }
      else if ($3 >= split_ns && $5 >= split_ns) { fq[++nf] = $2 / $4 }
    }
  }
  END {
    if (nn) { nmed = median(nq, nn); nmin = nq[1]; nmax = nq[nn] }
    if (nf) { fmed = median(fq, nf); fmin = fq[1]; fmax = fq[nf] }
    ma = median(a, NR); mb = median(b, NR); mq = median(q, NR)
    printf "\n%s: median %s over %d runs (min %s, max %s)\n", na, rate(ma), NR, rate(a[1]), rate(a[NR])
    printf "%s: median %s over %d runs (min %s, max %s)\n", nb, rate(mb), NR, rate(b[1]), rate(b[NR])
    printf "%s/%s: %.3f, the median of %d per-round ratios (min %.3f, max %.3f); medians %.3f\n",
           na, nb, mq, NR, q[1], q[NR], ma / mb
    if (nn) printf "  near (both probes < %d ns): %.3f over %d rounds (min %.3f, max %.3f)\n", split_ns, nmed, nn, nmin, nmax
    if (nf) printf "  far (both probes >= %d ns): %.3f over %d rounds (min %.3f, max %.3f)\n", split_ns, fmed, nf, fmin, fmax
    if (NR - nn - nf) printf "  %d rounds ran their two sides in different placements\n", NR - nn - nf
  }' "$results"
busy=$(grep -l 'other work is running' "$work"/[ab]-*.log | wc -l || true)
if [ "$busy" -gt 0 ]; then
  echo "note: $busy of $((2 * rounds)) runs started with a load average" \
       "above 0.5 (other work running): expect noise"
fi
[ -z "$keep" ] || echo "bench-ab: every run's output and JSON line are in $work"
