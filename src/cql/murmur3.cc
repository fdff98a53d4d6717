#include "postfork/cql/murmur3.h"

#include <cassert>
#include <cstring>

namespace postfork::cql {
namespace {

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t Fmix(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

inline uint64_t LoadLE64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

// Cassandra reads tail bytes as Java (signed) bytes, so bytes >= 0x80 sign-extend.
inline uint64_t Tail(const unsigned char* p, int i) {
  return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(p[i])));
}

}  // namespace

int64_t Murmur3Token(std::string_view key) {
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t len = key.size();
  const size_t nblocks = len / 16;
  uint64_t h1 = 0, h2 = 0;
  const uint64_t c1 = 0x87c37b91114253d5ULL;
  const uint64_t c2 = 0x4cf5ad432745937fULL;
  for (size_t i = 0; i < nblocks; ++i) {
    uint64_t k1 = LoadLE64(data + i * 16);
    uint64_t k2 = LoadLE64(data + i * 16 + 8);
    k1 *= c1;
    k1 = Rotl(k1, 31);
    k1 *= c2;
    h1 ^= k1;
    h1 = Rotl(h1, 27);
    h1 += h2;
    h1 = h1 * 5 + 0x52dce729;
    k2 *= c2;
    k2 = Rotl(k2, 33);
    k2 *= c1;
    h2 ^= k2;
    h2 = Rotl(h2, 31);
    h2 += h1;
    h2 = h2 * 5 + 0x38495ab5;
  }
  const unsigned char* tail = data + nblocks * 16;
  uint64_t k1 = 0, k2 = 0;
  switch (len & 15) {
    case 15:
      k2 ^= Tail(tail, 14) << 48;
      [[fallthrough]];
    case 14:
      k2 ^= Tail(tail, 13) << 40;
      [[fallthrough]];
    case 13:
      k2 ^= Tail(tail, 12) << 32;
      [[fallthrough]];
    case 12:
      k2 ^= Tail(tail, 11) << 24;
      [[fallthrough]];
    case 11:
      k2 ^= Tail(tail, 10) << 16;
      [[fallthrough]];
    case 10:
      k2 ^= Tail(tail, 9) << 8;
      [[fallthrough]];
    case 9:
      k2 ^= Tail(tail, 8);
      k2 *= c2;
      k2 = Rotl(k2, 33);
      k2 *= c1;
      h2 ^= k2;
      [[fallthrough]];
    case 8:
      k1 ^= Tail(tail, 7) << 56;
      [[fallthrough]];
    case 7:
      k1 ^= Tail(tail, 6) << 48;
      [[fallthrough]];
    case 6:
      k1 ^= Tail(tail, 5) << 40;
      [[fallthrough]];
    case 5:
      k1 ^= Tail(tail, 4) << 32;
      [[fallthrough]];
    case 4:
      k1 ^= Tail(tail, 3) << 24;
      [[fallthrough]];
    case 3:
      k1 ^= Tail(tail, 2) << 16;
      [[fallthrough]];
    case 2:
      k1 ^= Tail(tail, 1) << 8;
      [[fallthrough]];
    case 1:
      k1 ^= Tail(tail, 0);
      k1 *= c1;
      k1 = Rotl(k1, 31);
      k1 *= c2;
      h1 ^= k1;
      break;
    default:
      break;
  }
  h1 ^= len;
  h2 ^= len;
  h1 += h2;
  h2 += h1;
  h1 = Fmix(h1);
  h2 = Fmix(h2);
  h1 += h2;
  int64_t token = static_cast<int64_t>(h1);
  return token == INT64_MIN ? INT64_MAX : token;
}

std::string CompositePartitionKey(const std::vector<std::string_view>& components) {
  if (components.size() == 1) return std::string(components[0]);
  std::string out;
  size_t total = 0;
  for (auto c : components) total += c.size() + 3;
  out.reserve(total);
  for (auto c : components) {
    assert(c.size() <= 0xFFFF && "partition key component longer than 65535 bytes");
    out.push_back(static_cast<char>(c.size() >> 8));
    out.push_back(static_cast<char>(c.size()));
    out.append(c);
    out.push_back('\0');
  }
  return out;
}

}  // namespace postfork::cql
