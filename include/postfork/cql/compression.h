// Frame body compression (native_protocol_v4.spec section 5). LZ4 bodies carry a 4-byte
// big-endian uncompressed length before the LZ4 block; Snappy bodies are raw Snappy.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "postfork/base/status.h"

namespace postfork::cql {

enum class Compression { kNone, kLz4, kSnappy };

// "lz4" / "snappy" (as in STARTUP's COMPRESSION), case-insensitive.
Result<Compression> ParseCompression(std::string_view name);
std::string_view CompressionName(Compression c);

// Appends the compressed form of `in` to `out`.
Status Compress(Compression c, std::string_view in, std::string* out);
// Appends the decompressed form of `in` to `out`; refuses output larger than `max_size`
// (checked before allocating) and corrupt input.
Status Decompress(Compression c, std::string_view in, std::string* out, size_t max_size);

}  // namespace postfork::cql
