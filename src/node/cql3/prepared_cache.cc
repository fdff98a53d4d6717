#include "node/cql3/prepared_cache.h"

#include <openssl/evp.h>

namespace postfork::node::cql3 {

std::string PreparedCache::ComputeId(std::string_view query, std::string_view keyspace) {
  std::string input;
  input.reserve(keyspace.size() + query.size());
  input.append(keyspace);
  input.append(query);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), digest, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::shared_ptr<PreparedEntry> PreparedCache::Find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

std::shared_ptr<PreparedEntry> PreparedCache::Insert(std::shared_ptr<PreparedEntry> entry) {
  std::unique_lock lock(mu_);
  if (entries_.size() >= max_entries_) entries_.clear();
  std::string id = entry->id;
  entries_[id] = entry;
  return entry;
}

size_t PreparedCache::size() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace postfork::node::cql3
