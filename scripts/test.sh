#!/bin/sh
# Install, build and run the whole test suite: unit (cmocka), integration
# (the daemon on 127.0.0.0/8), end-to-end (Kamailio + sipp). Everything
# runs in a build with AddressSanitizer and UndefinedBehaviorSanitizer;
# an optimised build is compiled too, so both stay warning-free. Before
# them, the Debian packages are built, installed and purged
# (scripts/package-test.sh), and every libFuzzer target runs for
# FUZZ_SECONDS (scripts/fuzz.sh).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRTPROAM_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)"
# The tree builds warning-free (-Werror) with gcc and clang in every build
# type a packager may pick: optimisation levels raise different warnings.
for cc in gcc clang-14; do
	for type in Debug RelWithDebInfo Release MinSizeRel; do
		dir=build-matrix/$cc-$type
		CC=$cc cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=$type -DRTPROAM_TESTS=OFF >/dev/null
		cmake --build "$dir" -j"$(nproc)" >"$dir.log" 2>&1 ||
			{ cat "$dir.log" >&2; echo "test.sh: $cc $type build failed" >&2; exit 1; }
		echo "test.sh: $cc $type: built warning-free"
	done
done
# The Debian packages, built from a copy of the tree with Debian's flags,
# installed with apt, checked, purged: the machine ends as it began.
sh scripts/package-test.sh
# libFuzzer targets, FUZZ_SECONDS each (default 60; 0 replays the corpora).
sh scripts/fuzz.sh
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
# The pytest parts run side by side (tests/CMakeLists.txt), one per core.
exec ctest -j"$(nproc)" --output-on-failure --timeout 900 "$@"
