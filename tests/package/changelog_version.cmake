# cmake -DCHANGELOG=debian/changelog -DVERSION=x.y.z -P changelog_version.cmake
# Fails unless the newest entry of debian/changelog is VERSION (a native package: no -N).
file(STRINGS ${CHANGELOG} first LIMIT_COUNT 1)
if(NOT first MATCHES "^oscbridge \\(([^)]+)\\) ")
  message(FATAL_ERROR "${CHANGELOG}: first line is not 'oscbridge (VERSION) ...': ${first}")
endif()
if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
  message(FATAL_ERROR "${CHANGELOG} is at ${CMAKE_MATCH_1}, CMakeLists.txt's project() at "
                      "${VERSION}: add a changelog entry (dch -v ${VERSION}) or fix project()")
endif()
message(STATUS "debian/changelog and project() agree: ${VERSION}")
