# SPDX-License-Identifier: BSD-3-Clause
# Debian packages with CPack (included by CMakeLists.txt; scripts/deb_test.sh
# builds, checks, installs and removes them):
#
#   liberrgroup1     the Runtime component: liberrgroup.so.1 (section libs)
#   liberrgroup-dev  the Development component: headers, liberrgroup.so,
#                    liberrgroup.a, both .pc files, the CMake package, the
#                    manual pages (section libdevel)
#
# Each carries /usr/share/doc/<package>/copyright (machine-readable, the
# BSD-3-Clause text of LICENSE) and changelog.Debian.gz. Configure with
# -DERRGROUP_DEB=ON -DCMAKE_INSTALL_PREFIX=/usr (so GNUInstallDirs picks the
# multiarch libdir) and run `cpack -G DEB`.

set(ERRGROUP_DEB_MAINTAINER
    "The liberrgroup Authors <liberrgroup@users.noreply.github.com>"
    CACHE STRING "Maintainer field of the Debian packages")
set(ERRGROUP_DEB_RELEASE
    1
    CACHE STRING "Debian revision of the packages (VERSION-RELEASE)")

set(ERRGROUP_DEB_SOURCE liberrgroup)
set(ERRGROUP_DEB_VERSION "${PROJECT_VERSION}-${ERRGROUP_DEB_RELEASE}")
# RFC 5322 date; honours SOURCE_DATE_EPOCH for reproducible packages.
string(TIMESTAMP ERRGROUP_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)

# copyright: the licence paragraph is LICENSE from "Redistribution" on, each
# line indented by one space and blank lines written " .".
file(READ "${PROJECT_SOURCE_DIR}/LICENSE" _eg_license)
string(FIND "${_eg_license}" "Redistribution" _eg_at)
string(SUBSTRING "${_eg_license}" ${_eg_at} -1 _eg_license)
string(STRIP "${_eg_license}" _eg_license)
string(REGEX REPLACE "\n\n" "\n.\n" _eg_license "${_eg_license}")
string(REGEX REPLACE "\n" "\n " _eg_license "${_eg_license}")
set(ERRGROUP_DEB_LICENSE " ${_eg_license}")

set(_eg_deb_dir "${PROJECT_BINARY_DIR}/debian")
configure_file("${PROJECT_SOURCE_DIR}/cmake/debian/copyright.in"
               "${_eg_deb_dir}/copyright" @ONLY)
configure_file("${PROJECT_SOURCE_DIR}/cmake/debian/changelog.in"
               "${_eg_deb_dir}/changelog.Debian" @ONLY)
find_program(ERRGROUP_GZIP gzip REQUIRED)
execute_process(
  COMMAND ${ERRGROUP_GZIP} -9nf --keep "${_eg_deb_dir}/changelog.Debian"
  COMMAND_ERROR_IS_FATAL ANY)

foreach(_eg_pair "Runtime;liberrgroup1" "Development;liberrgroup-dev")
  list(GET _eg_pair 0 _component)
  list(GET _eg_pair 1 _package)
  install(FILES "${_eg_deb_dir}/copyright" "${_eg_deb_dir}/changelog.Debian.gz"
          DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${_package}"
          COMPONENT ${_component})
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME liberrgroup)
set(CPACK_PACKAGE_VENDOR "The liberrgroup Authors")
set(CPACK_PACKAGE_CONTACT "${ERRGROUP_DEB_MAINTAINER}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/liberrgroup/liberrgroup")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL Runtime Development)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE "${ERRGROUP_DEB_RELEASE}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_SOURCE "${ERRGROUP_DEB_SOURCE}")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME liberrgroup1)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY "=")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
    "${PROJECT_SOURCE_DIR}/cmake/debian/triggers")
# The extended descriptions (the synopsis is the project's DESCRIPTION,
# which CPack puts first); CPack indents every line by one space, so "."
# alone is a blank line.
set(_eg_deb_about
    "liberrgroup implements golang.org/x/sync/errgroup for C: fan work out to
threads, wait for all of it, keep the first error, cancel the rest, with
the part of Go's context package that needs (cancellation with a cause,
deadlines, a pollable file descriptor, after-functions).
.")
set(CPACK_DEBIAN_RUNTIME_DESCRIPTION
    "${_eg_deb_about}
This package contains the shared library, liberrgroup.so.1.")

set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_NAME liberrgroup-dev)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEVELOPMENT_PACKAGE_DEPENDS
    "liberrgroup1 (= ${ERRGROUP_DEB_VERSION})")
set(CPACK_DEBIAN_DEVELOPMENT_DESCRIPTION
    "${_eg_deb_about}
This package contains the headers, the static library, the pkg-config
files (liberrgroup, liberrgroup-static), the CMake package
(find_package(liberrgroup)) and the section 3 manual pages.")

include(CPack)
