// Storage: Cassandra's timestamp semantics, key order, slices, scans, paging and durability.
#include "node/storage/storage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <utility>

#if defined(__linux__)
#include <unistd.h>
#endif

#include "node/db/schema.h"
#include "node/storage/key_encoding.h"
#include "postfork/cql/bytes.h"
#include "storage_test_util.h"

namespace postfork::node {
namespace {

using testing::AsInt;
using testing::Int;
using testing::MakeTable;
using testing::TempDir;

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    storage_.reset();
    StorageOptions options;
    options.data_dir = dir_.path();
    options.clock_micros = [this] { return now_micros_; };
    options.sync_mode = sync_mode_;
    options.provoke_write_stalls = provoke_write_stalls_;
    options.flush_nice = flush_nice_;
    options.compaction_nice = compaction_nice_;
    auto s = Storage::Open(options);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }

  // (pk int, ck int, v int, s int static), ck ascending unless told.
  std::shared_ptr<const TableMetadata> Table(ClusteringOrder order = ClusteringOrder::kAsc) {
    return MakeTable(7, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                         {"ck", cql::TypeKind::kInt, ColumnKind::kClustering, order},
                         {"v", cql::TypeKind::kInt, ColumnKind::kRegular},
                         {"s", cql::TypeKind::kInt, ColumnKind::kStatic}});
  }

  PartitionMutation Mutation(int pk) {
    PartitionMutation m;
    m.table = table_;
    m.partition_key = {Int(pk)};
    return m;
  }

  // Partition `pk` of table_ after a reopen: `columns`, within `slices` (none: all rows).
  Result<ReadResult> ReopenAndRead(int pk, std::vector<uint32_t> columns,
                                   std::vector<ClusteringSlice> slices = {}) {
    Reopen();
    ReadCommand c;
    c.table = table_;
    c.partition_keys.push_back({Int(pk)});
    c.columns = std::move(columns);
    c.slices = std::move(slices);
    return testing::ReadChecked(*storage_, c);
  }

  // INSERT INTO t (pk, ck, v) VALUES (...) USING TIMESTAMP ts
  void Insert(int pk, int ck, std::optional<int> v, int64_t ts) {
    PartitionMutation m = Mutation(pk);
    RowMutation r;
    r.clustering = {Int(ck)};
    r.marker_timestamp = ts;
    CellWrite w;
    w.column_id = Id("v");
    if (v) w.value = Int(*v);
    w.timestamp = ts;
    r.cells.push_back(w);
    m.rows.push_back(r);
    ASSERT_TRUE(storage_->Apply({m}).ok());
  }

  // UPDATE t USING TIMESTAMP ts SET v = ... WHERE pk = .. AND ck = ..
  void Update(int pk, int ck, std::optional<int> v, int64_t ts) {
    PartitionMutation m = Mutation(pk);
    RowMutation r;
    r.clustering = {Int(ck)};
    CellWrite w;
    w.column_id = Id("v");
    if (v) w.value = Int(*v);
    w.timestamp = ts;
    r.cells.push_back(w);
    m.rows.push_back(r);
    ASSERT_TRUE(storage_->Apply({m}).ok());
  }

  void DeleteRow(int pk, int ck, int64_t ts) {
    PartitionMutation m = Mutation(pk);
    RowMutation r;
    r.clustering = {Int(ck)};
    r.deletion_timestamp = ts;
    m.rows.push_back(r);
    ASSERT_TRUE(storage_->Apply({m}).ok());
  }

  uint32_t Id(const std::string& name) { return testing::ColumnId(*table_, name); }

  ReadCommand Command(std::vector<int> pks = {}) {
    ReadCommand c;
    c.table = table_;
    for (int pk : pks) c.partition_keys.push_back({Int(pk)});
    c.scan = pks.empty();
    c.columns = {Id("v"), Id("s")};
    return c;
  }

  // (ck, v) of every row, v = -1 for null; ck = -1 for a static-only row.
  std::vector<std::pair<int, int>> Rows(const ReadCommand& c) {
    auto r = testing::ReadChecked(*storage_, c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::pair<int, int>> out;
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      int ck = row.clustering.empty() ? -1 : AsInt(row.clustering[0]);
      int v = row.cells[0] ? AsInt(row.cells[0]->value) : -1;
      out.emplace_back(ck, v);
    }
    return out;
  }

  // Bytes of the WAL files in the data directory, as the OS has them.
  uint64_t WalBytes() {
    uint64_t bytes = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      if (entry.path().extension() == ".log") bytes += entry.file_size();
    }
    return bytes;
  }

  TempDir dir_;
  StorageOptions::SyncMode sync_mode_ = StorageOptions::SyncMode::kPeriodic;
  bool provoke_write_stalls_ = false;
  int flush_nice_ = StorageOptions().flush_nice;
  int compaction_nice_ = StorageOptions().compaction_nice;
  int64_t now_micros_ = 1'700'000'000'000'000;
  std::unique_ptr<Storage> storage_;
  std::shared_ptr<const TableMetadata> table_ = Table();
};

using RowList = std::vector<std::pair<int, int>>;

// A secondary index on v (storage id 8): entries written with the rows, lookups in token order,
// stale entries left by overwrites and deletes.
class IndexTest : public StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    auto t = std::make_shared<TableMetadata>(*table_);
    t->indexes.push_back({"v_idx", Id("v"), IndexTarget::kSimple, 8, {}, {}});
    table_ = t;
  }

  // The lookup of v = value; `recheck`: drop rows whose v is not `value` (what SELECT does).
  ReadCommand Lookup(int value, bool recheck = true) {
    ReadCommand c = Command();
    c.scan = false;
    c.index = ReadCommand::IndexLookup{8, Id("v"), IndexTarget::kSimple, Int(value), {}};
    if (recheck) {
      c.filter = [value](const ReadRow& row) {
        return row.cells[0] && row.cells[0]->value == Int(value);
      };
    }
    return c;
  }

  // (pk, ck) of every row the command reads.
  std::vector<std::pair<int, int>> Keys(const ReadCommand& c) {
    auto r = testing::ReadChecked(*storage_, c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::pair<int, int>> out;
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      out.emplace_back(AsInt(row.partition_key[0]), AsInt(row.clustering[0]));
    }
    return out;
  }
};

TEST_F(IndexTest, LookupReturnsMatchingRowsInScanOrder) {
  for (int pk = 0; pk < 20; ++pk) {
    Insert(pk, 1, pk % 2, 1000);
    Insert(pk, 2, 5, 1000);
  }
  std::vector<std::pair<int, int>> expected;
  for (const auto& k : Keys(Command())) {
    if (k.second == 2) expected.push_back(k);  // every ck 2 row holds v = 5
  }
  EXPECT_EQ(Keys(Lookup(5)), expected);
  EXPECT_EQ(Keys(Lookup(1)).size(), 10u);
  EXPECT_EQ(Keys(Lookup(42)), (RowList{}));
}

TEST_F(IndexTest, StaleEntriesStayButNeverMatch) {
  Insert(1, 1, 5, 1000);
  Insert(2, 1, 5, 1000);
  Update(1, 1, 7, 2000);  // overwrite: the entry for 5 stays
  EXPECT_EQ(Keys(Lookup(5, /*recheck=*/false)).size(), 2u);
  EXPECT_EQ(Keys(Lookup(5)), (RowList{{2, 1}}));
  EXPECT_EQ(Keys(Lookup(7)), (RowList{{1, 1}}));
  Update(1, 1, 9, 500);  // older than the row's value: its entry points to a row holding 7
  EXPECT_EQ(Keys(Lookup(9)), (RowList{}));
  DeleteRow(2, 1, 3000);  // a deleted row reads as nothing, filter or not
  EXPECT_EQ(Keys(Lookup(5, /*recheck=*/false)), (RowList{{1, 1}}));
  ASSERT_TRUE(storage_->DropTableData(8).ok());  // DROP INDEX
  EXPECT_EQ(Keys(Lookup(7)), (RowList{}));
}

TEST_F(IndexTest, LookupPagesAndRebuilds) {
  for (int pk = 0; pk < 7; ++pk) Insert(pk, pk, 3, 1000);
  std::vector<std::pair<int, int>> paged;
  ReadCommand c = Lookup(3);
  c.row_limit = 2;
  for (int pages = 0; pages < 10; ++pages) {
    auto r = testing::ReadChecked(*storage_, c);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& row : r->rows) {
      paged.emplace_back(AsInt(row.partition_key[0]), AsInt(row.clustering[0]));
    }
    if (!r->has_more) break;
    c.resume_position = r->resume_position;
  }
  EXPECT_EQ(paged, Keys(Lookup(3)));
  EXPECT_EQ(paged.size(), 7u);
  c.resume_position = "\x02garbage";
  EXPECT_FALSE(testing::ReadChecked(*storage_, c).ok());
  // Entries dropped, then built again from the rows.
  ASSERT_TRUE(storage_->DropTableData(8).ok());
  EXPECT_EQ(Keys(Lookup(3)), (RowList{}));
  ASSERT_TRUE(storage_->BuildIndex(table_, table_->indexes[0]).ok());
  EXPECT_EQ(Keys(Lookup(3)), paged);
}

TEST_F(StorageTest, WritesInAWalBatchReachTheOsTogetherAtItsFinish) {
  const uint64_t start = WalBytes();
  Insert(1, 1, 10, 1000);  // outside a batch: in the OS when Apply returns
  const uint64_t one = WalBytes();
  EXPECT_GT(one, start);
  {
    Storage::WalBatch batch(storage_.get());
    Insert(1, 2, 20, 1000);
    Insert(2, 1, 30, 1000);
    EXPECT_EQ(WalBytes(), one);  // buffered, but already readable
    EXPECT_EQ(Rows(Command({1, 2})), (RowList{{1, 10}, {2, 20}, {1, 30}}));
    ASSERT_TRUE(batch.Finish().ok());
    EXPECT_GT(WalBytes(), one);
  }
  EXPECT_EQ(Rows(Command({1, 2})), (RowList{{1, 10}, {2, 20}, {1, 30}}));
  Reopen();
  EXPECT_EQ(Rows(Command({1, 2})), (RowList{{1, 10}, {2, 20}, {1, 30}}));
}

#if defined(__linux__)
// The scheduling policy (proc(5) field 41) and nice value (field 19) of the threads of one of
// RocksDB's pools (rocksdb:high runs flushes, rocksdb:low compactions).
std::vector<std::pair<int, int>> PoolThreadsPolicyAndNice(std::string_view pool) {
  std::vector<std::pair<int, int>> found;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name != pool) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // After "(comm) " come field 3 (state) onwards.
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string field;
    int nice = 0;
    for (int i = 3; i <= 41; ++i) {
      fields >> field;
      if (i == 19) nice = std::stoi(field);
    }
    found.emplace_back(std::stoi(field), nice);
  }
  return found;
}

// StorageOptions::flush_nice and compaction_nice: the thread that ran a flush, and the one that
// ran a compaction, are left in SCHED_OTHER at nice 19 by default, and in SCHED_IDLE when given
// kBackgroundIdle, each pool by its own setting (entering SCHED_IDLE needs no privilege; leaving
// it does, so the defaults come first, and the flush pool is never made idle here: the process's
// later tests flush on it).
TEST_F(StorageTest, FlushesAndCompactionsRunOnThreadsAtTheirPoolsPriority) {
  constexpr std::pair<int, int> kNice19{0, 19};  // (policy, nice)
  constexpr int kSchedIdle = 5;                  // a thread keeps its nice value in it
  Insert(1, 1, 10, 1000);
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->Compact({}).ok());
  EXPECT_GE(std::ranges::count(PoolThreadsPolicyAndNice("rocksdb:high"), kNice19), 1);
  EXPECT_GE(std::ranges::count(PoolThreadsPolicyAndNice("rocksdb:low"), kNice19), 1);

  compaction_nice_ = StorageOptions::kBackgroundIdle;
  Reopen();
  Insert(1, 2, 20, 2000);
  ASSERT_TRUE(storage_->Flush().ok());
  ASSERT_TRUE(storage_->Compact({}).ok());
  EXPECT_GE(std::ranges::count(PoolThreadsPolicyAndNice("rocksdb:high"), kNice19), 1);
  EXPECT_GE(std::ranges::count_if(PoolThreadsPolicyAndNice("rocksdb:low"),
                                  [](const auto& t) { return t.first == kSchedIdle; }),
            1);
}
#endif

TEST_F(StorageTest, WithBatchSyncAWalBatchDefersNoWrite) {
  sync_mode_ = StorageOptions::SyncMode::kBatch;
  Reopen();
  const uint64_t start = WalBytes();
  Storage::WalBatch batch(storage_.get());
  Insert(1, 1, 10, 1000);
  EXPECT_GT(WalBytes(), start);
  EXPECT_TRUE(batch.Finish().ok());
}

TEST_F(StorageTest, UnderNoStallAWriteThatWouldStallIsRefusedHavingWrittenNothing) {
  provoke_write_stalls_ = true;  // a 64 KiB memtable, flushed at 32 KiB/s
  Reopen();
  int refused = -1;
  {
    Storage::NoStall no_stall(storage_.get());
    for (int pk = 0; pk < 100000 && refused < 0; ++pk) {
      PartitionMutation m = Mutation(pk);
      RowMutation r;
      r.clustering = {Int(1)};
      r.marker_timestamp = 1000;
      CellWrite w;
      w.column_id = Id("v");
      w.value = Int(pk);
      w.timestamp = 1000;
      r.cells.push_back(w);
      m.rows.push_back(r);
      const uint64_t wal = WalBytes();
      Status s = storage_->Apply({m});
      if (no_stall.stalled()) {
        EXPECT_FALSE(s.ok());
        EXPECT_EQ(WalBytes(), wal);
        refused = pk;
      } else {
        ASSERT_TRUE(s.ok()) << s.ToString();
      }
    }
  }
  ASSERT_GT(refused, 0) << "no write stalled";
  EXPECT_EQ(Rows(Command({refused - 1})), (RowList{{1, refused - 1}}));
  EXPECT_EQ(Rows(Command({refused})), RowList{});
  // Outside a NoStall the same write waits out the stall and is written.
  Insert(refused, 1, 5, 1000);
  EXPECT_EQ(Rows(Command({refused})), (RowList{{1, 5}}));
}

TEST_F(StorageTest, InsertThenReadReturnsTheRow) {
  Insert(1, 10, 100, 1000);
  EXPECT_EQ(Rows(Command({1})), (RowList{{10, 100}}));
  EXPECT_EQ(Rows(Command({2})), RowList{});
}

TEST_F(StorageTest, NewerTimestampWinsWhateverTheWriteOrder) {
  Insert(1, 1, 5, 2000);
  Update(1, 1, 4, 1000);  // older: ignored
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 5}}));
  Update(1, 1, 6, 3000);
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 6}}));
}

TEST_F(StorageTest, TiesGoToTheDeletionThenToTheGreaterValue) {
  Update(1, 1, 5, 1000);
  Update(1, 1, 7, 1000);
  Update(1, 1, 6, 1000);
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 7}}));
  Update(1, 1, std::nullopt, 1000);  // cell tombstone at the same timestamp
  EXPECT_EQ(Rows(Command({1})), RowList{});
  Update(1, 1, 9, 1000);  // a live write at that timestamp cannot beat the tombstone
  EXPECT_EQ(Rows(Command({1})), RowList{});
}

// Rows whose cells come in column order (encoded from views of the mutation) and rows whose cells
// must be sorted first (built as owned values) are stored alike: TTLs, tombstones, markers and
// row deletions read back the same, before and after the WAL is replayed.
TEST_F(StorageTest, WritesInAndOutOfColumnOrderStoreTheSameRow) {
  table_ = MakeTable(9, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                         {"ck", cql::TypeKind::kInt, ColumnKind::kClustering},
                         {"a", cql::TypeKind::kInt, ColumnKind::kRegular},
                         {"b", cql::TypeKind::kInt, ColumnKind::kRegular},
                         {"c", cql::TypeKind::kInt, ColumnKind::kRegular}});
  auto row = [&](int ck, bool in_order) {
    RowMutation r;
    r.clustering = {Int(ck)};
    r.marker_timestamp = 1000;
    r.marker_ttl = 500;
    CellWrite a{Id("a"), Int(1), 1000, 100, std::nullopt};
    CellWrite b{Id("b"), std::nullopt, 1000, 0, std::nullopt};
    CellWrite c{Id("c"), Int(3), 900, 0, std::nullopt};
    r.cells = in_order ? std::vector<CellWrite>{a, b, c} : std::vector<CellWrite>{c, a, b};
    return r;
  };
  PartitionMutation in_order = Mutation(1);
  in_order.rows = {row(1, true)};
  PartitionMutation out_of_order = Mutation(1);
  out_of_order.rows = {row(2, false)};
  RowMutation deleted;
  deleted.clustering = {Int(3)};
  deleted.deletion_timestamp = 1000;
  PartitionMutation deletion = Mutation(1);
  deletion.rows = {deleted};
  PartitionMutation older = Mutation(1);  // shadowed by the deletion in the same call
  older.rows = {row(3, true)};
  older.rows[0].marker_timestamp = 999;
  for (auto& w : older.rows[0].cells) w.timestamp = 999;
  ASSERT_TRUE(storage_->Apply({in_order, out_of_order, deletion, older}).ok());
  for (bool reopen : {false, true}) {
    if (reopen) Reopen();
    ReadCommand c;
    c.table = table_;
    c.partition_keys.push_back({Int(1)});
    c.columns = {Id("a"), Id("b"), Id("c")};
    auto r = testing::ReadChecked(*storage_, c);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->rows.size(), 2u) << reopen;
    for (const ReadRow& read : r->rows) {
      ASSERT_TRUE(read.cells[0].has_value());
      EXPECT_EQ(AsInt(read.cells[0]->value), 1);
      EXPECT_EQ(read.cells[0]->timestamp, 1000);
      EXPECT_EQ(read.cells[0]->ttl, 100);
      EXPECT_FALSE(read.cells[1].has_value());
      ASSERT_TRUE(read.cells[2].has_value());
      EXPECT_EQ(AsInt(read.cells[2]->value), 3);
      EXPECT_EQ(read.cells[2]->timestamp, 900);
      EXPECT_EQ(read.cells[2]->ttl, 0);
    }
    EXPECT_EQ(AsInt(r->rows[0].clustering[0]), 1);
    EXPECT_EQ(AsInt(r->rows[1].clustering[0]), 2);
  }
}

TEST_F(StorageTest, RowDeletionShadowsOnlyOlderData) {
  Insert(1, 1, 5, 1000);
  DeleteRow(1, 1, 2000);
  EXPECT_EQ(Rows(Command({1})), RowList{});
  Insert(1, 1, 6, 1500);  // older than the delete: stays deleted
  EXPECT_EQ(Rows(Command({1})), RowList{});
  Insert(1, 1, 7, 2500);
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 7}}));
  DeleteRow(1, 1, 2400);  // older than the write: no effect
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 7}}));
}

TEST_F(StorageTest, InsertCreatesAMarkerButUpdateDoesNot) {
  Insert(1, 1, 5, 1000);
  Update(1, 2, 6, 1000);
  Update(1, 1, std::nullopt, 2000);
  Update(1, 2, std::nullopt, 2000);
  // Row 1 lives on through its marker (v null); row 2 had only the cell.
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, -1}}));
}

TEST_F(StorageTest, PartitionDeletionShadowsOlderRowsAndStatics) {
  Insert(1, 1, 5, 1000);
  Insert(1, 2, 6, 3000);
  PartitionMutation m = Mutation(1);
  m.partition_deletion_timestamp = 2000;
  ASSERT_TRUE(storage_->Apply({m}).ok());
  EXPECT_EQ(Rows(Command({1})), (RowList{{2, 6}}));
  Insert(1, 3, 7, 1999);
  EXPECT_EQ(Rows(Command({1})), (RowList{{2, 6}}));
}

TEST_F(StorageTest, RangeTombstoneDeletesOlderRowsInsideItsBoundsOnly) {
  for (int ck = 1; ck <= 6; ++ck) Insert(1, ck, ck * 10, 1000);
  PartitionMutation m = Mutation(1);
  RangeTombstone rt;
  rt.start = {{Int(2)}, false};  // ck > 2
  rt.end = {{Int(5)}, true};     // ck <= 5
  rt.timestamp = 2000;
  m.range_tombstones.push_back(rt);
  ASSERT_TRUE(storage_->Apply({m}).ok());
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 10}, {2, 20}, {6, 60}}));
  Insert(1, 4, 44, 3000);  // newer: visible again
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 10}, {2, 20}, {4, 44}, {6, 60}}));
}

TEST_F(StorageTest, ClusteringOrderFollowsTypeAndDirection) {
  for (int ck : {5, -3, 0, 100, -100, 7}) Insert(1, ck, ck, 1000);
  EXPECT_EQ(Rows(Command({1})),
            (RowList{{-100, -100}, {-3, -3}, {0, 0}, {5, 5}, {7, 7}, {100, 100}}));
  auto reversed = Command({1});
  reversed.reversed = true;
  EXPECT_EQ(Rows(reversed), (RowList{{100, 100}, {7, 7}, {5, 5}, {0, 0}, {-3, -3}, {-100, -100}}));

  table_ =
      MakeTable(8, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                    {"ck", cql::TypeKind::kInt, ColumnKind::kClustering, ClusteringOrder::kDesc},
                    {"v", cql::TypeKind::kInt, ColumnKind::kRegular},
                    {"s", cql::TypeKind::kInt, ColumnKind::kStatic}});
  for (int ck : {5, -3, 0, 100, -100, 7}) Insert(1, ck, ck, 1000);
  EXPECT_EQ(Rows(Command({1})),
            (RowList{{100, 100}, {7, 7}, {5, 5}, {0, 0}, {-3, -3}, {-100, -100}}));
  // Slices are in declared (descending) order: from 7 down to 0 exclusive.
  auto slice = Command({1});
  slice.slices.push_back({{{Int(7)}, true}, {{Int(0)}, false}});
  EXPECT_EQ(Rows(slice), (RowList{{7, 7}, {5, 5}}));
}

TEST_F(StorageTest, SlicesHonourInclusiveAndExclusiveBounds) {
  for (int ck = 1; ck <= 9; ++ck) Insert(1, ck, ck, 1000);
  auto c = Command({1});
  c.slices.push_back({{{Int(2)}, false}, {{Int(4)}, true}});  // 2 < ck <= 4
  c.slices.push_back({{{Int(7)}, true}, {{}, true}});         // ck >= 7
  EXPECT_EQ(Rows(c), (RowList{{3, 3}, {4, 4}, {7, 7}, {8, 8}, {9, 9}}));
  c.reversed = true;
  EXPECT_EQ(Rows(c), (RowList{{9, 9}, {8, 8}, {7, 7}, {4, 4}, {3, 3}}));
  auto eq = Command({1});
  eq.slices.push_back({{{Int(5)}, true}, {{Int(5)}, true}});
  EXPECT_EQ(Rows(eq), (RowList{{5, 5}}));
}

TEST_F(StorageTest, CompositeClusteringPrefixSlices) {
  table_ =
      MakeTable(9, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                    {"a", cql::TypeKind::kText, ColumnKind::kClustering, ClusteringOrder::kAsc},
                    {"b", cql::TypeKind::kInt, ColumnKind::kClustering, ClusteringOrder::kDesc},
                    {"v", cql::TypeKind::kInt, ColumnKind::kRegular}});
  int n = 0;
  for (std::string a : {"b", "a", "ab", ""}) {
    for (int b : {1, 3, 2}) {
      PartitionMutation m = Mutation(1);
      RowMutation r;
      r.clustering = {a, Int(b)};
      r.marker_timestamp = 1;
      r.cells.push_back({Id("v"), Int(n++), 1, 0, {}});
      m.rows.push_back(r);
      ASSERT_TRUE(storage_->Apply({m}).ok());
    }
  }
  ReadCommand c;
  c.table = table_;
  c.partition_keys = {{Int(1)}};
  auto all = testing::ReadChecked(*storage_, c);
  ASSERT_TRUE(all.ok());
  std::vector<std::pair<std::string, int>> keys;
  for (const auto& r : all->rows) keys.emplace_back(r.clustering[0], AsInt(r.clustering[1]));
  std::vector<std::pair<std::string, int>> expected = {{"", 3},   {"", 2},  {"", 1},   {"a", 3},
                                                       {"a", 2},  {"a", 1}, {"ab", 3}, {"ab", 2},
                                                       {"ab", 1}, {"b", 3}, {"b", 2},  {"b", 1}};
  EXPECT_EQ(keys, expected);
  // a = 'a' AND b < 3 (declared order of b is DESC: from after 3 to the end of 'a').
  c.slices.push_back({{{"a", Int(3)}, false}, {{"a"}, true}});
  auto some = testing::ReadChecked(*storage_, c);
  ASSERT_TRUE(some.ok());
  ASSERT_EQ(some->rows.size(), 2u);
  EXPECT_EQ(AsInt(some->rows[0].clustering[1]), 2);
  EXPECT_EQ(AsInt(some->rows[1].clustering[1]), 1);
}

TEST_F(StorageTest, ScanReturnsPartitionsInTokenOrderAndHonoursTokenBounds) {
  for (int pk = 0; pk < 50; ++pk) Insert(pk, 0, pk, 1000);
  auto r = testing::ReadChecked(*storage_, Command());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 50u);
  std::vector<int64_t> tokens;
  for (const auto& row : r->rows) tokens.push_back(keys::TokenOf(row.partition_key));
  EXPECT_TRUE(std::is_sorted(tokens.begin(), tokens.end()));
  // token(pk) > t10 AND token(pk) <= t30
  auto c = Command();
  c.token_start = TokenBound{tokens[10], false};
  c.token_end = TokenBound{tokens[30], true};
  auto part = testing::ReadChecked(*storage_, c);
  ASSERT_TRUE(part.ok());
  ASSERT_EQ(part->rows.size(), 20u);
  EXPECT_EQ(keys::TokenOf(part->rows.front().partition_key), tokens[11]);
  EXPECT_EQ(keys::TokenOf(part->rows.back().partition_key), tokens[30]);
}

// A scan walks partitions with one iterator (no per-partition seek or header lookup): it must
// return exactly what reading each partition by key returns, whatever the partition holds.
TEST_F(StorageTest, ScanEqualsReadingEachPartitionByKey) {
  for (int pk = 0; pk < 40; ++pk) {
    if (pk % 5 != 4) {
      for (int ck = 0; ck < pk % 4; ++ck) Insert(pk, ck, pk * 10 + ck, 1000);
    }
    if (pk % 3 == 0) {  // a header: static cell
      PartitionMutation m = Mutation(pk);
      m.static_cells.push_back(CellWrite{Id("s"), Int(pk), 1000, 0, {}});
      ASSERT_TRUE(storage_->Apply({m}).ok());
    }
    if (pk % 7 == 1) {  // a header: partition deletion shadowing everything
      PartitionMutation m = Mutation(pk);
      m.partition_deletion_timestamp = 2000;
      ASSERT_TRUE(storage_->Apply({m}).ok());
    }
    if (pk % 4 == 2) DeleteRow(pk, 0, 3000);
  }
  std::vector<int> pks;
  auto all = testing::ReadChecked(*storage_, Command());
  ASSERT_TRUE(all.ok());
  for (int pk = 0; pk < 40; ++pk) pks.push_back(pk);
  std::sort(pks.begin(), pks.end(),
            [](int a, int b) { return keys::TokenOf({Int(a)}) < keys::TokenOf({Int(b)}); });
  auto variants = std::vector<std::function<void(ReadCommand&)>>{
      [](ReadCommand&) {},
      [](ReadCommand& c) { c.per_partition_limit = 1; },
      [](ReadCommand& c) {
        c.slices = {ClusteringSlice{{{Int(1)}, true}, {}}};
      },
      [](ReadCommand& c) { c.reversed = true; },
      [](ReadCommand& c) { c.distinct = true; },
  };
  for (size_t v = 0; v < variants.size(); ++v) {
    auto scan = Command();
    variants[v](scan);
    RowList expected;
    for (int pk : pks) {
      auto one = Command({pk});
      variants[v](one);
      for (auto& row : Rows(one)) expected.push_back(row);
    }
    EXPECT_EQ(Rows(scan), expected) << "variant " << v;
    // And page by page, resuming mid-partition and at partition ends.
    RowList paged;
    scan.row_limit = 2;
    for (int pages = 0; pages < 200; ++pages) {
      auto page = testing::ReadChecked(*storage_, scan);
      ASSERT_TRUE(page.ok());
      for (const auto& row : page->rows) {
        paged.emplace_back(row.clustering.empty() ? -1 : AsInt(row.clustering[0]),
                           row.cells[0] ? AsInt(row.cells[0]->value) : -1);
      }
      if (!page->has_more) break;
      scan.resume_position = page->resume_position;
    }
    EXPECT_EQ(paged, expected) << "variant " << v << ", paged";
  }
}

TEST_F(StorageTest, ScanOfATableWithoutClusteringSkipsDeletedAndEmptyPartitions) {
  table_ = MakeTable(8, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                         {"v", cql::TypeKind::kInt, ColumnKind::kRegular}});
  std::vector<int> live;
  for (int pk = 0; pk < 30; ++pk) {
    PartitionMutation m = Mutation(pk);
    RowMutation r;
    r.marker_timestamp = 1000;
    r.cells.push_back(CellWrite{Id("v"), Int(pk), 1000, 0, {}});
    m.rows.push_back(r);
    if (pk % 3 == 0) m.partition_deletion_timestamp = 1000;  // shadows the row (ts <= deletion)
    ASSERT_TRUE(storage_->Apply({m}).ok());
    if (pk % 3 != 0) live.push_back(pk);
  }
  ReadCommand c;
  c.table = table_;
  c.scan = true;
  c.columns = {Id("v")};
  auto r = testing::ReadChecked(*storage_, c);
  ASSERT_TRUE(r.ok());
  std::vector<int> got;
  for (const auto& row : r->rows) got.push_back(AsInt(row.cells[0]->value));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, live);
}

// A dense table's row may be keyed by a clustering prefix: it reads with fewer components, sorts
// before the rows extending it (DESC columns too), survives a reopen, and a range tombstone of
// the prefix deletes it with them. Other tables refuse such a row.
TEST_F(StorageTest, DenseTableRowsKeyedByAClusteringPrefix) {
  auto dense =
      std::make_shared<TableMetadata>(*MakeTable(
          10, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
               {"a", cql::TypeKind::kInt, ColumnKind::kClustering, ClusteringOrder::kDesc},
               {"b", cql::TypeKind::kText, ColumnKind::kClustering, ClusteringOrder::kAsc},
               {"v", cql::TypeKind::kInt, ColumnKind::kRegular}}));
  dense->compact.shape = CompactStorage::Shape::kDense;
  table_ = dense;
  auto write = [&](std::vector<std::string> clustering, int v) {
    PartitionMutation m = Mutation(1);
    RowMutation r;
    r.clustering = std::move(clustering);
    r.cells.push_back({Id("v"), Int(v), 1, 0, {}});
    m.rows.push_back(r);
    return storage_->Apply({m});
  };
  ASSERT_TRUE(write({Int(1), "x"}, 1).ok());
  ASSERT_TRUE(write({Int(1)}, 2).ok());
  ASSERT_TRUE(write({Int(1), ""}, 3).ok());
  ASSERT_TRUE(write({Int(2)}, 4).ok());
  ASSERT_TRUE(write({Int(0), "y"}, 5).ok());
  EXPECT_FALSE(write({}, 6).ok());
  auto values = [&](std::vector<ClusteringSlice> slices) {
    auto read = ReopenAndRead(1, {Id("v")}, std::move(slices));
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    std::vector<std::pair<size_t, int>> out;  // (clustering size, v)
    if (read.ok()) {
      for (const auto& r : read->rows) out.emplace_back(r.clustering.size(), AsInt(r.cells[0]->value));
    }
    return out;
  };
  using Rows = std::vector<std::pair<size_t, int>>;
  EXPECT_EQ(values({}), (Rows{{1, 4}, {1, 2}, {2, 3}, {2, 1}, {2, 5}}));
  // a = 1: the prefix row first; a = 1 AND b > '' starts after (1, '').
  EXPECT_EQ(values({{{{Int(1)}, true}, {{Int(1)}, true}}}), (Rows{{1, 2}, {2, 3}, {2, 1}}));
  EXPECT_EQ(values({{{{Int(1), ""}, false}, {{Int(1)}, true}}}), (Rows{{2, 1}}));
  // DELETE ... WHERE a = 1: the prefix row and the rows extending it.
  PartitionMutation del = Mutation(1);
  del.range_tombstones.push_back({{{Int(1)}, true}, {{Int(1)}, true}, 2});
  ASSERT_TRUE(storage_->Apply({del}).ok());
  EXPECT_EQ(values({}), (Rows{{1, 4}, {2, 5}}));

  table_ = MakeTable(11, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                          {"a", cql::TypeKind::kInt, ColumnKind::kClustering},
                          {"b", cql::TypeKind::kText, ColumnKind::kClustering},
                          {"v", cql::TypeKind::kInt, ColumnKind::kRegular}});
  EXPECT_FALSE(write({Int(1)}, 1).ok());
}

TEST_F(StorageTest, PagingResumesExactlyWhereThePreviousPageStopped) {
  for (int pk = 0; pk < 7; ++pk) {
    for (int ck = 0; ck < 5; ++ck) Insert(pk, ck, pk * 100 + ck, 1000);
  }
  for (bool reversed : {false, true}) {
    auto full_cmd = Command();
    full_cmd.reversed = reversed;
    auto full = testing::ReadChecked(*storage_, full_cmd);
    ASSERT_TRUE(full.ok());
    ASSERT_EQ(full->rows.size(), 35u);
    EXPECT_FALSE(full->has_more);
    for (int page_size : {1, 3, 5, 34}) {
      std::vector<ReadRow> paged;
      std::string position;
      int pages = 0;
      while (true) {
        auto c = Command();
        c.reversed = reversed;
        c.row_limit = page_size;
        c.resume_position = position;
        auto page = testing::ReadChecked(*storage_, c);
        ASSERT_TRUE(page.ok()) << page.status().ToString();
        ASSERT_LE(page->rows.size(), static_cast<size_t>(page_size));
        for (auto& row : page->rows) paged.push_back(row);
        ++pages;
        ASSERT_LT(pages, 100);
        if (!page->has_more) break;
        position = page->resume_position;
      }
      ASSERT_EQ(paged.size(), full->rows.size()) << page_size;
      for (size_t i = 0; i < paged.size(); ++i) {
        EXPECT_EQ(paged[i].partition_key, full->rows[i].partition_key);
        EXPECT_EQ(paged[i].clustering, full->rows[i].clustering);
      }
    }
  }
}

TEST_F(StorageTest, PagingOverAPartitionListAndPerPartitionLimit) {
  for (int pk = 0; pk < 3; ++pk) {
    for (int ck = 0; ck < 4; ++ck) Insert(pk, ck, pk * 10 + ck, 1000);
  }
  auto c = Command({2, 0});
  c.per_partition_limit = 3;
  c.row_limit = 2;
  std::vector<int> values;
  while (true) {
    auto page = testing::ReadChecked(*storage_, c);
    ASSERT_TRUE(page.ok());
    for (const auto& r : page->rows) values.push_back(AsInt(r.cells[0]->value));
    if (!page->has_more) break;
    c.resume_position = page->resume_position;
  }
  EXPECT_EQ(values, (std::vector<int>{20, 21, 22, 0, 1, 2}));
}

TEST_F(StorageTest, DistinctReturnsOneRowPerLivePartition) {
  Insert(1, 1, 1, 1000);
  Insert(1, 2, 2, 1000);
  Insert(2, 1, 1, 1000);
  DeleteRow(2, 1, 2000);
  Insert(3, 1, 1, 1000);
  auto c = Command();
  c.distinct = true;
  auto r = testing::ReadChecked(*storage_, c);
  ASSERT_TRUE(r.ok());
  std::vector<int> pks;
  for (const auto& row : r->rows) pks.push_back(AsInt(row.partition_key[0]));
  std::sort(pks.begin(), pks.end());
  EXPECT_EQ(pks, (std::vector<int>{1, 3}));
}

TEST_F(StorageTest, StaticOnlyPartitionReadsAsOneRowOfStatics) {
  PartitionMutation m = Mutation(1);
  m.static_cells.push_back({Id("s"), Int(42), 1000, 0, {}});
  ASSERT_TRUE(storage_->Apply({m}).ok());
  auto r = testing::ReadChecked(*storage_, Command({1}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_TRUE(r->rows[0].clustering.empty());
  EXPECT_FALSE(r->rows[0].cells[0].has_value());
  ASSERT_TRUE(r->rows[0].cells[1].has_value());
  EXPECT_EQ(AsInt(r->rows[0].cells[1]->value), 42);
  // With rows, each row carries the static value.
  Insert(1, 5, 50, 1000);
  r = testing::ReadChecked(*storage_, Command({1}));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->rows.size(), 1u);
  EXPECT_EQ(AsInt(r->rows[0].clustering[0]), 5);
  EXPECT_EQ(AsInt(r->rows[0].cells[1]->value), 42);
  // A clustering restriction excludes the static-only row.
  Insert(2, 5, 50, 1000);
  DeleteRow(1, 5, 2000);
  auto restricted = Command({1});
  restricted.slices.push_back({{{Int(5)}, true}, {{Int(5)}, true}});
  EXPECT_EQ(Rows(restricted), RowList{});
}

TEST_F(StorageTest, ExpiredCellsAndMarkersDisappear) {
  PartitionMutation m = Mutation(1);
  RowMutation r;
  r.clustering = {Int(1)};
  r.marker_timestamp = 1000;
  r.marker_ttl = 10;
  r.cells.push_back({Id("v"), Int(5), 1000, 10, {}});
  m.rows.push_back(r);
  ASSERT_TRUE(storage_->Apply({m}).ok());
  auto read = testing::ReadChecked(*storage_, Command({1}));
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->rows.size(), 1u);
  EXPECT_EQ(read->rows[0].cells[0]->ttl, 10);
  EXPECT_EQ(read->rows[0].cells[0]->timestamp, 1000);
  now_micros_ += 9'000'000;
  read = testing::ReadChecked(*storage_, Command({1}));
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->rows.size(), 1u);
  EXPECT_EQ(read->rows[0].cells[0]->ttl, 1);
  now_micros_ += 1'000'000;
  EXPECT_EQ(Rows(Command({1})), RowList{});
}

// Cassandra's ReadCommand counts for tombstone_warn/failure_threshold: each dead cell, a deleted
// row without dead cells, both bounds of a range tombstone; nothing purgeable after gc_grace.
TEST_F(StorageTest, CountsScannedTombstonesAndStopsPastTheFailureThreshold) {
  Insert(1, 1, 5, 1000);             // live
  Update(1, 2, std::nullopt, 1000);  // only a cell tombstone: one
  DeleteRow(1, 3, 1000);             // a deleted row: one
  Insert(1, 4, std::nullopt, 1000);  // live through its marker, with a cell tombstone: one
  PartitionMutation m = Mutation(1);
  RangeTombstone rt;
  rt.start = {{Int(10)}, false};
  rt.end = {{Int(20)}, true};
  rt.timestamp = 1000;
  m.range_tombstones.push_back(rt);  // two bounds
  ASSERT_TRUE(storage_->Apply({m}).ok());
  auto read = storage_->Read(Command({1}));
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->live_rows, 2);
  EXPECT_EQ(read->tombstones, 5);
  EXPECT_EQ(read->last_token, keys::TokenOf({Int(1)}));
  // A row deleted over its own deleted cell counts the cell only; a shadowed cell not at all.
  Update(1, 5, std::nullopt, 1000);
  DeleteRow(1, 5, 900);
  Update(1, 6, std::nullopt, 800);
  DeleteRow(1, 6, 900);
  read = storage_->Read(Command({1}));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->tombstones, 7);
  ReadCommand limited = Command({1});
  limited.tombstone_failure_threshold = 6;
  read = storage_->Read(limited);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kTooLarge);
  // Past gc_grace_seconds (864000 by default) every tombstone is purgeable.
  now_micros_ += int64_t{864'001} * 1'000'000;
  read = storage_->Read(limited);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->tombstones, 0);
  EXPECT_EQ(read->live_rows, 2);
}

TEST_F(StorageTest, RowsHandedToASinkEqualTheReadRowsPageByPage) {
  // Statics, TTLs, row and partition deletions, a range tombstone, rows without a marker: each
  // page read through a RowSink (testing::ReadChecked) must equal the rows Read builds.
  for (int pk = 0; pk < 6; ++pk) {
    for (int ck = 0; ck < 4; ++ck) Insert(pk, ck, pk * 10 + ck, 1000);
  }
  PartitionMutation statics = Mutation(1);
  statics.static_cells.push_back({Id("s"), Int(7), 1000, 0, {}});
  ASSERT_TRUE(storage_->Apply({statics}).ok());
  PartitionMutation static_only = Mutation(9);
  static_only.static_cells.push_back({Id("s"), Int(9), 1000, 30, {}});
  ASSERT_TRUE(storage_->Apply({static_only}).ok());
  PartitionMutation ttl = Mutation(2);
  RowMutation expiring;
  expiring.clustering = {Int(1)};
  expiring.cells.push_back({Id("v"), Int(99), 2000, 60, {}});
  ttl.rows.push_back(expiring);
  ASSERT_TRUE(storage_->Apply({ttl}).ok());
  Update(3, 9, 39, 1500);  // no marker
  DeleteRow(3, 0, 2000);
  PartitionMutation deleted = Mutation(4);
  deleted.partition_deletion_timestamp = 2000;
  ASSERT_TRUE(storage_->Apply({deleted}).ok());
  PartitionMutation range = Mutation(5);
  range.range_tombstones.push_back({{{Int(1)}, true}, {{Int(2)}, true}, 2000});
  ASSERT_TRUE(storage_->Apply({range}).ok());
  now_micros_ += 5'000'000;

  ReadCommand all = Command();
  auto whole = testing::ReadChecked(*storage_, all);
  ASSERT_TRUE(whole.ok());
  // 24 rows, + the static-only row and the row without marker, - the deleted row, partition
  // and range.
  EXPECT_EQ(whole->row_count, 24 + 1 + 1 - 1 - 4 - 2);
  ReadCommand page = Command();
  page.row_limit = 2;
  int64_t total = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = testing::ReadChecked(*storage_, page);
    ASSERT_TRUE(r.ok());
    total += r->row_count;
    if (!r->has_more) break;
    page.resume_position = r->resume_position;
  }
  EXPECT_EQ(total, whole->row_count);
  ReadCommand partitions = Command({1, 2, 3, 9});
  partitions.reversed = true;
  partitions.per_partition_limit = 3;
  EXPECT_TRUE(testing::ReadChecked(*storage_, partitions).ok());
}

TEST_F(StorageTest, MaximumTtlDoesNotOverflowAndLargerTtlsAreRejected) {
  now_micros_ = int64_t{2'100'000'000} * 1'000'000;  // 2036: now + 20 years passes 2038
  PartitionMutation m = Mutation(1);
  RowMutation r;
  r.clustering = {Int(1)};
  r.marker_timestamp = 1000;
  r.marker_ttl = 630720000;
  r.cells.push_back({Id("v"), Int(5), 1000, 630720000, {}});
  m.rows.push_back(r);
  ASSERT_TRUE(storage_->Apply({m}).ok());
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 5}}));
  m.rows[0].cells[0].ttl = 630720001;
  Status s = storage_->Apply({m});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

TEST_F(StorageTest, FilterDropsRowsBeforeTheLimitCountsThem) {
  for (int ck = 0; ck < 10; ++ck) Insert(1, ck, ck, 1000);
  auto c = Command({1});
  c.row_limit = 2;
  c.filter = [](const ReadRow& row) { return row.cells[0] && AsInt(row.cells[0]->value) >= 6; };
  EXPECT_EQ(Rows(c), (RowList{{6, 6}, {7, 7}}));
}

TEST_F(StorageTest, DataSurvivesReopen) {
  Insert(1, 1, 11, 1000);
  Insert(2, 2, 22, 1000);
  DeleteRow(2, 2, 2000);
  ASSERT_TRUE(storage_->PutMeta("k", "v").ok());
  Reopen();
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 11}}));
  EXPECT_EQ(Rows(Command({2})), RowList{});
  auto meta = storage_->GetMeta("k");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(*meta, std::optional<std::string>("v"));
}

TEST_F(StorageTest, DropTableDataRemovesOnlyThatTable) {
  Insert(1, 1, 11, 1000);
  auto other = table_;
  table_ = MakeTable(99, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                          {"ck", cql::TypeKind::kInt, ColumnKind::kClustering},
                          {"v", cql::TypeKind::kInt, ColumnKind::kRegular},
                          {"s", cql::TypeKind::kInt, ColumnKind::kStatic}});
  Insert(1, 1, 12, 1000);
  ASSERT_TRUE(storage_->DropTableData(99).ok());
  EXPECT_EQ(Rows(Command({1})), RowList{});
  table_ = other;
  EXPECT_EQ(Rows(Command({1})), (RowList{{1, 11}}));
}

TEST_F(StorageTest, BadInputIsRejectedWithoutSideEffects) {
  PartitionMutation m = Mutation(1);
  m.partition_key.push_back(Int(2));  // one component too many
  Status s = storage_->Apply({m});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);

  PartitionMutation good = Mutation(1);
  RowMutation r;
  r.clustering = {Int(1)};
  r.marker_timestamp = 1;
  good.rows.push_back(r);
  PartitionMutation bad = Mutation(2);
  RowMutation br;
  br.clustering = {"xyz"};  // not 4 bytes
  br.marker_timestamp = 1;
  bad.rows.push_back(br);
  EXPECT_FALSE(storage_->Apply({good, bad}).ok());
  EXPECT_EQ(Rows(Command({1})), RowList{});  // the batch is all or nothing

  auto c = Command({1});
  for (std::string garbage : {std::string("x"), std::string(40, '\x01'), std::string()}) {
    c.resume_position = garbage;
    if (garbage.empty()) continue;
    auto read = testing::ReadChecked(*storage_, c);
    EXPECT_FALSE(read.ok());
  }
}

}  // namespace
}  // namespace postfork::node

namespace postfork::node {
namespace {

// Non-frozen collections stored element by element.
class CollectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::OpenStorage(dir_.path());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
    auto t = std::make_shared<TableMetadata>();
    t->keyspace = "ks";
    t->name = "c";
    t->storage_id = 11;
    auto add = [&](std::string name, cql::DataType type, ColumnKind kind, int position) {
      ColumnMetadata c;
      c.name = std::move(name);
      c.type = std::move(type);
      c.kind = kind;
      c.position = position;
      c.id = static_cast<uint32_t>(t->columns.size());
      t->columns.push_back(std::move(c));
    };
    add("pk", cql::DataType(cql::TypeKind::kInt), ColumnKind::kPartitionKey, 0);
    add("l", cql::DataType::List(cql::DataType(cql::TypeKind::kInt)), ColumnKind::kRegular, -1);
    add("s", cql::DataType::Set(cql::DataType(cql::TypeKind::kText)), ColumnKind::kRegular, -1);
    add("m",
        cql::DataType::Map(cql::DataType(cql::TypeKind::kInt), cql::DataType(cql::TypeKind::kText)),
        ColumnKind::kRegular, -1);
    t->Finish();
    table_ = t;
  }

  // `path` none: the whole collection (a deletion without a value).
  void Write(const std::string& column, std::optional<std::string> path,
             std::optional<std::string> value, int64_t ts) {
    PartitionMutation m;
    m.table = table_;
    m.partition_key = {Int(1)};
    RowMutation r;
    r.cells.push_back({table_->FindColumn(column)->id, std::move(value), ts, 0, std::move(path)});
    m.rows.push_back(r);
    Status s = storage_->Apply({m});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The column as a CQL literal, "null" when absent or the row is gone.
  std::string Literal(const std::string& column) {
    const ColumnMetadata* c = table_->FindColumn(column);
    ReadCommand cmd;
    cmd.table = table_;
    cmd.partition_keys = {{Int(1)}};
    cmd.columns = {c->id};
    auto r = testing::ReadChecked(*storage_, cmd);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok() || r->rows.empty() || !r->rows[0].cells[0]) return "null";
    auto v = cql::DeserializeValue(r->rows[0].cells[0]->value, c->type);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? v->ToCqlLiteral(c->type) : "?";
  }

  static std::string TimeUuid(uint32_t time_low) {
    std::string u(16, '\0');
    u[0] = static_cast<char>(time_low >> 24);
    u[1] = static_cast<char>(time_low >> 16);
    u[2] = static_cast<char>(time_low >> 8);
    u[3] = static_cast<char>(time_low);
    u[6] = 0x10;
    u[8] = static_cast<char>(0x80);
    return u;
  }

  TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::shared_ptr<const TableMetadata> table_;
};

TEST_F(CollectionTest, SetElementsReadInTypeOrderAndDeleteIndividually) {
  Write("s", "b", "", 1);
  Write("s", "a", "", 1);
  Write("s", "c", "", 1);
  EXPECT_EQ(Literal("s"), "{'a', 'b', 'c'}");
  Write("s", "b", std::nullopt, 2);
  EXPECT_EQ(Literal("s"), "{'a', 'c'}");
  Write("s", "b", "", 1);  // older than its tombstone
  EXPECT_EQ(Literal("s"), "{'a', 'c'}");
}

TEST_F(CollectionTest, MapKeysOrderByKeyTypeAndOverwriteByTimestamp) {
  Write("m", Int(10), "ten", 1);
  Write("m", Int(-5), "minus five", 1);
  Write("m", Int(2), "two", 1);
  Write("m", Int(2), "TWO", 3);
  Write("m", Int(2), "old", 2);
  EXPECT_EQ(Literal("m"), "{-5: 'minus five', 2: 'TWO', 10: 'ten'}");
}

TEST_F(CollectionTest, ListOrdersByTimeuuidPath) {
  Write("l", TimeUuid(300), Int(3), 1);
  Write("l", TimeUuid(100), Int(1), 1);
  Write("l", TimeUuid(200), Int(2), 1);
  EXPECT_EQ(Literal("l"), "[1, 2, 3]");
}

TEST_F(CollectionTest, CollectionDeletionShadowsOlderElementsOnly) {
  Write("s", "a", "", 5);
  Write("s", "b", "", 5);
  // SET s = {'z'} at timestamp 10: delete at 9, then write the new element at 10.
  Write("s", std::nullopt, std::nullopt, 9);
  Write("s", "z", "", 10);
  EXPECT_EQ(Literal("s"), "{'z'}");
  Write("s", "old", "", 8);  // before the deletion: invisible
  EXPECT_EQ(Literal("s"), "{'z'}");
  Write("s", std::nullopt, std::nullopt, 20);  // DELETE s: the row had only this column, so it is gone
  EXPECT_EQ(Literal("s"), "null");
  Write("s", "new", "", 21);
  EXPECT_EQ(Literal("s"), "{'new'}");
}

TEST_F(CollectionTest, WholeValuesAndBadPathsAreRejected) {
  PartitionMutation m;
  m.table = table_;
  m.partition_key = {Int(1)};
  RowMutation r;
  r.cells.push_back({table_->FindColumn("s")->id, std::string("x"), 1, 0, {}});
  m.rows.push_back(r);
  EXPECT_FALSE(storage_->Apply({m}).ok());
  m.rows[0].cells[0] = {table_->FindColumn("m")->id, std::string("v"), 1, 0, "bad"};  // not 4 bytes
  EXPECT_FALSE(storage_->Apply({m}).ok());
  EXPECT_EQ(Literal("m"), "null");
}

// Decimal clustering values equal by value (1230, 1.23E+3) are one row in tables of the
// value-ordered key format, which keep the bytes first written, also after a reopen; tables of
// earlier formats keep the rows they stored apart.
TEST_F(StorageTest, EqualDecimalsAreOneRowFromValueOrderedKeyFormat) {
  auto decimal = [](int32_t scale, std::string unscaled) {
    std::string out;
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(scale >> (8 * i)));
    return out + unscaled;
  };
  const std::string a = decimal(0, std::string("\x04\xce", 2));  // 1230
  const std::string b = decimal(-1, std::string("\x7b", 1));     // 1.23E+3
  for (uint8_t format : {3, 4}) {
    auto t = std::make_shared<TableMetadata>(
        *MakeTable(20 + format,
                   {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                    {"ck", cql::TypeKind::kDecimal, ColumnKind::kClustering, ClusteringOrder::kAsc},
                    {"v", cql::TypeKind::kInt, ColumnKind::kRegular}}));
    t->key_format = format;
    table_ = t;
    for (const auto& [ck, v, ts] : {std::tuple{a, 1, 10}, std::tuple{b, 2, 11}}) {
      PartitionMutation m = Mutation(1);
      RowMutation r;
      r.clustering = {ck};
      r.marker_timestamp = ts;
      CellWrite w;
      w.column_id = Id("v");
      w.value = Int(v);
      w.timestamp = ts;
      r.cells.push_back(w);
      m.rows.push_back(r);
      ASSERT_TRUE(storage_->Apply({m}).ok());
    }
    Reopen();
    ReadCommand c;
    c.table = table_;
    c.partition_keys.push_back({Int(1)});
    c.columns = {Id("v")};
    auto r = testing::ReadChecked(*storage_, c);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (format == 3) {
      ASSERT_EQ(r->rows.size(), 2u);
      EXPECT_EQ(r->rows[0].clustering[0], a);  // the key's bytes order equal values
      EXPECT_EQ(r->rows[1].clustering[0], b);
    } else {
      ASSERT_EQ(r->rows.size(), 1u);
      EXPECT_EQ(r->rows[0].clustering[0], a);
      EXPECT_EQ(AsInt(r->rows[0].cells[0]->value), 2);
      c.slices.push_back({{{b}, true}, {{b}, true}});  // a point read by the other bytes
      r = testing::ReadChecked(*storage_, c);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->rows.size(), 1u);
      EXPECT_EQ(r->rows[0].clustering[0], a);
    }
  }
}

// Adds a regular column of a type MakeTable's kinds do not name (a non-frozen collection).
void AddRegularColumn(TableMetadata* t, std::string name, cql::DataType type, uint32_t id) {
  ColumnMetadata c;
  c.name = std::move(name);
  c.type = std::move(type);
  c.kind = ColumnKind::kRegular;
  c.id = id;
  t->columns.push_back(std::move(c));
}

// From key format 6, booleans 0x01 and 0x02 and all NaN bit patterns are one clustering key and
// one set element, as Cassandra's BooleanType and FloatType/DoubleType compare them: the row keeps
// the clustering first written (also when the first write was canonical and a later one not),
// an element the winning write's bytes; format 5 tables keep them apart.
TEST_F(StorageTest, EqualBooleansAndNaNsAreOneKeyFromFormatSix) {
  const std::string nan_a("\x7f\xf8\0\0\0\0\0\0", 8), nan_b("\xff\xf0\0\0\0\0\0\x01", 8);
  for (uint8_t format : {5, 6}) {
    auto t = std::make_shared<TableMetadata>(*MakeTable(
        60 + format,
        {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
         {"b", cql::TypeKind::kBoolean, ColumnKind::kClustering, ClusteringOrder::kAsc},
         {"d", cql::TypeKind::kDouble, ColumnKind::kClustering, ClusteringOrder::kDesc},
         {"v", cql::TypeKind::kInt, ColumnKind::kRegular}}));
    AddRegularColumn(t.get(), "s", cql::DataType::Set(cql::DataType(cql::TypeKind::kBoolean)), 10);
    t->Finish();
    t->key_format = format;
    table_ = t;
    auto write = [&](std::string b, std::string d, int v, std::optional<std::string> element,
                     int64_t ts) {
      PartitionMutation m = Mutation(1);
      RowMutation r;
      r.clustering = {std::move(b), std::move(d)};
      r.marker_timestamp = ts;
      r.cells.push_back({Id("v"), Int(v), ts, 0, std::nullopt});
      if (element) r.cells.push_back({Id("s"), std::string(), ts, 0, std::move(element)});
      m.rows.push_back(r);
      ASSERT_TRUE(storage_->Apply({m}).ok());
    };
    write("\x02", nan_a, 1, "\x03", 10);
    write("\x01", nan_b, 2, "\x05", 11);  // the same row and element: newer, so its bytes win
    write("\x01", std::string(8, '\0'), 3, std::nullopt, 10);  // canonical first
    write("\x07", std::string(8, '\0'), 4, std::nullopt, 11);
    auto r = ReopenAndRead(1, {Id("v"), Id("s")});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (format == 5) {
      EXPECT_EQ(r->rows.size(), 4u);
      continue;
    }
    // b ASC, then d DESC: NaN sorts above every number.
    ASSERT_EQ(r->rows.size(), 2u);
    EXPECT_EQ(r->rows[0].clustering, (std::vector<std::string>{"\x02", nan_a}));
    EXPECT_EQ(AsInt(r->rows[0].cells[0]->value), 2);
    ASSERT_TRUE(r->rows[0].cells[1].has_value());
    ASSERT_EQ(r->rows[0].cells[1]->elements.size(), 1u);
    EXPECT_EQ(r->rows[0].cells[1]->elements[0].first, "\x05");
    EXPECT_EQ(r->rows[1].clustering, (std::vector<std::string>{"\x01", std::string(8, '\0')}));
    EXPECT_EQ(AsInt(r->rows[1].cells[0]->value), 4);
    // A point read by other bytes of the same values finds the row.
    r = ReopenAndRead(1, {Id("v"), Id("s")},
                      {{{{"\x09", nan_b}, true}, {{"\x09", nan_b}, true}}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->rows.size(), 1u);
    EXPECT_EQ(AsInt(r->rows[0].cells[0]->value), 2);
  }
}

// From key format 7, a tuple that ends early and one whose remaining fields are null are one
// clustering key and one set element (TupleType.compareCustom; a frozen UDT written before
// ALTER TYPE ... ADD): the row keeps the clustering first written, an element the winning
// write's bytes; format 6 tables keep them apart.
TEST_F(StorageTest, TrailingNullFieldsAreOneKeyFromFormatSeven) {
  const cql::DataType tuple = cql::DataType::Tuple(
      {cql::DataType(cql::TypeKind::kInt), cql::DataType(cql::TypeKind::kInt)});
  auto value = [](std::vector<std::optional<int>> fields) {
    std::string out;
    cql::ByteWriter w(&out);
    for (const auto& f : fields) {
      if (f) {
        w.WriteBytes(Int(*f));
      } else {
        w.WriteInt(-1);
      }
    }
    return out;
  };
  const std::string short_one = value({1}), one_null = value({1, std::nullopt});
  for (uint8_t format : {6, 7}) {
    auto t = std::make_shared<TableMetadata>(*MakeTable(
        70 + format, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                      {"c", cql::TypeKind::kInt, ColumnKind::kClustering, ClusteringOrder::kAsc},
                      {"v", cql::TypeKind::kInt, ColumnKind::kRegular}}));
    t->columns[1].type = tuple;
    AddRegularColumn(t.get(), "s", cql::DataType::Set(tuple), 10);
    t->Finish();
    t->key_format = format;
    table_ = t;
    auto write = [&](std::string c, int v, std::string element, int64_t ts) {
      PartitionMutation m = Mutation(1);
      RowMutation r;
      r.clustering = {std::move(c)};
      r.marker_timestamp = ts;
      r.cells.push_back({Id("v"), Int(v), ts, 0, std::nullopt});
      r.cells.push_back({Id("s"), std::string(), ts, 0, std::move(element)});
      m.rows.push_back(r);
      ASSERT_TRUE(storage_->Apply({m}).ok());
    };
    write(short_one, 1, short_one, 10);
    write(one_null, 2, one_null, 11);  // the same row and element: newer, so its bytes win
    write(value({1, 0}), 3, value({1, 0}), 10);
    auto r = ReopenAndRead(1, {Id("v"), Id("s")});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (format == 6) {
      EXPECT_EQ(r->rows.size(), 3u);
      continue;
    }
    ASSERT_EQ(r->rows.size(), 2u);
    EXPECT_EQ(r->rows[0].clustering, std::vector<std::string>{short_one});
    EXPECT_EQ(AsInt(r->rows[0].cells[0]->value), 2);
    ASSERT_TRUE(r->rows[0].cells[1].has_value());
    ASSERT_EQ(r->rows[0].cells[1]->elements.size(), 1u);
    EXPECT_EQ(r->rows[0].cells[1]->elements[0].first, one_null);
    EXPECT_EQ(r->rows[1].clustering, std::vector<std::string>{value({1, 0})});
    // A point read by the other bytes of the same value finds the row.
    r = ReopenAndRead(1, {Id("v")}, {{{{one_null}, true}, {{one_null}, true}}});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->rows.size(), 1u);
    EXPECT_EQ(AsInt(r->rows[0].cells[0]->value), 2);
  }
}

// Set elements and map keys equal by value (1.0, 1.00) are one cell from the value-ordered
// elements key format on: the winning write's bytes are returned (the older on a full tie, as
// Cassandra's memtable keeps the cell it holds), also after a reopen. Tables of earlier formats
// keep the elements they stored apart.
TEST_F(StorageTest, EqualDecimalElementsAreOneCellFromValueOrderedElementsFormat) {
  auto decimal = [](int32_t scale, std::string unscaled) {
    std::string out;
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(scale >> (8 * i)));
    return out + unscaled;
  };
  const std::string one_0 = decimal(1, "\x0a");    // 1.0
  const std::string one_00 = decimal(2, "\x64");   // 1.00
  const std::string one_e0 = decimal(0, "\x01");   // 1
  for (uint8_t format : {4, 5}) {
    auto t = std::make_shared<TableMetadata>(
        *MakeTable(40 + format, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey}}));
    AddRegularColumn(t.get(), "s", cql::DataType::Set(cql::DataType(cql::TypeKind::kDecimal)), 1);
    AddRegularColumn(t.get(), "m",
                     cql::DataType::Map(cql::DataType(cql::TypeKind::kDecimal),
                                        cql::DataType(cql::TypeKind::kInt)),
                     2);
    t->Finish();
    t->key_format = format;
    table_ = t;
    auto write = [&](const std::string& column, std::string path, std::string value, int64_t ts) {
      PartitionMutation pm = Mutation(1);
      RowMutation r;
      r.cells.push_back({Id(column), std::move(value), ts, 0, std::move(path)});
      pm.rows.push_back(r);
      ASSERT_TRUE(storage_->Apply({pm}).ok());
    };
    write("s", one_0, "", 10);
    write("s", one_00, "", 11);  // newer: its bytes win
    write("s", one_e0, "", 11);  // a full tie: the cell held stays
    write("m", one_00, Int(1), 10);
    write("m", one_0, Int(2), 12);
    auto r = ReopenAndRead(1, {Id("s"), Id("m")});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->rows.size(), 1u);
    const CellValue& set = *r->rows[0].cells[0];
    const CellValue& map = *r->rows[0].cells[1];
    if (format == 4) {
      EXPECT_EQ(set.elements.size(), 3u);
      EXPECT_EQ(map.elements.size(), 2u);
      continue;
    }
    ASSERT_EQ(set.elements.size(), 1u);
    EXPECT_EQ(set.elements[0].first, one_00);
    ASSERT_EQ(map.elements.size(), 1u);
    EXPECT_EQ(map.elements[0].first, one_0);
    EXPECT_EQ(AsInt(map.elements[0].second), 2);
    // A deletion by an equal value deletes the element.
    PartitionMutation pm = Mutation(1);
    RowMutation del;
    del.cells.push_back({Id("s"), std::nullopt, 13, 0, one_e0});
    pm.rows.push_back(del);
    ASSERT_TRUE(storage_->Apply({pm}).ok());
    r = ReopenAndRead(1, {Id("s")});
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->rows.empty() || !r->rows[0].cells[0]);
  }
}

// An empty set element or map key is an element, apart from the whole collection's deletion.
TEST_F(CollectionTest, EmptyElementsAreElements) {
  Write("s", "", "", 5);
  Write("s", "a", "", 5);
  EXPECT_EQ(Literal("s"), "{'', 'a'}");
  Write("s", "", std::nullopt, 6);  // deletes the element '' only
  EXPECT_EQ(Literal("s"), "{'a'}");
}

}  // namespace
}  // namespace postfork::node
