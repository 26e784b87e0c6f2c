# Writes the CLI's manual page, gzipped as Debian installs man pages (gzip -9n: no name or time
# stamp inside, so the package is reproducible). Run by packaging/CMakeLists.txt:
#   cmake -DGREENTRAINER=<binary> -DOUT=<dir>/greentrainer.1.gz -P man_page.cmake
string(REGEX REPLACE "\\.gz$" "" page "${OUT}")
execute_process(COMMAND "${GREENTRAINER}" --man OUTPUT_FILE "${page}.tmp" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${page}.tmp")
  message(FATAL_ERROR "${GREENTRAINER} --man failed (${rc})")
endif()
file(RENAME "${page}.tmp" "${page}")
execute_process(COMMAND gzip -9nf "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "gzip ${page} failed (${rc})")
endif()
