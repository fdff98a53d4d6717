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
std::string CompositePartitionKey(const std::vector<std::string_view>& components);

}  // namespace postfork::cql
