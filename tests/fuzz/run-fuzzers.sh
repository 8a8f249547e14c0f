#!/usr/bin/env bash
# Builds every libFuzzer target with clang and runs each for SECONDS (default 60), starting
# from its checked-in seed corpus. New inputs go to build-fuzz/corpus/<target>/; crashes to
# build-fuzz/crashes/<target>/ (copy a crash into tests/fuzz/corpus/<target>/ and add a test).
#
# Usage: tests/fuzz/run-fuzzers.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
KEXTKIT_WITH_FUZZ=1 bash .ci/setup
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKEXTKIT_FUZZ=ON -DKEXTKIT_TESTS=ON -DKEXTKIT_BENCH=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"
status=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t" "build-fuzz/crashes/$t"
  echo "== $t: ${secs}s"
  if ! "build-fuzz/tests/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 \
      -artifact_prefix="build-fuzz/crashes/$t/" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" \
      2>"build-fuzz/$t.log"; then
    echo "FINDING in $t: see build-fuzz/$t.log and build-fuzz/crashes/$t/"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/$t.log" || true
done
exit $status
