# Every dependency comes from Debian 12's packages (scripts/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.81 REQUIRED COMPONENTS json)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
# Howard Hinnant's date/tz (libhowardhinnant-date-dev): region time zones from the system's
# database, /usr/share/zoneinfo (timestamp literals such as '2024-01-01 10:00 PST').
find_package(date CONFIG REQUIRED)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
find_library(SNAPPY_LIBRARY snappy REQUIRED)
find_path(SNAPPY_INCLUDE_DIR snappy.h REQUIRED)
add_library(postfork_snappy INTERFACE)
target_link_libraries(postfork_snappy INTERFACE ${SNAPPY_LIBRARY})
target_include_directories(postfork_snappy INTERFACE ${SNAPPY_INCLUDE_DIR})
# libxcrypt (libcrypt-dev): bcrypt password hashes for the node's PasswordAuthenticator.
find_library(CRYPT_LIBRARY crypt REQUIRED)
find_path(CRYPT_INCLUDE_DIR crypt.h REQUIRED)
add_library(postfork_crypt INTERFACE)
target_link_libraries(postfork_crypt INTERFACE ${CRYPT_LIBRARY})
target_include_directories(postfork_crypt INTERFACE ${CRYPT_INCLUDE_DIR})
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
add_library(postfork_rocksdb INTERFACE)
# RocksDB's static archive (librocksdb-dev ships it) when POSTFORK_ROCKSDB_STATIC: linked into the
# executable, its thread-locals (perf context and level, read on every iterator step) are reached
# without a __tls_get_addr call, and its functions without the PLT: ~300 fewer instructions per
# row a scan reads (docs/bench-node-front.md). Otherwise the shared library.
if(POSTFORK_ROCKSDB_STATIC)
  find_library(ROCKSDB_STATIC_LIBRARY NAMES librocksdb.a)
endif()
if(ROCKSDB_STATIC_LIBRARY)
  find_library(BZ2_LIBRARY bz2 REQUIRED)
  find_library(ZSTD_LIBRARY zstd REQUIRED)
  target_link_libraries(postfork_rocksdb INTERFACE ${ROCKSDB_STATIC_LIBRARY} postfork_snappy
                        PkgConfig::LZ4 PkgConfig::ZLIB ${BZ2_LIBRARY} ${ZSTD_LIBRARY}
                        Threads::Threads ${CMAKE_DL_LIBS})
else()
  find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
  target_link_libraries(postfork_rocksdb INTERFACE ${ROCKSDB_LIBRARY})
endif()
target_include_directories(postfork_rocksdb INTERFACE ${ROCKSDB_INCLUDE_DIR})
if(POSTFORK_TESTS)
  find_package(GTest REQUIRED)
  enable_testing()
endif()
if(POSTFORK_BENCH)
  find_package(benchmark REQUIRED)
endif()
