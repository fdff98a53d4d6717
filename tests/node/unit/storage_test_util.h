// Helpers shared by the storage and schema unit tests: temporary data directories, tables built
// by hand and big-endian cell bodies.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
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

// Storage on `dir` with default options.
inline Result<std::unique_ptr<Storage>> OpenStorage(const std::string& dir) {
  StorageOptions options;
  options.data_dir = dir;
  return Storage::Open(options);
}

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

// Collects what a RowSink receives as owned rows (CellValue::elements stay empty).
class CollectingSink final : public RowSink {
 public:
  void Row(const RowView& row) override {
    ReadRow& r = rows.emplace_back();
    r.partition_key = row.partition_key;
    r.clustering = row.clustering;
    for (const RowCellView& c : row.cells) {
      if (!c.present) {
        r.cells.emplace_back();
        continue;
      }
      CellValue v;
      v.value = std::string(c.value);
      v.timestamp = c.timestamp;
      v.ttl = c.ttl;
      r.cells.push_back(std::move(v));
    }
  }
  std::vector<ReadRow> rows;
};

// Storage::Read, checking that the same command read through a RowSink hands over the same
// rows (keys, cell values, timestamps, TTLs), row count and paging position.
inline Result<ReadResult> ReadChecked(const Storage& storage, const ReadCommand& command) {
  auto plain = storage.Read(command);
  ReadCommand with_sink = command;
  CollectingSink sink;
  with_sink.sink = &sink;
  auto streamed = storage.Read(with_sink);
  EXPECT_EQ(plain.ok(), streamed.ok());
  if (!plain.ok() || !streamed.ok()) return plain;
  EXPECT_TRUE(streamed->rows.empty());
  EXPECT_EQ(plain->row_count, static_cast<int64_t>(plain->rows.size()));
  EXPECT_EQ(streamed->row_count, static_cast<int64_t>(sink.rows.size()));
  EXPECT_EQ(plain->has_more, streamed->has_more);
  EXPECT_EQ(plain->resume_position, streamed->resume_position);
  EXPECT_EQ(plain->rows.size(), sink.rows.size());
  for (size_t i = 0; i < std::min(plain->rows.size(), sink.rows.size()); ++i) {
    const ReadRow& a = plain->rows[i];
    const ReadRow& b = sink.rows[i];
    EXPECT_EQ(a.partition_key, b.partition_key) << "row " << i;
    EXPECT_EQ(a.clustering, b.clustering) << "row " << i;
    EXPECT_EQ(a.cells.size(), b.cells.size()) << "row " << i;
    for (size_t c = 0; c < std::min(a.cells.size(), b.cells.size()); ++c) {
      EXPECT_EQ(a.cells[c].has_value(), b.cells[c].has_value()) << "row " << i << " cell " << c;
      if (!a.cells[c] || !b.cells[c]) continue;
      EXPECT_EQ(a.cells[c]->value, b.cells[c]->value) << "row " << i << " cell " << c;
      EXPECT_EQ(a.cells[c]->timestamp, b.cells[c]->timestamp) << "row " << i << " cell " << c;
      EXPECT_EQ(a.cells[c]->ttl, b.cells[c]->ttl) << "row " << i << " cell " << c;
    }
  }
  return plain;
}

inline uint32_t ColumnId(const TableMetadata& t, const std::string& name) {
  const ColumnMetadata* c = t.FindColumn(name);
  EXPECT_NE(c, nullptr) << name;
  return c == nullptr ? 0 : c->id;
}

}  // namespace postfork::node::testing
