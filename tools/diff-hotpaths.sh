#!/usr/bin/env bash
# The inline hot paths of every ring (tools/hotpath.c), compiled against
# this tree's headers and against those of git commit REF, compared
# function by function: which functions' machine code differs, and (-v)
# the instructions that differ, with jump and call targets and addresses
# left out (so code that only moved compares equal). Exit status 0 when
# every function is the same, 1 otherwise.
#
# Usage: tools/diff-hotpaths.sh [-v] [--cc CC] REF
# Needs a configured build in build/ (its kaos/config.h and version.h),
# a C compiler, objdump and python3. A few seconds.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
verbose=
cc=${CC:-cc}
while [ $# -gt 1 ]; do
  case "$1" in
    -v) verbose=-v; shift ;;
    --cc) cc=$2; shift 2 ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || { echo "usage: $0 [-v] [--cc CC] REF" >&2; exit 2; }
gen="$src/build/include"
[ -f "$gen/kaos/config.h" ] || { echo "$0: configure build/ first (make build)" >&2; exit 2; }
work=$(mktemp -d /tmp/kaos-hotpaths.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/base"
git -C "$src" archive "$1" include | tar -x -C "$work/base"
flags=(-std=c11 -O3 -DNDEBUG -fPIC -c "$src/tools/hotpath.c")
"$cc" "${flags[@]}" -I"$src/include" -I"$gen" -o "$work/new.o"
"$cc" "${flags[@]}" -I"$work/base/include" -I"$gen" -o "$work/base.o"

python3 - "$work/base.o" "$work/new.o" "$verbose" "$1" <<'EOF'
import difflib, re, subprocess, sys

def functions(obj):
    """Each function's instructions, without addresses, jump or call
    targets, and alignment padding; relocations named by their symbol."""
    out = subprocess.run(['objdump', '-d', '-r', '--no-show-raw-insn', obj],
                         capture_output=True, text=True, check=True).stdout
    fns, cur = {}, None
    for line in out.splitlines():
        m = re.match(r'^[0-9a-f]+ <(.+)>:$', line)
        if m:
            cur = fns.setdefault(m.group(1), [])
            continue
        if cur is None or not re.match(r'^\s+[0-9a-f]+:', line):
            continue
        r = re.match(r'^\s+[0-9a-f]+: (R_\S+)\s+(\S+)', line)
        if r:
            if cur:
                cur[-1] += ' ' + re.sub(r'[-+]0x[0-9a-f]+$', '', r.group(2))
            continue
        ins = re.sub(r'#.*$', '', line.split(':', 1)[1]).strip()
        ins = re.sub(r'^(j\w+|call)\s+[0-9a-f]+ <[^>]*>', r'\1', ins)
        if not re.match(r'^(nop|cs nop|data16|xchg\s+%ax,%ax)', ins):
            cur.append(ins)
    return fns

base, new = functions(sys.argv[1]), functions(sys.argv[2])
verbose, ref = sys.argv[3] == '-v', sys.argv[4]
differ = 0
for name in sorted(set(base) | set(new)):
    a, b = base.get(name, []), new.get(name, [])
    if a == b:
        continue
    differ += 1
    print(f'{name}: {len(a)} -> {len(b)} instructions')
    if verbose:
        for d in difflib.unified_diff(a, b, lineterm='', n=0):
            if d[:1] in '+-' and not d.startswith(('+++', '---')):
                print('   ', d)
total = len(set(base) | set(new))
print(f'{total - differ} of {total} hot-path functions the same as {ref}')
sys.exit(1 if differ else 0)
EOF
