// Helpers shared by the storage and schema unit tests: temporary data directories, tables built
// by hand and big-endian cell bodies.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "node/db/schema.h"
#include "node/storage/storage.h"

namespace postfork::node::testing {

// A fresh directory under the system temp dir, removed with the object.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("pf_node_test_" + std::to_string(rd()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

inline std::string Int(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
          static_cast<char>(u)};
}
inline std::string Bigint(int64_t v) {
  std::string out;
  for (int i = 7; i >= 0; --i)
    out.push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
  return out;
}
inline int32_t AsInt(const std::string& s) {
  EXPECT_EQ(s.size(), 4u);
  if (s.size() != 4) return 0;
  return static_cast<int32_t>((uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) |
                              (uint32_t(uint8_t(s[2])) << 8) | uint32_t(uint8_t(s[3])));
}

struct ColumnSpec {
  std::string name;
  cql::TypeKind type;
  ColumnKind kind;
  ClusteringOrder order = ClusteringOrder::kNone;
};

// Builds a table; key columns get positions in the order given.
inline std::shared_ptr<const TableMetadata> MakeTable(uint32_t storage_id,
                                                      const std::vector<ColumnSpec>& specs) {
  auto t = std::make_shared<TableMetadata>();
  t->keyspace = "ks";
  t->name = "t" + std::to_string(storage_id);
  t->storage_id = storage_id;
  int pk = 0, ck = 0;
  uint32_t id = 0;
  for (const auto& s : specs) {
    ColumnMetadata c;
    c.name = s.name;
    c.type = cql::DataType(s.type);
    c.kind = s.kind;
    c.order = s.order;
    c.id = id++;
    if (s.kind == ColumnKind::kPartitionKey) c.position = pk++;
    if (s.kind == ColumnKind::kClustering) c.position = ck++;
    t->columns.push_back(c);
  }
  t->Finish();
  return t;
}

inline uint32_t ColumnId(const TableMetadata& t, const std::string& name) {
  const ColumnMetadata* c = t.FindColumn(name);
  EXPECT_NE(c, nullptr) << name;
  return c == nullptr ? 0 : c->id;
}

}  // namespace postfork::node::testing
