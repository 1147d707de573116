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
        memcheck install clean cross-aarch64 test-aarch64

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

# The headline benchmarks, quick mode (three to four minutes on 2 vCPUs);
# results also go to $(BUILD)/bench/results.jsonl.
bench: build
	$(BUILD)/bench/run-benches --quick

bench-full: build
	$(BUILD)/bench/run-benches --full

# Every benchmark case with tiny counts: proves they run and verify.
bench-smoke: build
	$(BUILD)/bench/run-benches --smoke

# Peer libraries for the side-by-side benchmarks (Debian/Ubuntu, as root).
bench-deps:
	apt-get install -y g++ pkg-config libck-dev libreaderwriterqueue-dev \
	  libconcurrentqueue-dev libboost-dev libdpdk-dev libnuma-dev

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
	rm -rf build build-asan build-tsan build-aarch64 build-clang
