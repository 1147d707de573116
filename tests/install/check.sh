#!/usr/bin/env bash
# Install kaos from BUILD into a scratch prefix, then build and run the
# README example against it twice: with find_package(kaos) and with
# pkg-config. Usage: tests/install/check.sh [build-dir]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
example="$build/tests/readme_example.c"

cmake -S "$src/tests/install" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DREADME_EXAMPLE="$example" >/dev/null
cmake --build "$tmp/cm" >/dev/null
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64" "$tmp/cm/consumer"

pc=$(find "$tmp/prefix" -name kaos.pc -printf '%h')
cc "$example" -o "$tmp/pc_consumer" \
   $(PKG_CONFIG_PATH="$pc" pkg-config --cflags --libs kaos)
LD_LIBRARY_PATH="$tmp/prefix/lib:$tmp/prefix/lib64" "$tmp/pc_consumer"
echo "install: find_package(kaos) and pkg-config consumers build and run"
