#!/usr/bin/env bash
# Builds and runs the whole suite, as CI does:
#   1. plain RelWithDebInfo build, every test;
#   2. AddressSanitizer + UndefinedBehaviorSanitizer build, every test;
#   3. ThreadSanitizer build, where threads meet: the socket tests (loop threads, servers,
#      clients) and the end-to-end tests (a TSan-built daemon with its loop and connector
#      threads);
#   4. clang + libFuzzer targets, each for OSCBRIDGE_FUZZ_SECONDS (default 60) under ASan+UBSan;
#   5. the Debian package (scripts/test-package.sh): built in a temporary directory, lintian,
#      installed, checked, purged (skipped when not root).
# Build trees go to build/, build-asan/, build-tsan/, build-fuzz/. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
fuzz_seconds=${OSCBRIDGE_FUZZ_SECONDS:-60}
passed=0
failed=0

configure_and_build() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}

run_ctest() {
  local log
  log=$(mktemp)
  local status=0
  ctest --output-on-failure -j "$jobs" --test-dir "$@" 2>&1 | tee "$log" || status=1
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [[ -z $line ]]; then
    echo "ctest ran no test in $1" >&2
    exit 1
  fi
  local total bad
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if ((status != 0 || bad != 0)); then
    echo "$passed passed, $failed failed"
    exit 1
  fi
}

echo "== plain build"
configure_and_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOSCBRIDGE_BENCH=ON
run_ctest build

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
configure_and_build build-asan -DCMAKE_BUILD_TYPE=Debug -DOSCBRIDGE_SANITIZE=address,undefined
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest build-asan

echo "== ThreadSanitizer (socket and end-to-end tests)"
configure_and_build build-tsan -DCMAKE_BUILD_TYPE=Debug -DOSCBRIDGE_SANITIZE=thread \
  "-DOSCBRIDGE_TEST_SUITES=socket;e2e"
# MIDI traffic through JACK is left out here: with TSan-built clients (the daemon and the tests'
# RtMidi peers) JACK delivers some messages and not others (libjack, uninstrumented, runs the
# process cycle), so those tests would test TSan's slowdown, not our threads. They run in the
# plain and ASan trees; the MIDI tests without traffic (no JACK server, no ALSA, midi-ports)
# run here too.
TSAN_OPTIONS="halt_on_error=1:suppressions=$PWD/tests/tsan.supp" run_ctest build-tsan \
  -L "^(socket|e2e)$" -E "^MidiTest\.(MidiFrom|OscRouted|Virtual|APortThat|AReload)"

echo "== libFuzzer targets, ${fuzz_seconds}s each"
CC=clang CXX=clang++ configure_and_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOSCBRIDGE_SANITIZE=address,undefined -DOSCBRIDGE_FUZZ=ON \
  -DOSCBRIDGE_FUZZ_SECONDS="$fuzz_seconds"
run_ctest build-fuzz -L fuzz

echo "== Debian package"
bash scripts/test-package.sh

echo "$passed passed, $failed failed"
