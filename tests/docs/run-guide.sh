#!/usr/bin/env bash
# Run every command of a guide (docs/PROFILING.md), so that it cannot rot.
#
# Each ```sh block of the guide is run with bash -eu, in order, in one
# scratch directory that looks like a checkout: a symlink to each
# top-level entry of the source tree, and `build` pointing at the build
# under test. No pipefail: `cmd | head` is a normal thing to write, and
# head closing the pipe early is no failure; a block asserts what matters
# with its last command. A directive in an HTML comment on the line before the
# fence changes that:
#   <!-- guide: needs WHAT... -->  run it only if each WHAT is there: a path
#                                  (has a '/'), `perf` (perf record works),
#                                  or a command on PATH; else report a skip
#   <!-- guide: not run: WHY -->   never run (another OS, a GUI, a network
#                                  download); listed with its reason
# A block made only of `make TARGET...` lines is not run (the targets are
# what CI runs); each target must exist in the Makefile.
# Blocks with another language (text, c, asm) are not commands.
#
# KAOS_GUIDE_STRICT=1 (CI): a missing tool is a failure, not a skip,
# except perf (the kernel or a container may forbid it).
#
# Usage: run-guide.sh GUIDE SOURCE_DIR BUILD_DIR
# Exit status: 0 if every block that could run succeeded.
set -euo pipefail
guide=$(readlink -f "$1")
src=$(readlink -f "$2")
build=$(readlink -f "$3")

work=$(mktemp -d /tmp/kaos-guide.XXXXXX)
trap 'rm -rf "$work"' EXIT
for entry in "$src"/* "$src"/.ci; do
	[ -e "$entry" ] || continue
	name=$(basename "$entry")
	case $name in build*) continue ;; esac
	ln -s "$entry" "$work/$name"
done
ln -s "$build" "$work/build"

perf_works() {
	command -v perf >/dev/null &&
		perf record -q -o "$work/.perf-probe" true >/dev/null 2>&1
}
has() { # WHAT: a path, perf, or a command
	case $1 in
	*/*) [ -e "$work/$1" ] || [ -e "$1" ] ;;
	perf) perf_works ;;
	*) command -v "$1" >/dev/null ;;
	esac
}

ran=0 skipped=0 notrun=0 made=0 failed=0
run_block() { # line-number directive body-file
	local line=$1 directive=$2 body=$3 what missing=
	case $directive in
	"not run:"*)
		notrun=$((notrun + 1))
		echo "-- line $line: not run (${directive#not run: })"
		return ;;
	needs\ *)
		for what in ${directive#needs }; do
			has "$what" || missing="$missing $what"
		done
		if [ -n "$missing" ]; then
			# Strict (CI, which installs the tools): only perf may
			# be missing, since the kernel may forbid it.
			if [ -n "${KAOS_GUIDE_STRICT:-}" ] && [ "$missing" != " perf" ]; then
				echo "FAIL: line $line: missing:$missing (KAOS_GUIDE_STRICT is set)"
				failed=$((failed + 1))
				return
			fi
			skipped=$((skipped + 1))
			echo "-- line $line: SKIPPED, missing:$missing"
			return
		fi ;;
	"") ;;
	*) echo "FAIL: line $line: unknown directive '$directive'"; failed=$((failed + 1)); return ;;
	esac
	if ! grep -qv '^\s*\(#.*\)\?$' "$body"; then
		echo "FAIL: line $line: empty block"; failed=$((failed + 1)); return
	fi
	if ! grep -v '^\s*\(#.*\)\?$' "$body" | grep -qv '^make '; then
		local t
		for t in $(grep '^make ' "$body" | sed 's/^make //; s/#.*//'); do
			case $t in *=*) continue ;; esac
			if ! grep -q "^$t:" "$src/Makefile"; then
				echo "FAIL: line $line: 'make $t' is not a Makefile target"
				failed=$((failed + 1)); return
			fi
		done
		made=$((made + 1))
		echo "-- line $line: make targets exist: $(grep '^make ' "$body" | sed 's/^make //; s/#.*//' | tr '\n' ' ')"
		return
	fi
	echo "-- line $line: running"
	sed 's/^/   $ /' "$body"
	local rc=0
	(cd "$work" && timeout 900 bash -eu "$body") >"$body.out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ]; then
		ran=$((ran + 1))
		tail -n 5 "$body.out" | sed 's/^/   | /'
	else
		failed=$((failed + 1))
		echo "FAIL: line $line: exit status $rc; output:"
		sed 's/^/   | /' "$body.out"
	fi
}

# Split the guide into blocks: fence language, directive, starting line.
n=0 lineno=0 in=0 lang= directive= prev= start=0
while IFS= read -r l || [ -n "$l" ]; do
	lineno=$((lineno + 1))
	if [ "$in" -eq 0 ]; then
		if [[ $l =~ ^\`\`\`([a-z]*) ]]; then
			in=1 lang=${BASH_REMATCH[1]} start=$lineno directive=
			if [[ $prev =~ ^\<\!--\ guide:\ (.*)\ --\>$ ]]; then
				directive=${BASH_REMATCH[1]}
			fi
			n=$((n + 1))
			: >"$work/.block$n"
		fi
		prev=$l
		continue
	fi
	if [[ $l =~ ^\`\`\` ]]; then
		in=0
		if [ "$lang" = sh ]; then
			run_block "$start" "$directive" "$work/.block$n"
		fi
		prev=
		continue
	fi
	printf '%s\n' "$l" >>"$work/.block$n"
done <"$guide"
[ "$in" -eq 0 ] || { echo "FAIL: unterminated code block at line $start"; exit 1; }

echo "guide: $ran blocks ran, $made make blocks checked, $skipped skipped, $notrun not run, $failed failed"
[ "$ran" -gt 0 ] || { echo "FAIL: nothing ran"; exit 1; }
[ "$failed" -eq 0 ]
