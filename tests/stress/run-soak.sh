#!/bin/sh
# SPDX-License-Identifier: MIT
# Soak the rings and IPC channels: run every stress shape, over and over with rotating
# capacities, for KAOS_SOAK_SECONDS in all (default 600). The time is
# divided among the programs by their number of cases; stress_spsc, which
# has no soak mode, is repeated for its share.
#
#   tests/stress/run-soak.sh [BUILD_DIR]      (default: build)
#   KAOS_SOAK_SECONDS=3600 tests/stress/run-soak.sh build-tsan
#
# Exits non-zero at the first failure; a hang fails at the programs' own
# deadline (KAOS_STRESS_DEADLINE seconds per run, default 240).
set -eu

build=${1:-build}
bin=$build/tests
total=${KAOS_SOAK_SECONDS:-600}

for p in stress_multi stress_bcast stress_spsc stress_msgring stress_ipc; do
	if [ ! -x "$bin/$p" ]; then
		echo "run-soak: $bin/$p not built (build the tests first)" >&2
		exit 2
	fi
done

# Shares by cases: stress_multi 17, stress_bcast 9, stress_msgring 10,
# stress_ipc 5, stress_spsc 2.
multi=$((total * 17 / 43))
bcast=$((total * 9 / 43))
msg=$((total * 10 / 43))
ipc=$((total * 5 / 43))
spsc=$((total - multi - bcast - msg - ipc))
[ "$multi" -ge 1 ] || multi=1
[ "$bcast" -ge 1 ] || bcast=1
[ "$msg" -ge 1 ] || msg=1
[ "$ipc" -ge 1 ] || ipc=1

start=$(date +%s)
echo "run-soak: ${total}s in all: stress_multi ${multi}s, stress_bcast ${bcast}s," \
     "stress_msgring ${msg}s, stress_ipc ${ipc}s, stress_spsc ${spsc}s"
"$bin/stress_multi" --soak "$multi"
"$bin/stress_bcast" --soak "$bcast"
"$bin/stress_msgring" --soak "$msg"
"$bin/stress_ipc" --soak "$ipc"
end=$(($(date +%s) + spsc))
n=0
while :; do
	"$bin/stress_spsc" >/dev/null
	n=$((n + 1))
	[ "$(date +%s)" -lt "$end" ] || break
done
echo "run-soak: stress_spsc passed $n times"
echo "run-soak: all passed in $(($(date +%s) - start))s"
