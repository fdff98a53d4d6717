#include "postfork/cql/segment.h"

#include <lz4.h>
#include <zlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <array>
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

// Cassandra's text (net.FrameDecoder), its CRCs printed as Java ints; `where` is "header" or
// "body".
std::string CrcMismatch(const char* where, uint32_t sent, uint32_t computed) {
  char buf[128];
  std::snprintf(buf, sizeof buf,
                "invalid, unrecoverable CRC mismatch detected in frame %s. Read %d, Computed %d",
                where, static_cast<int32_t>(sent), static_cast<int32_t>(computed));
  return buf;
}

}  // namespace

namespace {
// Cassandra's bitwise CRC24 step (crc ^= byte << 16, then 8 shifts reducing by the polynomial)
// applied to each byte value from a zero register: by linearity, one lookup per byte.
constexpr std::array<uint32_t, 256> kCrc24Table = [] {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i << 16;
    for (int bit = 0; bit < 8; ++bit) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= kCrc24Poly;
    }
    table[i] = crc;
  }
  return table;
}();
}  // namespace

uint32_t SegmentCrc24(uint64_t bytes, int len) {
  uint32_t crc = kCrc24Init;
  for (int i = 0; i < len; ++i, bytes >>= 8)
    crc = ((crc << 8) & 0xFFFFFF) ^ kCrc24Table[((crc >> 16) ^ bytes) & 0xFF];
  return crc;
}

#if defined(__x86_64__)
namespace {

#define PF_CLMUL __attribute__((target("pclmul,sse4.1")))

PF_CLMUL inline __m128i Load128(const unsigned char* q) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
}

// (x * k_high) ^ (x * k_low) ^ next: moves lane `x` forward by the distance `k` encodes.
PF_CLMUL inline __m128i Fold(__m128i x, __m128i k, __m128i next) {
  __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
  __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
  return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

// The IEEE CRC32 of `len` bytes (a multiple of 16, at least 16) by carry-less multiplication:
// from 64 bytes on four 128-bit lanes folded 64 bytes at a time, then one lane folded 16 bytes at
// a time, then Barrett-reduced (Intel,
// "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ", bit-reflected constants for
// 0x04C11DB7). `crc` and the result are the raw register, i.e. not inverted.
PF_CLMUL uint32_t Crc32Clmul(const unsigned char* p, size_t len, uint32_t crc) {
  const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
  const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
  const __m128i k5 = _mm_set_epi64x(0, 0x0163cd6124);
  const __m128i poly_mu = _mm_set_epi64x(0x01f7011641, 0x01db710641);
  const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
  __m128i x1 = _mm_xor_si128(Load128(p), _mm_cvtsi32_si128(static_cast<int>(crc)));
  if (len >= 64) {
    __m128i x2 = Load128(p + 16), x3 = Load128(p + 32), x4 = Load128(p + 48);
    p += 64;
    len -= 64;
    for (; len >= 64; p += 64, len -= 64) {
      x1 = Fold(x1, k1k2, Load128(p));
      x2 = Fold(x2, k1k2, Load128(p + 16));
      x3 = Fold(x3, k1k2, Load128(p + 32));
      x4 = Fold(x4, k1k2, Load128(p + 48));
    }
    x1 = Fold(x1, k3k4, x2);
    x1 = Fold(x1, k3k4, x3);
    x1 = Fold(x1, k3k4, x4);
  } else {
    p += 16;
    len -= 16;
  }
  for (; len >= 16; p += 16, len -= 16) x1 = Fold(x1, k3k4, Load128(p));
  // 128 -> 64 bits.
  __m128i x = _mm_xor_si128(_mm_srli_si128(x1, 8), _mm_clmulepi64_si128(x1, k3k4, 0x10));
  // 64 -> 32 bits.
  x = _mm_xor_si128(_mm_srli_si128(x, 4), _mm_clmulepi64_si128(_mm_and_si128(x, low32), k5, 0x00));
  // Barrett reduction.
  __m128i t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), poly_mu, 0x10);
  t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), poly_mu, 0x00);
  return static_cast<uint32_t>(_mm_extract_epi32(_mm_xor_si128(x, t), 1));
}

#undef PF_CLMUL

}  // namespace
#endif

uint32_t SegmentCrc32(std::string_view payload) {
  uint32_t crc = Crc32Initial();
  auto p = reinterpret_cast<const unsigned char*>(payload.data());
  size_t len = payload.size();
#if defined(__x86_64__)
  // zlib's table CRC runs at about a byte per cycle; folding with PCLMULQDQ is several times
  // faster, even for the short segments of a single response. zlib finishes the last 0-15 bytes.
  static const bool clmul = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  if (clmul && len >= 16) {
    size_t chunk = len & ~size_t{15};
    crc = ~Crc32Clmul(p, chunk, ~crc);
    p += chunk;
    len -= chunk;
  }
#endif
  // zlib takes uInt lengths; what is left here is under 16 bytes or a short payload.
  return static_cast<uint32_t>(crc32(crc, p, static_cast<uInt>(len)));
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
      return Malformed(CrcMismatch("header", want, got));
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
      return Malformed(CrcMismatch("body", want, got));
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
      const uint32_t length = LoadBE32(payload.data() + pos + 5);
      // A negative length is for the envelope parser to refuse (Cassandra closes on it).
      if (static_cast<int32_t>(length) < 0) break;
      size_t total = kFrameHeaderSize + size_t{length};
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
