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

PreparedEntry* PreparedCache::Find(std::string_view id) {
  auto it = entries_.find(std::string(id));
  return it == entries_.end() ? nullptr : it->second.get();
}

PreparedEntry* PreparedCache::Insert(PreparedEntry entry) {
  if (entries_.size() >= max_entries_) entries_.clear();
  std::string id = entry.id;
  auto& slot = entries_[id];
  slot = std::make_unique<PreparedEntry>(std::move(entry));
  return slot.get();
}

}  // namespace postfork::node::cql3
