// Arbitrary bytes as request frames, decoded and run through the query processor on a real
// (temporary) database, as the transport does: decoding errors and bad statements must become
// error responses, never crashes. The first frame's version byte (3 or 4, else 5) is the
// connection's protocol version, as on a real connection, so v3 and v5 layouts (keyspace and
// now_in_seconds flags, result metadata ids) are reached too. Each QUERY and EXECUTE also asks
// whether it is a USE, as the transport does before dispatching it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "node/cql3/query_processor.h"
#include "node/db/database.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"

namespace {

using namespace postfork;
using namespace postfork::node;

struct World {
  std::unique_ptr<Database> db;
  service::NodeMetrics metrics;
  std::unique_ptr<cql3::QueryProcessor> processor;
};

std::string g_data_dir;

World* MakeWorld() {
  char dir[] = "/tmp/fuzz_node_request.XXXXXX";
  if (!mkdtemp(dir)) std::abort();
  g_data_dir = dir;
  // The database stays open until exit; its directory goes with it.
  std::atexit([] {
    std::error_code ec;
    std::filesystem::remove_all(g_data_dir, ec);
  });
  DatabaseOptions options;
  options.storage.data_dir = dir;
  auto db = Database::Open(std::move(options));
  if (!db.ok()) std::abort();
  auto* w = new World;
  w->db = std::move(*db);
  w->processor = std::make_unique<cql3::QueryProcessor>(w->db.get(), &w->metrics);
  // A schema for the fuzzer's statements to hit.
  service::ClientState state;
  state.started = true;
  for (const char* q :
       {"CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': "
        "1}",
        "USE ks", "CREATE TABLE t (k int, c text, v blob, s int static, PRIMARY KEY (k, c))"}) {
    cql::QueryMessage m;
    m.query = q;
    w->processor->Query(m, state);
  }
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = MakeWorld();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  service::ClientState state;
  state.started = true;
  state.keyspace = "ks";
  const int first = input.empty() ? 5 : (input[0] & 0x7F);
  const int version = first == 3 || first == 4 ? first : 5;
  state.protocol_version = static_cast<uint8_t>(version);
  while (input.size() >= cql::kFrameHeaderSize) {
    cql::FrameHeader header;
    auto parsed = cql::ParseFrameHeader(input, &header, 1 << 20);
    if (!parsed.ok() || *parsed == cql::HeaderParse::kNeedMore) break;
    size_t total = cql::kFrameHeaderSize + header.length;
    if (input.size() < total) break;
    std::string_view body = input.substr(cql::kFrameHeaderSize, header.length);
    cql::ByteReader r(body);
    input.remove_prefix(total);
    (void)world->processor->IsUseRequest(header.opcode, body);
    switch (header.opcode) {
      case cql::Opcode::kQuery:
        if (auto m = cql::QueryMessage::Decode(r, version); m.ok())
          world->processor->Query(*m, state);
        break;
      case cql::Opcode::kPrepare:
        if (auto m = cql::PrepareMessage::Decode(r, version); m.ok())
          world->processor->Prepare(*m, state);
        break;
      case cql::Opcode::kExecute:
        if (auto m = cql::ExecuteMessage::Decode(r, version); m.ok())
          world->processor->Execute(*m, state);
        break;
      case cql::Opcode::kBatch:
        if (auto m = cql::BatchMessage::Decode(r, version); m.ok())
          world->processor->Batch(*m, state);
        break;
      case cql::Opcode::kStartup:
        (void)cql::StartupMessage::Decode(r);
        break;
      case cql::Opcode::kRegister:
        (void)cql::RegisterMessage::Decode(r);
        break;
      default:
        break;
    }
  }
  return 0;
}
