#include "node/cql3/prepared_cache.h"

#include <openssl/evp.h>

namespace postfork::node::cql3 {
namespace {

std::string Md5(std::string_view input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace

std::string PreparedCache::ComputeId(std::string_view query, std::string_view keyspace) {
  std::string input;
  input.reserve(keyspace.size() + query.size());
  input.append(keyspace);
  input.append(query);
  return Md5(input);
}

std::string PreparedCache::ComputeResultMetadataId(const cql::RowsMetadata& metadata) {
  std::string input;
  for (const auto& c : metadata.columns) {
    input += c.name;
    input.push_back('\0');
    input += c.type.ToCql();
    input.push_back('\0');
    input.push_back('\0');
  }
  return Md5(input);
}

size_t PreparedCache::Weigh(const PreparedEntry& entry) {
  // 5,000 distinct small prepared statements held about 19.5 MB of the node's RSS, some 4 KiB
  // each (AST, checked statement, metadata, map and list nodes); more with longer text and more
  // columns.
  constexpr size_t kOverhead = 3 * 1024;
  constexpr size_t kPerQueryByte = 8;
  constexpr size_t kPerColumn = 256;
  size_t columns = entry.prepared_result_metadata.columns.size();
  if (entry.statement) columns += entry.statement->bind_specs().size();
  return kOverhead + kPerQueryByte * entry.query.size() + entry.keyspace.size() +
         kPerColumn * columns;
}

std::shared_ptr<PreparedEntry> PreparedCache::Find(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return *it->second;
}

void PreparedCache::EraseLocked(Lru::iterator it) {
  weight_ -= (*it)->weight;
  entries_.erase((*it)->id);
  lru_.erase(it);
}

std::shared_ptr<PreparedEntry> PreparedCache::Insert(std::shared_ptr<PreparedEntry> entry) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(entry->id); it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return *it->second;
  }
  if (entry->weight > capacity_bytes_) return entry;
  while (!lru_.empty() && weight_ + entry->weight > capacity_bytes_) {
    EraseLocked(std::prev(lru_.end()));
  }
  weight_ += entry->weight;
  lru_.push_front(entry);
  entries_.emplace(entry->id, lru_.begin());
  return entry;
}

void PreparedCache::Invalidate(std::string_view keyspace, std::string_view table) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    const PreparedEntry& e = **it;
    if (e.statement_keyspace == keyspace && (table.empty() || e.statement_table == table)) {
      EraseLocked(it);
    }
    it = next;
  }
}

size_t PreparedCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

size_t PreparedCache::weight() const {
  std::lock_guard lock(mu_);
  return weight_;
}

}  // namespace postfork::node::cql3
