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
