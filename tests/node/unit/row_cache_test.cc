// The row cache: its images and iterator, invalidation by write batches, the fill race, the
// memory bound; and Storage with the cache against Storage without it on random operations.
#include "node/storage/row_cache.h"

#include <gtest/gtest.h>
#include <rocksdb/write_batch.h>

#include <map>
#include <random>

#include "node/storage/key_encoding.h"
#include "postfork/cql/bytes.h"
#include "storage_test_util.h"

namespace postfork::node {
namespace {

using testing::Int;
using testing::MakeTable;
using testing::TempDir;

std::shared_ptr<const KvImage> Image(const std::map<std::string, std::string>& kv) {
  KvImage::Builder b;
  for (const auto& [k, v] : kv) b.Add(k, v);
  return b.Build();
}

TEST(KvImageIteratorTest, WalksLikeASortedMap) {
  KvImageIterator it;
  it.Reset(Image({{"b", "1"}, {"d", "2"}, {"f", "3"}}));
  it.Seek("a");
  ASSERT_TRUE(it.Valid());
  EXPECT_EQ(it.key(), "b");
  it.Seek("c");
  EXPECT_EQ(it.key(), "d");
  EXPECT_EQ(it.value(), "2");
  it.Next();
  EXPECT_EQ(it.key(), "f");
  it.Next();
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("e");
  EXPECT_EQ(it.key(), "d");
  it.SeekForPrev("d");
  EXPECT_EQ(it.key(), "d");
  it.Prev();
  EXPECT_EQ(it.key(), "b");
  it.Prev();
  EXPECT_FALSE(it.Valid());
  it.SeekForPrev("a");
  EXPECT_FALSE(it.Valid());
  std::string_view v;
  EXPECT_TRUE(*it.Get("f", &v));
  EXPECT_EQ(v, "3");
  EXPECT_FALSE(*it.Get("e", &v));
  it.Reset(Image({}));
  it.Seek("");
  EXPECT_FALSE(it.Valid());
}

uint32_t StorageIdOfPrefix(const std::string& prefix) { return cql::LoadBE32(prefix.data() + 1); }

// A partition prefix of table `id` with token bytes `token` (any 8 bytes) and a key suffix.
std::string Prefix(uint32_t id, char token, std::string_view pk) {
  std::string p = keys::TablePrefix(id);
  p.append(8, token);
  p.append(pk);
  return p;
}

RowCache::Touched TouchedBy(const std::vector<std::string>& merged_keys) {
  rocksdb::WriteBatch batch;
  for (const auto& k : merged_keys) EXPECT_TRUE(batch.Merge(k, "v").ok());
  return RowCache::TouchedBy(batch);
}

TEST(RowCacheTest, AWriteDropsItsPartitionAndItsTablesImageOnly) {
  RowCache cache(1 << 20);
  std::string p1 = Prefix(1000, 'a', "x"), p2 = Prefix(1000, 'b', "y"), p3 = Prefix(1001, 'a', "x");
  for (const auto& p : {p1, p2, p3}) {
    auto found = cache.FindPartition(StorageIdOfPrefix(p), p);
    ASSERT_EQ(found.image, nullptr);
    cache.InsertPartition(StorageIdOfPrefix(p), p, Image({{p + '\0', "h"}}), found.generation);
  }
  auto table = cache.FindTable(1000);
  cache.InsertTable(1000, Image({{p1 + '\0', "h"}, {p2 + '\0', "h"}}), table.generation);
  EXPECT_EQ(cache.stats().entries, 4u);

  RowCache::Touched touched = TouchedBy({p1 + '\1' + "row"});
  cache.BeginWrite(touched);
  cache.EndWrite(touched);
  EXPECT_EQ(cache.FindPartition(1000, p1).image, nullptr);  // the written partition
  EXPECT_EQ(cache.FindTable(1000).image, nullptr);          // the table's image
  EXPECT_NE(cache.FindPartition(1000, p2).image, nullptr);  // another token
  EXPECT_NE(cache.FindPartition(1001, p3).image, nullptr);  // another table
  EXPECT_EQ(cache.stats().invalidations, 2u);
}

TEST(RowCacheTest, ARangeDeleteDropsWholeTablesAndMetadataWritesNothing) {
  RowCache cache(1 << 20);
  std::string p1 = Prefix(1000, 'a', "x"), p2 = Prefix(1001, 'a', "x");
  for (const auto& p : {p1, p2}) {
    auto found = cache.FindPartition(StorageIdOfPrefix(p), p);
    cache.InsertPartition(StorageIdOfPrefix(p), p, Image({}), found.generation);
  }
  rocksdb::WriteBatch meta;
  ASSERT_TRUE(meta.Put(std::string(1, keys::kMetaSpace) + "schema", "x").ok());
  RowCache::Touched touched = RowCache::TouchedBy(meta);
  EXPECT_FALSE(touched.all);
  EXPECT_TRUE(touched.tables.empty() && touched.tokens.empty());

  rocksdb::WriteBatch drop;
  std::string begin = keys::TablePrefix(1000);
  ASSERT_TRUE(drop.DeleteRange(begin, keys::PrefixSuccessor(begin)).ok());
  touched = RowCache::TouchedBy(drop);
  cache.BeginWrite(touched);
  cache.EndWrite(touched);
  EXPECT_EQ(cache.FindPartition(1000, p1).image, nullptr);
  // PrefixSuccessor(TablePrefix(1000)) is TablePrefix(1001): the range's end is exclusive, but
  // the cache drops the end's table too (more than needed, never less).
  EXPECT_EQ(cache.stats().entries, 0u);
}

TEST(RowCacheTest, AFillThatAWriteRacedIsDiscarded) {
  RowCache cache(1 << 20);
  std::string p = Prefix(1000, 'a', "x");
  RowCache::Touched touched = TouchedBy({p + '\0'});

  // Read the generation, then a write runs to its end, then the (older) fill arrives.
  auto found = cache.FindPartition(1000, p);
  cache.BeginWrite(touched);
  cache.EndWrite(touched);
  cache.InsertPartition(1000, p, Image({}), found.generation);
  EXPECT_EQ(cache.FindPartition(1000, p).image, nullptr);
  EXPECT_EQ(cache.stats().fills_discarded, 1u);

  // A fill arriving while a write is in flight is discarded, whatever generation it read.
  found = cache.FindPartition(1000, p);
  cache.BeginWrite(touched);
  auto during = cache.FindPartition(1000, p);
  cache.InsertPartition(1000, p, Image({}), during.generation);
  EXPECT_EQ(cache.FindPartition(1000, p).image, nullptr);
  cache.EndWrite(touched);
  EXPECT_EQ(cache.stats().fills_discarded, 2u);

  // A write to another table does not discard it.
  found = cache.FindPartition(1000, p);
  RowCache::Touched other = TouchedBy({Prefix(1001, 'a', "x") + '\0'});
  cache.BeginWrite(other);
  cache.EndWrite(other);
  cache.InsertPartition(1000, p, Image({}), found.generation);
  EXPECT_NE(cache.FindPartition(1000, p).image, nullptr);
}

TEST(RowCacheTest, EvictsTheOldestUnreadEntryAndRefusesWhatIsTooLarge) {
  RowCache cache(64 * 1024);
  std::string value(2000, 'v');
  std::vector<std::string> prefixes;
  for (int i = 0; i < 100; ++i) {
    std::string p = Prefix(1000, static_cast<char>(i), "k");
    prefixes.push_back(p);
    auto found = cache.FindPartition(1000, p);
    cache.InsertPartition(1000, p, Image({{p + '\0', value}}), found.generation);
    // Keep the first partition hot.
    EXPECT_NE(cache.FindPartition(1000, prefixes[0]).image, nullptr) << i;
  }
  RowCache::Stats s = cache.stats();
  EXPECT_LE(s.bytes, 64u * 1024);
  EXPECT_GT(s.evictions, 0u);
  EXPECT_EQ(cache.FindPartition(1000, prefixes[1]).image, nullptr);  // evicted
  EXPECT_NE(cache.FindPartition(1000, prefixes[99]).image, nullptr);

  // Larger than an entry may be: remembered as too large, so reads do not try again.
  std::string big = Prefix(1000, 'z', "big");
  auto found = cache.FindPartition(1000, big);
  cache.InsertPartition(1000, big, nullptr, found.generation);
  found = cache.FindPartition(1000, big);
  EXPECT_TRUE(found.too_large);
  EXPECT_EQ(found.image, nullptr);

  // A table too large for an image: scans stop trying, its partitions are still cached.
  auto table = cache.FindTable(1001);
  cache.InsertTable(1001, nullptr, table.generation);
  EXPECT_TRUE(cache.FindTable(1001).too_large);
  std::string p = Prefix(1001, 'a', "k");
  found = cache.FindPartition(1001, p);
  EXPECT_FALSE(found.too_large);
  cache.InsertPartition(1001, p, Image({}), found.generation);
  EXPECT_NE(cache.FindPartition(1001, p).image, nullptr);
  // Until the table is written.
  RowCache::Touched touched = TouchedBy({p + '\0'});
  cache.BeginWrite(touched);
  cache.EndWrite(touched);
  EXPECT_FALSE(cache.FindTable(1001).too_large);
}

// ---- Storage with the cache against Storage without it ------------------------------------

class RowCacheStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) {
      StorageOptions options;
      options.data_dir = dirs_[i].path();
      options.clock_micros = [this] { return now_micros_; };
      // A small cache, so that eviction and too-large partitions happen too.
      options.row_cache_bytes = i == 0 ? 0 : 8 * 1024;
      auto s = Storage::Open(options);
      ASSERT_TRUE(s.ok()) << s.status().ToString();
      storages_[i] = std::move(*s);
    }
    table_ = MakeTable(1000, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                              {"ck", cql::TypeKind::kInt, ColumnKind::kClustering},
                              {"v", cql::TypeKind::kInt, ColumnKind::kRegular},
                              {"s", cql::TypeKind::kInt, ColumnKind::kStatic}});
    // Without clustering columns: partitions are filled with point lookups.
    flat_ = MakeTable(1001, {{"pk", cql::TypeKind::kInt, ColumnKind::kPartitionKey},
                             {"v", cql::TypeKind::kInt, ColumnKind::kRegular}});
  }

  void ApplyBoth(const std::vector<PartitionMutation>& m) {
    Status a = storages_[0]->Apply(m), b = storages_[1]->Apply(m);
    ASSERT_EQ(a.ok(), b.ok());
  }

  static std::string Dump(const Result<ReadResult>& r) {
    if (!r.ok()) return "error: " + r.status().ToString();
    std::string out;
    for (const ReadRow& row : r->rows) {
      for (const auto& k : row.partition_key) out += std::to_string(testing::AsInt(k)) + ",";
      out += "|";
      for (const auto& k : row.clustering) out += std::to_string(testing::AsInt(k)) + ",";
      out += "|";
      for (const auto& c : row.cells) {
        out += c ? std::to_string(testing::AsInt(c->value)) + "@" + std::to_string(c->timestamp) +
                       "/" + std::to_string(c->ttl)
                 : "null";
        out += ",";
      }
      out += "\n";
    }
    out += "more=" + std::to_string(r->has_more) + " live=" + std::to_string(r->live_rows) +
           " tombstones=" + std::to_string(r->tombstones);
    return out;
  }

  TempDir dirs_[2];
  std::unique_ptr<Storage> storages_[2];
  std::shared_ptr<const TableMetadata> table_, flat_;
  int64_t now_micros_ = 1'700'000'000'000'000;
};

TEST_F(RowCacheStorageTest, RandomWritesAndReadsAnswerAsWithoutTheCache) {
  std::mt19937 rng(14);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const uint32_t s = table_->FindColumn("s")->id;
  int64_t ts = 1;
  for (int step = 0; step < 6000; ++step) {
    const int op = pick(20);
    // Steps alternate at random between the clustered table and the flat one.
    const bool flat = pick(3) == 0;
    const auto& table = flat ? flat_ : table_;
    const uint32_t vc = table->FindColumn("v")->id;
    if (op < 5) {  // a write of 1-3 partitions (one batch)
      std::vector<PartitionMutation> batch;
      for (int n = pick(3) + 1; n > 0; --n) {
        PartitionMutation m;
        m.table = table;
        m.partition_key = {Int(pick(40))};
        int kind = flat ? 3 + pick(7) : pick(10);
        int64_t at = pick(5) == 0 ? ts - pick(50) : ts;  // sometimes an older timestamp
        if (kind == 0) {
          m.partition_deletion_timestamp = at;
        } else if (kind == 1) {
          RangeTombstone rt;
          rt.start.components = {Int(pick(30))};
          rt.end.components = {Int(pick(30) + 30)};
          rt.timestamp = at;
          m.range_tombstones.push_back(rt);
        } else if (kind == 2) {
          m.static_cells.push_back(CellWrite{s, Int(pick(100)), at, pick(3) == 0 ? 2 : 0, {}});
        } else {
          // Rows, some with TTLs, some deleted, some a cell tombstone; wide partitions (up to
          // 60 rows of one kilobyte-ish) exceed the small cache's largest entry.
          for (int r = pick(4) + 1; r > 0; --r) {
            RowMutation row;
            if (!flat) row.clustering = {Int(pick(60))};
            if (pick(6) == 0) {
              row.deletion_timestamp = at;
            } else {
              if (pick(2) == 0) row.marker_timestamp = at;
              std::optional<std::string> value;
              if (pick(8) != 0) value = Int(pick(1000));
              row.cells.push_back(CellWrite{vc, value, at, pick(4) == 0 ? pick(3) + 1 : 0, {}});
            }
            m.rows.push_back(row);
          }
        }
        batch.push_back(std::move(m));
      }
      ++ts;
      ApplyBoth(batch);
    } else if (op == 8) {
      now_micros_ += 1'000'000 * (pick(3) + 1);  // TTLs expire as time passes
    } else if (op == 9 && pick(20) == 0) {
      ASSERT_TRUE(storages_[0]->DropTableData(table->storage_id).ok());
      ASSERT_TRUE(storages_[1]->DropTableData(table->storage_id).ok());
    } else if (op == 10 && pick(10) == 0) {
      ASSERT_TRUE(storages_[0]->Flush().ok());
      ASSERT_TRUE(storages_[1]->Flush().ok());
    } else {  // a read: partitions or a scan, slices, order, limits, paging
      ReadCommand c;
      c.table = table;
      if (pick(3) == 0) {
        c.scan = true;
        if (pick(4) == 0) c.token_start = TokenBound{static_cast<int64_t>(rng()) << 32, false};
      } else {
        for (int n = pick(3) + 1; n > 0; --n) c.partition_keys.push_back({Int(pick(40))});
      }
      c.columns = pick(2) == 0 || flat ? std::vector<uint32_t>{vc} : std::vector<uint32_t>{vc, s};
      if (flat) {
        // no clustering slices
      } else if (pick(3) == 0) {
        ClusteringSlice slice;
        int a = pick(60), b = a + pick(20);
        slice.start.components = {Int(a)};
        slice.start.inclusive = pick(2) == 0;
        slice.end.components = {Int(b)};
        c.slices.push_back(slice);
      } else if (pick(4) == 0) {
        ClusteringSlice point;
        point.start.components = point.end.components = {Int(pick(60))};
        c.slices.push_back(point);
      }
      c.reversed = pick(4) == 0;
      if (pick(3) == 0) c.row_limit = pick(10) + 1;
      if (pick(5) == 0) c.per_partition_limit = pick(3) + 1;
      c.distinct = c.scan && pick(8) == 0 && c.slices.empty();
      if (c.distinct) c.columns = flat ? std::vector<uint32_t>{} : std::vector<uint32_t>{s};
      Result<ReadResult> a = storages_[0]->Read(c), b = storages_[1]->Read(c);
      ASSERT_EQ(Dump(a), Dump(b)) << "step " << step;
      // Follow the pages to the end.
      for (int page = 0; a.ok() && b.ok() && a->has_more && page < 20; ++page) {
        c.resume_position = a->resume_position;
        ASSERT_EQ(a->resume_position, b->resume_position) << "step " << step;
        a = storages_[0]->Read(c);
        b = storages_[1]->Read(c);
        ASSERT_EQ(Dump(a), Dump(b)) << "step " << step << " page " << page;
      }
    }
  }
  Storage::RowCacheStats stats = storages_[1]->RowCacheCounters();
  SCOPED_TRACE(::testing::Message()
               << "hits " << stats.hits << " misses " << stats.misses << " fills " << stats.fills
               << " evictions " << stats.evictions << " invalidations " << stats.invalidations);
  EXPECT_GT(stats.hits, 500u);
  EXPECT_GT(stats.invalidations, 100u);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(storages_[0]->RowCacheCounters().hits, 0u);
}

}  // namespace
}  // namespace postfork::node
