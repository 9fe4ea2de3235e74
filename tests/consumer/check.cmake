# check.cmake: builds and runs the consumer programs the way an outside
# project would. Run with cmake -P; MODE picks the way in:
#   direct        compile against runtime/include, link the built libgreenring.so
#   install       cmake --install the build tree into PREFIX (a fresh directory)
#   find_package  configure tests/consumer/CMakeLists.txt against PREFIX
#   pkg_config    compile with `pkg-config --cflags --libs greenring` from PREFIX
# Variables: MODE SOURCE_DIR WORK_DIR CXX CC SANITIZE_FLAGS, and
#   direct: INCLUDE_DIR LIBRARY; install: BUILD_DIR PREFIX;
#   find_package, pkg_config: PREFIX (and GENERATOR for find_package).
cmake_minimum_required(VERSION 3.20)

separate_arguments(san UNIX_COMMAND "${SANITIZE_FLAGS}")

function(run_or_fail what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${what} failed (${rc}):\n$ ${cmd}\n${out}${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

# Runs a consumer binary and checks it reported success.
function(run_consumer exe expected)
  run_or_fail("running ${exe}" ${exe})
  if(NOT last_output MATCHES "${expected}")
    message(FATAL_ERROR "${exe} did not print '${expected}':\n${last_output}")
  endif()
endfunction()

file(MAKE_DIRECTORY "${WORK_DIR}")

if(MODE STREQUAL "direct")
  get_filename_component(libdir "${LIBRARY}" DIRECTORY)
  run_or_fail("compiling consumer.cpp against runtime/include"
    ${CXX} -std=c++20 -Wall -Werror ${san} -I${INCLUDE_DIR} ${SOURCE_DIR}/consumer.cpp ${LIBRARY}
    -Wl,-rpath,${libdir} -o ${WORK_DIR}/consumer)
  run_or_fail("compiling consumer.c against runtime/include"
    ${CC} -std=c11 -Wall -Werror ${san} -I${INCLUDE_DIR} ${SOURCE_DIR}/consumer.c ${LIBRARY}
    -Wl,-rpath,${libdir} -o ${WORK_DIR}/consumer_c)
  run_consumer(${WORK_DIR}/consumer "consumer: ok")
  run_consumer(${WORK_DIR}/consumer_c "consumer_c: ok")

elseif(MODE STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run_or_fail("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
  foreach(header greenring/greenring.hpp greenring/io.hpp greenring/greenring.h)
    if(NOT EXISTS "${PREFIX}/include/${header}")
      message(FATAL_ERROR "cmake --install did not install include/${header}")
    endif()
  endforeach()
  file(GLOB_RECURSE libs "${PREFIX}/*/libgreenring.so")
  file(GLOB_RECURSE configs "${PREFIX}/*/greenringConfig.cmake")
  file(GLOB_RECURSE pcs "${PREFIX}/*/greenring.pc")
  if(NOT libs OR NOT configs OR NOT pcs)
    message(FATAL_ERROR "cmake --install is missing pieces: library '${libs}', "
                        "CMake package '${configs}', pkg-config file '${pcs}'")
  endif()

elseif(MODE STREQUAL "find_package")
  set(build "${WORK_DIR}/build")
  file(REMOVE_RECURSE "${build}")
  set(gen)
  if(GENERATOR)
    set(gen -G "${GENERATOR}")
  endif()
  run_or_fail("configuring the consumer project (find_package(greenring))"
    ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} ${gen}
    -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_C_COMPILER=${CC}
    "-DCMAKE_CXX_FLAGS=${SANITIZE_FLAGS}" "-DCMAKE_C_FLAGS=${SANITIZE_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${SANITIZE_FLAGS}")
  file(STRINGS "${build}/CMakeCache.txt" found REGEX "^greenring_DIR:")
  string(FIND "${found}" "${PREFIX}/" at)
  if(NOT at GREATER -1)
    message(FATAL_ERROR "find_package(greenring) did not use the package installed in ${PREFIX}: ${found}")
  endif()
  run_or_fail("building the consumer project" ${CMAKE_COMMAND} --build ${build})
  run_consumer(${build}/consumer "consumer: ok")
  run_consumer(${build}/consumer_c "consumer_c: ok")

elseif(MODE STREQUAL "pkg_config")
  file(GLOB_RECURSE pcs "${PREFIX}/*/greenring.pc")
  if(NOT pcs)
    message(FATAL_ERROR "no greenring.pc under ${PREFIX}")
  endif()
  list(GET pcs 0 pc)
  get_filename_component(pcdir "${pc}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  set(ENV{PKG_CONFIG_LIBDIR} "${pcdir}")  # nothing from the system may stand in
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  run_or_fail("pkg-config --cflags greenring" ${PKG_CONFIG} --cflags greenring)
  string(STRIP "${last_output}" cflags_text)
  run_or_fail("pkg-config --libs greenring" ${PKG_CONFIG} --libs greenring)
  string(STRIP "${last_output}" libs_text)
  run_or_fail("pkg-config --variable=libdir greenring" ${PKG_CONFIG} --variable=libdir greenring)
  string(STRIP "${last_output}" libdir)
  string(FIND "${cflags_text}" "-I${PREFIX}/include" inc_at)
  string(FIND "${libdir}" "${PREFIX}/" lib_at)
  if(inc_at EQUAL -1 OR lib_at EQUAL -1)
    message(FATAL_ERROR "greenring.pc installed with --prefix ${PREFIX} points elsewhere:\n"
                        "  --cflags: ${cflags_text}\n  --libs: ${libs_text}\n  libdir: ${libdir}\n"
                        "(${pc})")
  endif()
  separate_arguments(cflags UNIX_COMMAND "${cflags_text}")
  separate_arguments(libs UNIX_COMMAND "${libs_text}")
  run_or_fail("compiling consumer.cpp with pkg-config's flags"
    ${CXX} ${cflags} -Wall -Werror ${san} ${SOURCE_DIR}/consumer.cpp ${libs} -Wl,-rpath,${libdir}
    -o ${WORK_DIR}/consumer)
  run_consumer(${WORK_DIR}/consumer "consumer: ok")

else()
  message(FATAL_ERROR "check.cmake: unknown MODE '${MODE}'")
endif()
