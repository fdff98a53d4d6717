// Arbitrary text into the CQL parser: it must return a statement or a SyntaxError, never crash,
// hang or recurse without bound.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "node/cql3/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = postfork::node::cql3::ParseStatement(text);
  if (!parsed.ok() && parsed.error().message().empty()) __builtin_trap();
  return 0;
}
