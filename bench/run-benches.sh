#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every kaos benchmark program of this build (configured by CMake into
# <build>/bench/run-benches; `make bench`, `make bench-full` and
# `make bench-smoke` call it). Results are printed and also written, one
# JSON object per line, to results.jsonl next to this script, which is
# emptied first.
#
#   run-benches [--quick|--full|--smoke] [FILTER]
#
# Exits non-zero if any program fails (a run that does not verify, a setup
# error, a crash).
set -u

usage() {
	echo "usage: $0 [--quick|--full|--smoke] [FILTER]"
	echo "  --quick  default, about 7 minutes on 2 vCPUs (run D: 398 s; bench_ipc"
	echo "  runs every peer, iceoryx and the system calls included); --full: more"
	echo "  rounds and the 1B traces;"
	echo "  --smoke: every case with tiny counts (CI)."
	echo "  FILTER   only cases whose name contains it, e.g. per_event"
}

mode=--quick
filter=
for arg in "$@"; do
	case $arg in
	--quick | --full | --smoke) mode=$arg ;;
	-h | --help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*)
		if [ -n "$filter" ]; then usage >&2; exit 2; fi
		filter=$arg
		;;
	esac
done

dir=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd) || exit 1
results=$dir/results.jsonl
: >"$results" || exit 1

status=0
start=$(date +%s)
for prog in @KB_PROGRAMS@; do
	if [ ! -x "$dir/$prog" ]; then
		echo "run-benches: $dir/$prog is missing (build first)" >&2
		status=1
		continue
	fi
	if [ -n "$filter" ]; then
		"$dir/$prog" "$mode" --json "$results" "$filter"
	else
		"$dir/$prog" "$mode" --json "$results"
	fi
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "run-benches: $prog FAILED (exit status $rc)" >&2
		status=1
	fi
	echo
done
end=$(date +%s)
echo "run-benches: $mode done in $((end - start)) s; results in $results"
[ "$status" -eq 0 ] || echo "run-benches: FAILED" >&2
exit $status
