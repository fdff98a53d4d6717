#!/usr/bin/env bash
# Builds and runs every test of postfork: unit, integration (real node, real servers, real
# drivers) and fault tests under AddressSanitizer + UndefinedBehaviorSanitizer, then each
# libFuzzer target for a bounded time. Exit status is non-zero when anything failed.
#   scripts/test.sh            everything
#   FUZZ_SECONDS=N             seconds per fuzz target (default 30)
#   CTEST_ARGS="-L unit"       extra ctest arguments (e.g. a label or -R regex)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
failed=0
step() { printf '\n== %s\n' "$*"; }

# ccache (installed by install-deps.sh) keyed relative to this checkout, so clones and worktrees
# share cached objects.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1

step "[1/6] dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh || exit 1

step "[2/6] the Python package: pip install . into build/python-venv (scripts/build-python.sh)"
bash scripts/build-python.sh || exit 1

step "[3/6] build with ASan/UBSan in build/asan"
mkdir -p build
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
  -DPOSTFORK_SANITIZE=ON -DPOSTFORK_BENCH=OFF >build/asan-configure.log 2>&1 \
  || { cat build/asan-configure.log; exit 1; }
cmake --build build/asan -j"$jobs" || exit 1

step "[4/6] build the fuzz targets with clang in build/fuzz"
cmake -S . -B build/fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPOSTFORK_FUZZ=ON >build/fuzz-configure.log 2>&1 || { cat build/fuzz-configure.log; exit 1; }
cmake --build build/fuzz -j"$jobs" || exit 1

step "[5/6] fuzz each target for ${FUZZ_SECONDS:-30} s"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
for fuzzer in $(find build/fuzz -type f -name 'fuzz_*' -perm -u+x | sort); do
  name="$(basename "$fuzzer")"
  corpus="build/fuzz/corpus/$name"
  mkdir -p "$corpus"
  seeds="$root/fuzz/seeds/$name"
  [ -d "$seeds" ] || seeds=""
  if "$fuzzer" -max_total_time="${FUZZ_SECONDS:-30}" -rss_limit_mb=2048 -print_final_stats=1 \
       "$corpus" $seeds >"build/fuzz/$name.log" 2>&1; then
    echo "fuzz $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/$name.log" | grep -o '[0-9]*$') runs)"
  else
    echo "fuzz $name: FAILED"; tail -40 "build/fuzz/$name.log"; failed=1
  fi
done

step "[6/6] unit, integration and fault tests (ctest)"
export ASAN_OPTIONS="detect_leaks=1"
# shellcheck disable=SC2086
ctest --test-dir build/asan -j"$jobs" --output-on-failure --timeout 900 ${CTEST_ARGS:-} || failed=1
exit "$failed"
