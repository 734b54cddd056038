# OSCBRIDGE_GIT_REVISION: the commit `oscbridge --version` names, read once when configuring
# (a later commit shows after the next configure). `git describe --always --dirty`, so a build
# from a modified tree says so; "unknown" outside a git checkout of this project, such as an
# unpacked tarball that happens to sit inside some other repository. Set the cache variable to
# override it (a distribution building from a tarball may know the commit).
set(OSCBRIDGE_GIT_REVISION "" CACHE STRING
    "Revision shown by --version; empty: ask git, else unknown")
set(OSCBRIDGE_GIT_REVISION_USED "${OSCBRIDGE_GIT_REVISION}")
if(NOT OSCBRIDGE_GIT_REVISION_USED)
  set(OSCBRIDGE_GIT_REVISION_USED unknown)
  find_package(Git QUIET)
  if(GIT_FOUND)
    execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse --show-toplevel
                    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                    OUTPUT_VARIABLE git_toplevel RESULT_VARIABLE git_status
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    file(REAL_PATH "${PROJECT_SOURCE_DIR}" source_dir)
    if(git_status EQUAL 0 AND EXISTS "${git_toplevel}")
      file(REAL_PATH "${git_toplevel}" git_toplevel)
    endif()
    if(git_status EQUAL 0 AND git_toplevel STREQUAL source_dir)
      execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
                      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                      OUTPUT_VARIABLE git_describe RESULT_VARIABLE git_status
                      OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
      if(git_status EQUAL 0 AND git_describe)
        set(OSCBRIDGE_GIT_REVISION_USED "${git_describe}")
      endif()
    endif()
  endif()
endif()
message(STATUS "oscbridge ${PROJECT_VERSION}, git revision ${OSCBRIDGE_GIT_REVISION_USED}")
