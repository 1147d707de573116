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
#               (the #include <kaos/trace.h> lines, the KAOS_TRACE_* hook
#               lines, KAOS_TRACE_WAIT_UNTIL(...) back to kaos_wait_until(...)),
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
  # Strip the hooks from every library source and header but trace.h and
  # kaos.h: the umbrella header includes trace.h for the user API
  # (kaos_init_tracy, kaos_trace_flush), which is not a hook.
  find "$work/base/src" "$work/base/include" -name '*.[ch]' \
       ! -path '*/src/trace/*' ! -name trace.h ! -name kaos.h -print0 |
    xargs -0 perl -0pi -e '
      s/^[ \t]*#include <kaos\/trace\.h>[^\n]*\n//mg;
      s/^[ \t]*KAOS_TRACE_[A-Z_]+\([^\n]*\);[^\n]*\n//mg;
      s/KAOS_TRACE_WAIT_UNTIL\(\s*[^,]+,\s*\w+,\s*[^,]+,\s*/kaos_wait_until(/g;'
  left=$(grep -rln 'KAOS_TRACE' "$work/base/src" "$work/base/include" |
         grep -v -e '/src/trace/' -e '/include/kaos/trace.h$' || true)
  if [ -n "$left" ]; then
    echo "FAIL: hooks this script does not know how to strip, in:"; echo "$left"
    grep -rn 'KAOS_TRACE' $left
    exit 1
  fi
  base_desc="this tree with the hooks stripped"
fi

# ---- hot paths, instantiated --------------------------------------------------
cat >"$work/hotpath.c" <<'EOF'
/* Every ring's inline hot path as an out-of-line function. */
#include <kaos/kaos.h>
int hp_spsc_push(struct kaos_spsc *r, const void *v) { return kaos_spsc_push(r, v); }
int hp_spsc_push_deferred(struct kaos_spsc *r, const void *v) { return kaos_spsc_push_deferred(r, v); }
void hp_spsc_flush(struct kaos_spsc *r) { kaos_spsc_flush(r); }
int hp_spsc_pop(struct kaos_spsc *r, void *v) { return kaos_spsc_pop(r, v); }
int64_t hp_spsc_claim(struct kaos_spsc *r, uint64_t n, void **s) { return kaos_spsc_claim(r, n, s); }
int hp_spsc_publish(struct kaos_spsc *r, uint64_t n) { return kaos_spsc_publish(r, n); }
int64_t hp_spsc_peek(struct kaos_spsc *r, uint64_t n, const void **s) { return kaos_spsc_peek(r, n, s); }
int hp_spsc_release(struct kaos_spsc *r, uint64_t n) { return kaos_spsc_release(r, n); }
uint64_t hp_spsc_poll(struct kaos_spsc *r, kaos_spsc_handler_fn f, void *c, uint64_t l) { return kaos_spsc_poll(r, f, c, l); }
int hp_spsc8_push(struct kaos_spsc8 *q, const uint64_t *v) { return kaos_spsc8_push(q, v); }
int hp_spsc8_pop(struct kaos_spsc8 *q, uint64_t *v) { return kaos_spsc8_pop(q, v); }
/* The 8-byte per-event loop of core/per_event, both sides. */
void hp_loop_push(struct kaos_spsc8 *q, uint64_t n) { for (uint64_t i = 0; i < n; i++) while (kaos_spsc8_push(q, &i)) kaos_cpu_relax(); }
uint64_t hp_loop_pop(struct kaos_spsc8 *q, uint64_t n) { uint64_t s = 0, v; for (uint64_t i = 0; i < n; i++) { while (kaos_spsc8_pop(q, &v)) kaos_cpu_relax(); s += v; } return s; }
int hp_mpsc_push(struct kaos_mpsc *r, const void *v) { return kaos_mpsc_push(r, v); }
int hp_mpsc_pop(struct kaos_mpsc *r, void *v) { return kaos_mpsc_pop(r, v); }
int64_t hp_mpsc_claim(struct kaos_mpsc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpsc_claim(r, n, b); }
int hp_mpsc_publish(struct kaos_mpsc *r, struct kaos_batch *b) { return kaos_mpsc_publish(r, b); }
int64_t hp_mpsc_peek(struct kaos_mpsc *r, uint64_t n, struct kaos_batch *b) { return kaos_mpsc_peek(r, n, b); }
int hp_mpsc_release(struct kaos_mpsc *r, struct kaos_batch *b) { return kaos_mpsc_release(r, b); }
int hp_spmc_push(struct kaos_spmc *r, const void *v) { return kaos_spmc_push(r, v); }
int hp_spmc_pop(struct kaos_spmc *r, void *v) { return kaos_spmc_pop(r, v); }
int hp_mpmc_push(struct kaos_mpmc *r, const void *v) { return kaos_mpmc_push(r, v); }
int hp_mpmc_pop(struct kaos_mpmc *r, void *v) { return kaos_mpmc_pop(r, v); }
int hp_bcast_push(struct kaos_bcast *r, const void *v) { return kaos_bcast_push(r, v); }
int64_t hp_bcast_claim(struct kaos_bcast *r, uint64_t n, void **s) { return kaos_bcast_claim(r, n, s); }
int hp_bcast_publish(struct kaos_bcast *r, uint64_t n) { return kaos_bcast_publish(r, n); }
int64_t hp_bcast_peek(struct kaos_bcast_consumer *c, uint64_t n, void **s) { return kaos_bcast_peek(c, n, s); }
int hp_bcast_release(struct kaos_bcast_consumer *c, uint64_t n) { return kaos_bcast_release(c, n); }
int hp_bcast_pop(struct kaos_bcast_consumer *c, void *v) { return kaos_bcast_pop(c, v); }
int hp_msg_claim(struct kaos_msgring_producer *p, uint32_t t, size_t l, void **d) { return kaos_msgring_claim(p, t, l, d); }
int hp_msg_commit(struct kaos_msgring_producer *p) { return kaos_msgring_commit(p); }
int hp_msg_write(struct kaos_msgring_producer *p, uint32_t t, const void *s, size_t l) { return kaos_msgring_write(p, t, s, l); }
int64_t hp_msg_read(struct kaos_msgring *r, kaos_msg_handler_fn f, void *c, uint64_t l) { return kaos_msgring_read(r, f, c, l); }
EOF

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
     -c "$work/hotpath.c" -o "$dir/hotpath.o"
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
