# Runs build/baotong as an operator would and checks its exit codes.
execute_process(
  COMMAND ${BAOTONG} jt808 decode 7E0200002A013833501744001900000000000000C201597FA806CC01580080000000081508180721210104000002F502020000030200009F7E
  RESULT_VARIABLE ok_result OUTPUT_VARIABLE ok_output)
if(NOT ok_result EQUAL 0)
  message(FATAL_ERROR "decode of a good frame exited ${ok_result}: ${ok_output}")
endif()
if(NOT ok_output MATCHES "\"msg_id\":512")
  message(FATAL_ERROR "unexpected output: ${ok_output}")
endif()
execute_process(
  COMMAND ${BAOTONG} jt808 decode 7E0200002A013833501744001900000000000000C201597FA806CC01580080000000081508180721210104000002F502020000030200009E7E
  RESULT_VARIABLE bad_result OUTPUT_VARIABLE bad_output)
if(bad_result EQUAL 0 OR NOT bad_output MATCHES "\"error\":\"bad_checksum")
  message(FATAL_ERROR "a bad check code must fail: ${bad_result} ${bad_output}")
endif()
