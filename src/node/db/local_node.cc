// The local node's host id and tokens (local_node.h).
#include "node/db/local_node.h"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include "node/db/schema_codec.h"
#include "node/storage/storage.h"
#include "node/timestamp.h"

namespace postfork::node {
namespace {

constexpr std::string_view kHostIdKey = "local/host_id";
constexpr std::string_view kTokensKey = "local/tokens";

}  // namespace

cql::Uuid RandomUuid() {
  cql::Uuid id;
  if (RAND_bytes(id.bytes.data(), static_cast<int>(id.bytes.size())) != 1) {
    // The OpenSSL RNG failing is not recoverable here; fall back to the clock for uniqueness.
    int64_t now = NowMicros();
    std::memcpy(id.bytes.data(), &now, sizeof(now));
  }
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0F) | 0x40);  // version 4
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3F) | 0x80);
  return id;
}

Result<LocalNodeState> LoadLocalNodeState(Storage* storage, const NodeIdentity& identity) {
  LocalNodeState local;
  local.gossip_generation = static_cast<int32_t>(NowMicros() / 1000000);
  PF_ASSIGN_OR_RETURN(auto host_id, storage->GetMeta(kHostIdKey));
  PF_ASSIGN_OR_RETURN(auto tokens, storage->GetMeta(kTokensKey));
  if (host_id || tokens) {
    // A node that has its identity keeps it: a damaged one is an error, never a new identity.
    if (!host_id || host_id->size() != 16) {
      return InRecord(kHostIdKey, CorruptSchema(host_id ? "not a 16-byte host id" : "missing"));
    }
    if (!tokens) return InRecord(kTokensKey, CorruptSchema("missing"));
    std::memcpy(local.host_id.bytes.data(), host_id->data(), 16);
    std::string_view rest = *tokens;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view token = rest.substr(0, comma);
      int64_t parsed = 0;
      auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), parsed);
      if (ec != std::errc() || end != token.data() + token.size() || token.empty()) {
        return InRecord(kTokensKey, CorruptSchema("not a token: " + Printable(token)));
      }
      local.tokens.emplace_back(token);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (local.tokens.empty()) return InRecord(kTokensKey, CorruptSchema("no tokens"));
    return local;
  }
  local.host_id = RandomUuid();
  for (int i = 0; i < identity.num_tokens; ++i) {
    int64_t token;
    cql::Uuid random = RandomUuid();
    std::memcpy(&token, random.bytes.data(), sizeof(token));
    if (token == INT64_MIN) token = 0;  // the minimum token is not a valid node token
    local.tokens.push_back(std::to_string(token));
  }
  // A set<text> is ordered by its elements' bytes, as Cassandra returns it.
  std::sort(local.tokens.begin(), local.tokens.end());
  std::string joined;
  for (const auto& t : local.tokens) {
    if (!joined.empty()) joined += ',';
    joined += t;
  }
  PF_RETURN_IF_ERROR(storage->WriteMeta(
      {{std::string(kHostIdKey),
        std::string(reinterpret_cast<const char*>(local.host_id.bytes.data()), 16)},
       {std::string(kTokensKey), joined}}));
  return local;
}

}  // namespace postfork::node
