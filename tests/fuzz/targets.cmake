# The fuzz targets' sources: built into libFuzzer executables by tests/fuzz/CMakeLists.txt (LETTERBOX_FUZZ)
# and into unit_tests, which replays the committed inputs.
set(LETTERBOX_FUZZ_TARGETS lmtp_parser address config mbox_quoting maildirsize mail_path policy_protocol sieve_compile
    sieve_message sieve_match sieve_run managesieve_parser)
set(LETTERBOX_FUZZ_TARGET_SOURCES)
foreach(target IN LISTS LETTERBOX_FUZZ_TARGETS)
  list(APPEND LETTERBOX_FUZZ_TARGET_SOURCES ${CMAKE_CURRENT_LIST_DIR}/${target}_fuzz.cpp)
endforeach()
