#include "node/java_hash_order.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

namespace postfork::node {
namespace {

// Java's String.hashCode over the UTF-16 code units of `s` (UTF-8).
uint32_t JavaStringHash(std::string_view s) {
  uint32_t h = 0;
  auto add = [&](uint32_t unit) { h = 31 * h + unit; };
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    uint32_t cp = b;
    size_t len = 1;
    if (b >= 0xF0) {
      cp = b & 0x07;
      len = 4;
    } else if (b >= 0xE0) {
      cp = b & 0x0F;
      len = 3;
    } else if (b >= 0xC0) {
      cp = b & 0x1F;
      len = 2;
    }
    for (size_t k = 1; k < len && i + k < s.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    } else {
      add(cp);
    }
  }
  return h;
}

}  // namespace

std::vector<std::string> JavaHashOrder(const std::vector<std::string>& keys) {
  size_t buckets = 16;
  while (keys.size() > buckets * 3 / 4) buckets *= 2;
  std::vector<std::pair<size_t, size_t>> order;  // (bucket, insertion index)
  order.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const uint32_t h = JavaStringHash(keys[i]);
    order.emplace_back((h ^ (h >> 16)) & (buckets - 1), i);
  }
  std::sort(order.begin(), order.end());
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& [bucket, i] : order) out.push_back(keys[i]);
  return out;
}

std::string JavaHashSetText(const std::vector<std::string>& keys) {
  std::string out = "[";
  for (const std::string& k : JavaHashOrder(keys)) {
    if (out.size() > 1) out += ", ";
    out += k;
  }
  return out + "]";
}

}  // namespace postfork::node
