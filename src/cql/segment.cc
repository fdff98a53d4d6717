#include "postfork/cql/segment.h"

#include <lz4.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace postfork::cql {
namespace {

constexpr uint32_t kCrc24Init = 0x875060;
constexpr uint32_t kCrc24Poly = 0x1974F0B;
constexpr int kSelfContainedBit = 17;  // of the 3-byte header; 34 in the LZ4 header

// CRC32 state after the four bytes Cassandra feeds before every payload.
uint32_t Crc32Initial() {
  static const uint32_t initial = [] {
    const unsigned char prefix[4] = {0xFA, 0x2D, 0x55, 0xCA};
    return static_cast<uint32_t>(crc32(0L, prefix, 4));
  }();
  return initial;
}

void PutLE(char* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i, v >>= 8) p[i] = static_cast<char>(v);
}

uint64_t GetLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status Malformed(std::string msg) { return Status(StatusCode::kMalformed, std::move(msg)); }

std::string CrcMismatch(const char* what, uint32_t sent, uint32_t computed) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s mismatch: segment says %08x, computed %08x", what, sent,
                computed);
  return buf;
}

}  // namespace

uint32_t SegmentCrc24(uint64_t bytes, int len) {
  uint32_t crc = kCrc24Init;
  for (int i = 0; i < len; ++i) {
    crc ^= static_cast<uint32_t>(bytes & 0xFF) << 16;
    bytes >>= 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= kCrc24Poly;
    }
  }
  return crc & 0xFFFFFF;
}

uint32_t SegmentCrc32(std::string_view payload) {
  // zlib takes uInt lengths; segment payloads are far below that.
  return static_cast<uint32_t>(crc32(Crc32Initial(), reinterpret_cast<const Bytef*>(payload.data()),
                                     static_cast<uInt>(payload.size())));
}

void EncodeSegment(std::string_view payload, bool self_contained, SegmentCompression c,
                   std::string* out) {
  // Callers cut payloads to kMaxSegmentPayload; a longer one is a programmer error.
  payload = payload.substr(0, kMaxSegmentPayload);
  const size_t at = out->size();
  if (c == SegmentCompression::kNone) {
    uint64_t header = payload.size() | (uint64_t{self_contained} << kSelfContainedBit);
    char h[kSegmentHeaderSize + kSegmentCrc24Size];
    PutLE(h, header, 3);
    PutLE(h + 3, SegmentCrc24(header, 3), 3);
    out->reserve(at + sizeof h + payload.size() + kSegmentCrc32Size);
    out->append(h, sizeof h);
    out->append(payload.data(), payload.size());
    char crc[kSegmentCrc32Size];
    PutLE(crc, SegmentCrc32(payload), 4);
    out->append(crc, sizeof crc);
    return;
  }
  constexpr size_t kHead = kLz4SegmentHeaderSize + kSegmentCrc24Size;
  const int bound = LZ4_compressBound(static_cast<int>(payload.size()));
  out->resize(at + kHead + static_cast<size_t>(bound) + kSegmentCrc32Size);
  char* body = out->data() + at + kHead;
  int written = payload.empty() ? 0
                                : LZ4_compress_default(payload.data(), body,
                                                       static_cast<int>(payload.size()), bound);
  size_t stored_len;
  size_t uncompressed_len;
  if (written > 0 && static_cast<size_t>(written) < payload.size()) {
    stored_len = static_cast<size_t>(written);
    uncompressed_len = payload.size();
  } else {
    std::copy(payload.begin(), payload.end(), body);
    stored_len = payload.size();
    uncompressed_len = 0;  // "use the payload as is"
  }
  uint64_t header = stored_len | (uint64_t{uncompressed_len} << 17) |
                    (uint64_t{self_contained} << (2 * kSelfContainedBit));
  char* h = out->data() + at;
  PutLE(h, header, 5);
  PutLE(h + 5, SegmentCrc24(header, 5), 3);
  PutLE(body + stored_len, SegmentCrc32(std::string_view(body, stored_len)), 4);
  out->resize(at + kHead + stored_len + kSegmentCrc32Size);
}

Status EncodeSegments(std::string_view envelopes, SegmentCompression c, std::string* out) {
  // Find the boundaries first so that a malformed input appends nothing.
  size_t pos = 0;
  while (pos < envelopes.size()) {
    if (envelopes.size() - pos < kFrameHeaderSize)
      return Malformed("envelopes end inside an envelope header");
    size_t total = kFrameHeaderSize + LoadBE32(envelopes.data() + pos + 5);
    if (envelopes.size() - pos < total) return Malformed("envelopes end inside an envelope body");
    pos += total;
  }
  size_t run_start = 0;  // start of the envelopes packed into the next self-contained segment
  pos = 0;
  while (pos < envelopes.size()) {
    size_t total = kFrameHeaderSize + LoadBE32(envelopes.data() + pos + 5);
    if (total > kMaxSegmentPayload) {
      if (pos > run_start)
        EncodeSegment(envelopes.substr(run_start, pos - run_start), true, c, out);
      for (size_t off = 0; off < total; off += kMaxSegmentPayload)
        EncodeSegment(envelopes.substr(pos + off, std::min(kMaxSegmentPayload, total - off)), false,
                      c, out);
      pos += total;
      run_start = pos;
      continue;
    }
    if (pos + total - run_start > kMaxSegmentPayload) {
      EncodeSegment(envelopes.substr(run_start, pos - run_start), true, c, out);
      run_start = pos;
    }
    pos += total;
  }
  if (pos > run_start) EncodeSegment(envelopes.substr(run_start, pos - run_start), true, c, out);
  return Status::Ok();
}

Result<size_t> SegmentDecoder::Decode(std::string_view in, std::string* envelopes) {
  if (failed_) return Malformed("segment stream already failed");
  const bool lz4 = compression_ == SegmentCompression::kLz4;
  const int header_len =
      lz4 ? static_cast<int>(kLz4SegmentHeaderSize) : static_cast<int>(kSegmentHeaderSize);
  const size_t head = static_cast<size_t>(header_len) + kSegmentCrc24Size;
  size_t pos = 0;
  while (in.size() - pos >= head) {
    const char* p = in.data() + pos;
    uint64_t header = GetLE(p, header_len);
    uint32_t want = static_cast<uint32_t>(GetLE(p + header_len, 3));
    uint32_t got = SegmentCrc24(header, header_len);
    if (want != got) {
      failed_ = true;
      return Malformed(CrcMismatch("header CRC24", want, got));
    }
    size_t stored_len = header & kMaxSegmentPayload;
    size_t uncompressed_len = lz4 ? (header >> 17) & kMaxSegmentPayload : 0;
    bool self_contained = (header >> (lz4 ? 2 * kSelfContainedBit : kSelfContainedBit)) & 1;
    size_t total = head + stored_len + kSegmentCrc32Size;
    if (in.size() - pos < total) break;
    std::string_view payload(p + head, stored_len);
    want = static_cast<uint32_t>(GetLE(p + head + stored_len, 4));
    got = SegmentCrc32(payload);
    if (want != got) {
      failed_ = true;
      return Malformed(CrcMismatch("payload CRC32", want, got));
    }
    if (uncompressed_len > 0) {
      scratch_.resize(uncompressed_len);
      int n = LZ4_decompress_safe(payload.data(), scratch_.data(), static_cast<int>(stored_len),
                                  static_cast<int>(uncompressed_len));
      if (n < 0 || static_cast<size_t>(n) != uncompressed_len) {
        failed_ = true;
        return Malformed("corrupt LZ4 segment payload");
      }
      payload = scratch_;
    }
    Status st = TakePayload(payload, self_contained, envelopes);
    if (!st.ok()) {
      failed_ = true;
      return st;
    }
    pos += total;
  }
  return pos;
}

Status SegmentDecoder::TakePayload(std::string_view payload, bool self_contained,
                                   std::string* envelopes) {
  if (self_contained) {
    if (large_remaining_ > 0)
      return Malformed("self-contained segment inside a large envelope's segments");
    // Must be whole envelopes; their limits are checked where they are parsed.
    size_t pos = 0;
    while (pos < payload.size()) {
      if (payload.size() - pos < kFrameHeaderSize)
        return Malformed("self-contained segment ends inside an envelope header");
      size_t total = kFrameHeaderSize + LoadBE32(payload.data() + pos + 5);
      if (payload.size() - pos < total)
        return Malformed("self-contained segment ends inside an envelope");
      pos += total;
    }
    envelopes->append(payload.data(), payload.size());
    return Status::Ok();
  }
  if (large_remaining_ == 0) {
    if (payload.size() < kFrameHeaderSize)
      return Malformed("first segment of a large envelope holds no envelope header");
    uint32_t body = LoadBE32(payload.data() + 5);
    if (body > max_body_)
      return Status(StatusCode::kTooLarge, "envelope body of " + std::to_string(body) +
                                               " bytes exceeds the limit of " +
                                               std::to_string(max_body_));
    large_.clear();
    large_remaining_ = kFrameHeaderSize + size_t{body};
  }
  if (payload.size() > large_remaining_)
    return Malformed("segment of a large envelope runs past the envelope's end");
  // Grow with what arrived, never by the (untrusted) announced size up front.
  large_.append(payload.data(), payload.size());
  large_remaining_ -= payload.size();
  if (large_remaining_ == 0) {
    envelopes->append(large_);
    large_.clear();
    large_.shrink_to_fit();
  }
  return Status::Ok();
}

}  // namespace postfork::cql
