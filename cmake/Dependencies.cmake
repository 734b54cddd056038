# Every dependency comes from Debian 12's packages (scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBLO REQUIRED IMPORTED_TARGET liblo)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)  # header-only; the command line of main.cpp
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(OSCBRIDGE_TESTS)
  find_package(GTest REQUIRED)
endif()
if(OSCBRIDGE_BENCH)
  find_package(benchmark REQUIRED)
endif()
