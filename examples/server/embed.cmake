# cmake -DINPUT=file -DOUTPUT=file.c -P embed.cmake: the bytes of INPUT as
# the C array openapi_document (NUL-terminated) and its length.
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR length "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUTPUT} "/* Generated from docs/openapi.json by embed.cmake: do not edit. */\n#include <stddef.h>\n"
  "extern const char openapi_document[];\nextern const size_t openapi_document_length;\n"
  "const char openapi_document[] = {\n${bytes}0x00};\n"
  "const size_t openapi_document_length = ${length};\n")
