// The order Java's HashMap and HashSet iterate String keys in, for messages where Cassandra prints
// a HashSet or reports the first of a HashMap's keys: a key's bucket is its String.hashCode
// spread (h ^ h >>> 16) modulo the table size (16, doubled while more than 3/4 full), buckets in
// index order, a bucket's keys in insertion order.
#pragma once

#include <string>
#include <vector>

namespace postfork::node {

// `keys` (distinct, in insertion order) in a default-sized Java HashMap's iteration order.
std::vector<std::string> JavaHashOrder(const std::vector<std::string>& keys);

// A Java Set's toString of `keys` as a HashSet holds them: "[a, b]".
std::string JavaHashSetText(const std::vector<std::string>& keys);

}  // namespace postfork::node
