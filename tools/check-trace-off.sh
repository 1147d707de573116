#!/usr/bin/env bash
# "KAOS_TRACE=off costs nothing", checked: build this tree with
# -DKAOS_TRACE=off and a baseline without the trace hooks, then compare the
# disassembly (instruction bytes included) of every library object, of
# every example, and of a translation unit that instantiates the inline hot
# paths (push/pop, claim/publish, peek/release, poll, msgring claim/commit/
# read) of every ring. Any difference fails.
#
# Baseline:
#   (default)   this same tree with every trace hook removed mechanically
#               (the #include lines of the hooks, src/trace/hooks.h, the
#               KAOS_TRACE_* hook lines, KAOS_TRACE_WAIT_UNTIL(...) back to
#               kaos__wait_until(...)),
#               so the check isolates the hooks whatever else has changed;
#   --base REF  the git commit REF (e.g. the one before the hooks came).
#
# --bench also builds the benchmark programs in both trees (not compared
# here): with --keep --work DIR, DIR/build-new and DIR/build-base are then
# two builds for tools/bench-ab.sh (`make bench-trace-off-cost`).
#
# Usage: tools/check-trace-off.sh [--base REF] [--bench] [--keep] [--work DIR]
# Needs cmake, a C compiler, objdump; about two minutes on two cores (more
# with --bench).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
base_ref=
bench=OFF
keep=0
work=
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base_ref=$2; shift 2 ;;
    --bench) bench=ON; shift ;;
    --keep) keep=1; shift ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "usage: $0 [--base REF] [--bench] [--keep] [--work DIR]" >&2; exit 2 ;;
  esac
done
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/kaos-trace-off.XXXXXX)
fi
mkdir -p "$work"
if [ "$keep" -eq 0 ]; then trap 'rm -rf "$work"' EXIT; fi
jobs=$(nproc 2>/dev/null || echo 2)

# ---- the two trees ------------------------------------------------------------
copy_tree() { # from to: the files git knows or would add, no build output
  mkdir -p "$2"
  (cd "$1" && git ls-files -z -co --exclude-standard) |
    (cd "$1" && xargs -0 cp --parents -t "$2" 2>/dev/null || true)
}
rm -rf "$work/new" "$work/base"
copy_tree "$src" "$work/new"
if [ -n "$base_ref" ]; then
  mkdir -p "$work/base"
  git -C "$src" archive "$base_ref" | tar -x -C "$work/base"
  base_desc="commit $(git -C "$src" rev-parse --short "$base_ref")"
else
  copy_tree "$src" "$work/base"
  # Strip the hooks from every library source outside src/trace/ (the
  # public headers have none: the hooks live in src/trace/hooks.h).
  find "$work/base/src" -name '*.[ch]' ! -path '*/src/trace/*' -print0 |
    xargs -0 perl -0pi -e '
      s/^[ \t]*#include "\.\.\/trace\/hooks\.h"[^\n]*\n//mg;
      s/^[ \t]*KAOS_TRACE_[A-Z_]+\([^\n]*\);[^\n]*\n//mg;
      s/KAOS_TRACE_WAIT_UNTIL\(\s*[^,]+,\s*[^,]+,\s*[^,]+,\s*/kaos__wait_until(/g;'
  # include/kaos/trace.h is the public tracing API (the event list), not
  # a hook: it stays.
  left=$(grep -rln 'KAOS_TRACE_[A-Z_]*(' "$work/base/src" "$work/base/include" |
         grep -v -e '/src/trace/' -e '/include/kaos/trace\.h$' || true)
  if [ -n "$left" ]; then
    echo "FAIL: hooks this script does not know how to strip, in:"; echo "$left"
    grep -rn 'KAOS_TRACE' $left
    exit 1
  fi
  base_desc="this tree with the hooks stripped"
fi

# ---- hot paths, instantiated --------------------------------------------------

# ---- build both ------------------------------------------------------------------
build() { # tree build-dir extra-args...
  local tree=$1 dir=$2
  shift 2
  cmake -S "$tree" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DKAOS_BUILD_TESTS=OFF \
        -DKAOS_BUILD_BENCH="$bench" -DKAOS_BUILD_EXAMPLES=ON "$@" >"$dir.log" 2>&1 ||
    { tail -20 "$dir.log"; echo "FAIL: configure $tree"; exit 1; }
  cmake --build "$dir" -j "$jobs" >>"$dir.log" 2>&1 ||
    { tail -30 "$dir.log"; echo "FAIL: build $tree"; exit 1; }
  cc -std=c11 -O3 -DNDEBUG -fPIC -I"$tree/include" -I"$dir/include" \
     -c "$src/tools/hotpath.c" -o "$dir/hotpath.o"
}
echo "building this tree (KAOS_TRACE=off) and the baseline ($base_desc) in $work"
build "$work/new" "$work/build-new" -DKAOS_TRACE=off
build "$work/base" "$work/build-base"

# ---- compare ------------------------------------------------------------------------
# The disassembly with instruction bytes, without the file name line.
dis() { objdump -d "$1" | tail -n +4; }
same=0
differ=0
report=$work/differences.txt
: >"$report"
compare() { # label new-file base-file
  if cmp -s <(dis "$2") <(dis "$3"); then
    same=$((same + 1))
  else
    differ=$((differ + 1))
    echo "DIFFERENT: $1" | tee -a "$report"
    diff <(dis "$3") <(dis "$2") | head -40 >>"$report" || true
  fi
}
compare "hot paths (hotpath.c: every ring's inline fast path)" \
  "$work/build-new/hotpath.o" "$work/build-base/hotpath.o"
objs=0
while IFS= read -r obj; do
  rel=${obj#"$work/build-new/"}
  case "$rel" in
    */src/trace/*) echo "not compared (the trace back end itself): $rel"; continue ;;
  esac
  if [ -f "$work/build-base/$rel" ]; then
    compare "$rel" "$obj" "$work/build-base/$rel"
    objs=$((objs + 1))
  else
    echo "only in this tree: $rel"
  fi
done < <(find "$work/build-new/CMakeFiles/kaos_static.dir" \
              "$work/build-new/examples" -name '*.o' | sort)
# The linked examples: the trace object is not pulled in, so they should be
# the same programs.
for ex in "$work"/build-new/examples/example_*; do
  [ -x "$ex" ] || continue
  name=$(basename "$ex")
  if [ -f "$work/build-base/examples/$name" ]; then
    compare "examples/$name (linked, whole .text)" "$ex" "$work/build-base/examples/$name"
  fi
done

echo
echo "compared: hot-path unit, $objs library and example objects, linked examples"
echo "identical: $same, different: $differ"
if [ "$differ" -ne 0 ]; then
  echo "FAIL: KAOS_TRACE=off changes code; see $report"
  [ "$keep" -eq 1 ] || cat "$report"
  exit 1
fi
echo "ok: with KAOS_TRACE=off the code is byte-identical to $base_desc"
