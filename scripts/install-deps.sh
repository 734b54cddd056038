#!/usr/bin/env bash
# Installs everything oscbridge needs to build, test and benchmark, and to build and check
# its Debian package (scripts/test-package.sh), from Debian 12's packages. Run as root (or
# with sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential cmake ninja-build pkg-config git \
  libgtest-dev libgmock-dev libbenchmark-dev \
  liblo-dev liblo-tools libyaml-cpp-dev libspdlog-dev libsystemd-dev libcli11-dev \
  librtmidi-dev libjack-jackd2-dev jackd2 \
  nlohmann-json3-dev libcivetweb-dev \
  chromium python3-websocket \
  clang libclang-rt-14-dev libfuzzer-14-dev clang-format \
  systemd procps iproute2 util-linux coreutils strace \
  python3 scdoc man-db bash-completion \
  debhelper dpkg-dev fakeroot lintian
