// Cassandra's Murmur3Partitioner token: MurmurHash3_x64_128 (seed 0) with Cassandra's signed-byte
// tail handling, first 64 bits; Long.MIN_VALUE maps to Long.MAX_VALUE.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postfork::cql {

int64_t Murmur3Token(std::string_view partition_key_bytes);

// The partition key bytes Cassandra hashes: a single-column key's serialized value as is; a
// composite key as, per component, [short] length + bytes + a 0 byte.
// Components must be at most 65535 bytes (Cassandra rejects longer keys): callers check.
// An empty key hashes to 0 here; Cassandra never hashes one (it rejects empty partition keys).
std::string CompositePartitionKey(const std::vector<std::string_view>& components);

}  // namespace postfork::cql
