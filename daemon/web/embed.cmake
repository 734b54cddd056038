# cmake -DINPUT=page.html -DOUTPUT=page.cpp -DSYMBOL=name -P embed.cmake
# Writes a C++ source defining oscbridge::daemon::web::SYMBOL as the file's bytes. Hex bytes
# rather than a raw string literal, so no text in the page can end the literal early.
file(READ "${INPUT}" content HEX)
string(LENGTH "${content}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
string(REGEX REPLACE "(('\\\\x[0-9a-f][0-9a-f]',){32})" "\\1\n" bytes "${bytes}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by embed.cmake; do not edit.\n"
  "#include \"daemon/web/dashboard.h\"\n\nnamespace oscbridge::daemon::web {\nnamespace {\n"
  "constexpr char kBytes[${size} + 1] = {\n${bytes}'\\0'};\n}  // namespace\n\n"
  "const std::string_view ${SYMBOL}(kBytes, ${size});\n\n}  // namespace oscbridge::daemon::web\n")
