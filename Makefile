# Thin wrapper over CMake: the commands a user types. See README.md.
BUILD ?= build
CMAKE ?= cmake
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
PREFIX ?= /usr/local
# Everything valgrind runs for `make memcheck`: every example.
VALGRIND = valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=all \
           --errors-for-leak-kinds=all --quiet

.PHONY: stress all build test bench bench-full bench-smoke bench-deps test-asan test-tsan \
        memcheck install clean cross-aarch64 test-aarch64 bench-usdt-cost \
        bench-trace-off-cost

all: build

$(BUILD)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_ARGS)

build: $(BUILD)/CMakeCache.txt
	$(CMAKE) --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Soak every ring shape with real threads; KAOS_SOAK_SECONDS (default 600)
# in all.
stress: build
	tests/stress/run-soak.sh $(BUILD)

# The headline benchmarks, quick mode (about seven minutes on 2 vCPUs);
# results also go to $(BUILD)/bench/results.jsonl.
bench: build
	$(BUILD)/bench/run-benches --quick

bench-full: build
	$(BUILD)/bench/run-benches --full

# Every benchmark case with tiny counts: proves they run and verify.
bench-smoke: build
	$(BUILD)/bench/run-benches --smoke

# Build-time variants against each other (docs/benchmarks.md, "Build-time
# variants"): tools/bench-ab.sh runs the two builds' copies of a benchmark
# alternately, AB_ROUNDS rounds, and prints the ratio, the variant with the
# feature over the one without (below 1: its cost). AB_ARGS: more options
# for it (--cpus P,C; --mode smoke to check the plumbing).
AB_ROUNDS ?= 10
AB_ARGS ?=
BENCH_AB = tools/bench-ab.sh --rounds $(AB_ROUNDS) $(AB_ARGS)

# KAOS_TRACE=usdt with no probe attached, against $(BUILD) (KAOS_TRACE=off):
# builds $(BUILD)-usdt next to it.
bench-usdt-cost: $(BUILD)/CMakeCache.txt
	@grep -q '^KAOS_TRACE:STRING=off$$' $(BUILD)/CMakeCache.txt || \
	  { echo "bench-usdt-cost: $(BUILD) is not a KAOS_TRACE=off build" >&2; exit 1; }
	$(CMAKE) --build $(BUILD) -j $(JOBS) --target bench_core bench_ipc
	$(CMAKE) -S . -B $(BUILD)-usdt -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) \
	  -DKAOS_TRACE=usdt -DKAOS_BUILD_BENCH=ON -DKAOS_BUILD_TESTS=OFF -DKAOS_BUILD_EXAMPLES=OFF
	$(CMAKE) --build $(BUILD)-usdt -j $(JOBS) --target bench_core bench_ipc
	$(BENCH_AB) --names usdt,off $(BUILD)-usdt $(BUILD) bench_core core/per_event
	$(BENCH_AB) --names usdt,off $(BUILD)-usdt $(BUILD) bench_ipc ipc/single_8B

# KAOS_TRACE=off against this tree with the hooks stripped: both built alike
# by tools/check-trace-off.sh (its disassembly check runs too) in
# $(BUILD)-trace-stripped/build-new and build-base. The A/B runs even when
# the check finds a difference (then it is worth measuring), not when a
# build failed (no differences.txt: the check never ran).
TRACE_OFF_WORK = $(CURDIR)/$(BUILD)-trace-stripped
bench-trace-off-cost:
	rm -f $(TRACE_OFF_WORK)/differences.txt
	tools/check-trace-off.sh --bench --keep --work $(TRACE_OFF_WORK) || \
	  test -s $(TRACE_OFF_WORK)/differences.txt
	$(BENCH_AB) --names off,stripped $(TRACE_OFF_WORK)/build-new \
	  $(TRACE_OFF_WORK)/build-base bench_core core/per_event
	$(BENCH_AB) --names off,stripped $(TRACE_OFF_WORK)/build-new \
	  $(TRACE_OFF_WORK)/build-base bench_core core/mapped_batch

# Peer libraries for the side-by-side benchmarks (Debian/Ubuntu, as root).
bench-deps:
	apt-get install -y g++ pkg-config libck-dev libreaderwriterqueue-dev \
	  libconcurrentqueue-dev libboost-dev libdpdk-dev libnuma-dev \
	  iceoryx libiceoryx-binding-c-dev

test-asan:
	$(MAKE) test BUILD=build-asan CMAKE_ARGS="-DKAOS_SANITIZER=address -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAOS_BUILD_BENCH=OFF $(CMAKE_ARGS)"

test-tsan:
	$(MAKE) test BUILD=build-tsan CMAKE_ARGS="-DKAOS_SANITIZER=thread -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKAOS_BUILD_BENCH=OFF $(CMAKE_ARGS)"

memcheck: build
	@set -e; n=0; for ex in $(BUILD)/examples/example_*; do \
	  echo "memcheck $$ex"; $(VALGRIND) $$ex; n=$$((n+1)); done; \
	echo "memcheck: $$n examples, 0 errors, 0 leaks"

install: build
	$(CMAKE) --install $(BUILD)

# aarch64: cross-build, then run the unit tests under qemu-user.
cross-aarch64:
	$(CMAKE) -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
	  -DCMAKE_BUILD_TYPE=Release -DKAOS_BUILD_BENCH=OFF $(CMAKE_ARGS)
	$(CMAKE) --build build-aarch64 -j $(JOBS)

test-aarch64: cross-aarch64
	cd build-aarch64 && ctest --output-on-failure -j $(JOBS)

clean:
	rm -rf build build-asan build-tsan build-aarch64 build-clang build-usdt build-trace-stripped
