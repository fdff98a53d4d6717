#include "postfork/cql/compression.h"

#include <lz4.h>
#include <snappy.h>

#include <string>

namespace postfork::cql {

Result<Compression> ParseCompression(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (lower == "lz4") return Compression::kLz4;
  if (lower == "snappy") return Compression::kSnappy;
  if (lower.empty() || lower == "none") return Compression::kNone;
  return Status(StatusCode::kUnsupported, "unsupported compression '" + std::string(name) + "'");
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kLz4:
      return "lz4";
    case Compression::kSnappy:
      return "snappy";
  }
  return "unknown";
}

Status Compress(Compression c, std::string_view in, std::string* out) {
  switch (c) {
    case Compression::kNone:
      out->append(in);
      return Status::Ok();
    case Compression::kLz4: {
      if (in.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
        return Status(StatusCode::kTooLarge, "body too large for LZ4");
      int bound = LZ4_compressBound(static_cast<int>(in.size()));
      size_t at = out->size();
      out->resize(at + 4 + static_cast<size_t>(bound));
      char* p = out->data() + at;
      uint32_t n = static_cast<uint32_t>(in.size());
      p[0] = static_cast<char>(n >> 24);
      p[1] = static_cast<char>(n >> 16);
      p[2] = static_cast<char>(n >> 8);
      p[3] = static_cast<char>(n);
      int written = LZ4_compress_default(in.data(), p + 4, static_cast<int>(in.size()), bound);
      if (written <= 0 && !in.empty()) {
        out->resize(at);
        return Status(StatusCode::kInternal, "LZ4 compression failed");
      }
      out->resize(at + 4 + static_cast<size_t>(written));
      return Status::Ok();
    }
    case Compression::kSnappy: {
      size_t at = out->size();
      out->resize(at + snappy::MaxCompressedLength(in.size()));
      size_t written = 0;
      snappy::RawCompress(in.data(), in.size(), out->data() + at, &written);
      out->resize(at + written);
      return Status::Ok();
    }
  }
  return Status(StatusCode::kUnsupported, "unknown compression");
}

Status Decompress(Compression c, std::string_view in, std::string* out, size_t max_size) {
  switch (c) {
    case Compression::kNone:
      if (in.size() > max_size) return Status(StatusCode::kTooLarge, "body exceeds the limit");
      out->append(in);
      return Status::Ok();
    case Compression::kLz4: {
      if (in.size() < 4) return Status(StatusCode::kMalformed, "LZ4 body shorter than 4 bytes");
      uint32_t n = (uint32_t{static_cast<uint8_t>(in[0])} << 24) |
                   (uint32_t{static_cast<uint8_t>(in[1])} << 16) |
                   (uint32_t{static_cast<uint8_t>(in[2])} << 8) | static_cast<uint8_t>(in[3]);
      if (n > max_size || n > static_cast<uint32_t>(LZ4_MAX_INPUT_SIZE))
        return Status(StatusCode::kTooLarge,
                      "LZ4 body claims " + std::to_string(n) + " bytes, over the limit");
      // LZ4 expands at most ~255:1; a claim beyond that is a lie we refuse before allocating.
      if (n > 255 * (in.size() - 4) + 16)
        return Status(StatusCode::kMalformed, "LZ4 length prefix inconsistent with the body");
      size_t at = out->size();
      out->resize(at + n);
      if (n == 0) {
        if (in.size() == 4) return Status::Ok();
      }
      int got = LZ4_decompress_safe(in.data() + 4, out->data() + at,
                                    static_cast<int>(in.size() - 4), static_cast<int>(n));
      if (got < 0 || static_cast<uint32_t>(got) != n) {
        out->resize(at);
        return Status(StatusCode::kMalformed, "corrupt LZ4 body");
      }
      return Status::Ok();
    }
    case Compression::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n))
        return Status(StatusCode::kMalformed, "corrupt Snappy body");
      if (n > max_size)
        return Status(StatusCode::kTooLarge,
                      "Snappy body claims " + std::to_string(n) + " bytes, over the limit");
      if (!snappy::IsValidCompressedBuffer(in.data(), in.size()))
        return Status(StatusCode::kMalformed, "corrupt Snappy body");
      size_t at = out->size();
      out->resize(at + n);
      if (!snappy::RawUncompress(in.data(), in.size(), out->data() + at)) {
        out->resize(at);
        return Status(StatusCode::kMalformed, "corrupt Snappy body");
      }
      return Status::Ok();
    }
  }
  return Status(StatusCode::kUnsupported, "unknown compression");
}

}  // namespace postfork::cql
