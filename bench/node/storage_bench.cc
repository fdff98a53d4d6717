// Storage micro benchmarks: Apply and Read of single rows, slices and scan pages, beside raw
// RocksDB Put/Get of the same bytes (the peer: what our encoding and merge semantics cost on
// top), and the generated system_schema.columns read with 1,000 tables (what a driver's schema
// fetch costs). Each reports allocations per operation.
//
//   build/<dir>/bench/node/node_storage_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <random>

#include "node/db/database.h"
#include "node/storage/key_encoding.h"
#include "node/storage/row_cache.h"
#include "node/storage/storage.h"

// Counts heap allocations so each benchmark can report allocations per operation.
static std::atomic<uint64_t> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// GCC cannot tell that these frees match the mallocs in operator new above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace postfork::node {
namespace {

constexpr int kRows = 100000;
constexpr int kRowsPerPartition = 100;

std::string Int(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  return {static_cast<char>(u >> 24), static_cast<char>(u >> 16), static_cast<char>(u >> 8),
          static_cast<char>(u)};
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("pf_storage_bench_" + std::to_string(std::random_device()()));
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

// ks.t (pk int, ck int, a text, b bigint, c text, PRIMARY KEY (pk, ck)), 100 rows a partition,
// ~100 bytes of cell data a row.
struct Fixture {
  TempDir dir;
  std::unique_ptr<Database> db;
  std::shared_ptr<const TableMetadata> table;
  uint32_t a = 0, b = 0, c = 0;
  std::string text_a = std::string(40, 'a');
  std::string text_c = std::string(52, 'c');

  explicit Fixture(int rows) {
    DatabaseOptions options;
    options.storage.data_dir = dir.path();
    auto opened = Database::Open(options);
    if (!opened.ok()) std::abort();
    db = std::move(*opened);
    KeyspaceDefinition ks;
    ks.name = "ks";
    ks.replication = {{"class", "SimpleStrategy"}, {"replication_factor", "1"}};
    if (!db->schema().CreateKeyspace(ks, false).ok()) std::abort();
    TableDefinition def;
    def.keyspace = "ks";
    def.name = "t";
    def.columns = {{"pk", cql::DataType(cql::TypeKind::kInt)},
                   {"ck", cql::DataType(cql::TypeKind::kInt)},
                   {"a", cql::DataType(cql::TypeKind::kText)},
                   {"b", cql::DataType(cql::TypeKind::kBigint)},
                   {"c", cql::DataType(cql::TypeKind::kText)}};
    def.partition_key = {"pk"};
    def.clustering_key = {"ck"};
    if (!db->schema().CreateTable(def, false).ok()) std::abort();
    table = db->schema().snapshot()->FindTable("ks", "t");
    a = table->FindColumn("a")->id;
    b = table->FindColumn("b")->id;
    c = table->FindColumn("c")->id;
    for (int i = 0; i < rows; i += 1000) {
      std::vector<PartitionMutation> batch;
      for (int j = i; j < i + 1000 && j < rows; ++j) batch.push_back(Insert(j, 1));
      if (!db->storage().Apply(batch).ok()) std::abort();
    }
  }

  PartitionMutation Insert(int n, int64_t ts) const {
    PartitionMutation m;
    m.table = table;
    m.partition_key = {Int(n / kRowsPerPartition)};
    RowMutation r;
    r.clustering = {Int(n % kRowsPerPartition)};
    r.marker_timestamp = ts;
    r.cells = {{a, text_a, ts, 0, {}}, {b, std::string(8, 'b'), ts, 0, {}}, {c, text_c, ts, 0, {}}};
    m.rows.push_back(std::move(r));
    return m;
  }

  ReadCommand RowRead(int n) const {
    ReadCommand cmd;
    cmd.table = table;
    cmd.partition_keys = {{Int(n / kRowsPerPartition)}};
    std::string ck = Int(n % kRowsPerPartition);
    cmd.slices = {{{{ck}, true}, {{ck}, true}}};
    cmd.columns = {a, b, c};
    return cmd;
  }
};

void ReportAllocations(benchmark::State& state, uint64_t before) {
  state.counters["allocs/op"] = benchmark::Counter(
      static_cast<double>(g_allocations.load() - before) / static_cast<double>(state.iterations()));
}

void BM_ApplySingleRow(benchmark::State& state) {
  Fixture f(0);
  std::vector<PartitionMutation> batch(1);
  int n = 0;
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    ++n;
    batch[0] = f.Insert(n % kRows, n);
    Status s = f.db->storage().Apply(batch);
    if (!s.ok()) state.SkipWithError(s.message().c_str());
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ApplySingleRow);

void BM_ReadSingleRow(benchmark::State& state) {
  Fixture f(kRows);
  std::mt19937 rng(1);
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    auto r = f.db->storage().Read(f.RowRead(static_cast<int>(rng() % kRows)));
    if (!r.ok() || r->rows.size() != 1) state.SkipWithError("row missing");
    benchmark::DoNotOptimize(r);
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadSingleRow);

// A table without clustering columns (key-value shape): SELECT * FROM kv WHERE pk = ?.
void BM_ReadSingleRowNoClustering(benchmark::State& state) {
  Fixture f(0);
  TableDefinition def;
  def.keyspace = "ks";
  def.name = "kv";
  def.columns = {{"pk", cql::DataType(cql::TypeKind::kInt)},
                 {"a", cql::DataType(cql::TypeKind::kText)},
                 {"b", cql::DataType(cql::TypeKind::kBigint)}};
  def.partition_key = {"pk"};
  if (!f.db->schema().CreateTable(def, false).ok()) std::abort();
  auto kv = f.db->schema().snapshot()->FindTable("ks", "kv");
  uint32_t a = kv->FindColumn("a")->id, b = kv->FindColumn("b")->id;
  for (int i = 0; i < kRows; ++i) {
    PartitionMutation m;
    m.table = kv;
    m.partition_key = {Int(i)};
    RowMutation r;
    r.marker_timestamp = 1;
    r.cells = {{a, f.text_a, 1, 0, {}}, {b, std::string(8, 'b'), 1, 0, {}}};
    m.rows.push_back(std::move(r));
    if (!f.db->storage().Apply({m}).ok()) std::abort();
  }
  std::mt19937 rng(3);
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    ReadCommand cmd;
    cmd.table = kv;
    cmd.partition_keys = {{Int(static_cast<int>(rng() % kRows))}};
    cmd.columns = {a, b};
    auto r = f.db->storage().Read(cmd);
    if (!r.ok() || r->rows.size() != 1) state.SkipWithError("row missing");
    benchmark::DoNotOptimize(r);
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadSingleRowNoClustering);

// The row cache's lookup of a cached partition (a hit), among state.range(0) cached
// single-row partitions, at random: what a hot point read pays to find its image.
void BM_RowCacheHit(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  RowCache cache(size_t{1} << 30);
  std::vector<std::string> prefixes;
  for (int i = 0; i < partitions; ++i) {
    std::vector<std::string> key = {Int(i)};
    std::string prefix = keys::PartitionPrefix(1000, keys::TokenOf(key), key);
    KvImage::Builder builder;
    builder.Add(prefix + keys::kRowSection, std::string(120, 'v'));
    RowCache::Lookup miss = cache.FindPartition(1000, prefix);
    cache.InsertPartition(1000, prefix, builder.Build(), miss.generation);
    prefixes.push_back(std::move(prefix));
  }
  std::mt19937 rng(4);
  for (auto _ : state) {
    RowCache::Lookup found = cache.FindPartition(1000, prefixes[rng() % prefixes.size()]);
    if (!found.image) state.SkipWithError("not cached");
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RowCacheHit)->Arg(1000)->Arg(100000);

// A miss and the fill that follows it (the lookup, then the insertion of a new single-row
// partition, evicting the oldest), in a cache holding about state.range(0) partitions: what a
// point read of an uncached key pays in the cache, besides its RocksDB lookups.
void BM_RowCacheMissAndFill(benchmark::State& state) {
  const int partitions = static_cast<int>(state.range(0));
  std::string value(120, 'v');
  auto prefix_of = [](int i) {
    std::vector<std::string> key = {Int(i)};
    return keys::PartitionPrefix(1000, keys::TokenOf(key), key);
  };
  auto fill = [&](RowCache& cache, const std::string& prefix) {
    RowCache::Lookup found = cache.FindPartition(1000, prefix);
    KvImage::Builder builder;
    builder.Add(prefix + keys::kRowSection, value);
    cache.InsertPartition(1000, prefix, builder.Build(), found.generation);
  };
  // Measured: a full cache holds `partitions` entries.
  RowCache probe(size_t{1} << 30);
  fill(probe, prefix_of(0));
  RowCache cache(probe.stats().bytes * static_cast<size_t>(partitions));
  int next = 0;
  for (; next < partitions; ++next) fill(cache, prefix_of(next));
  std::vector<std::string> prefixes;
  for (int i = 0; i < 100000; ++i) prefixes.push_back(prefix_of(next + i));
  size_t i = 0;
  for (auto _ : state) {
    if (i == prefixes.size()) {  // new keys again
      state.PauseTiming();
      next += static_cast<int>(prefixes.size());
      for (size_t j = 0; j < prefixes.size(); ++j) prefixes[j] = prefix_of(next + static_cast<int>(j));
      i = 0;
      state.ResumeTiming();
    }
    fill(cache, prefixes[i++]);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RowCacheMissAndFill)->Arg(1000)->Arg(100000);

void BM_ReadSlice10Rows(benchmark::State& state) {
  Fixture f(kRows);
  std::mt19937 rng(2);
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    int n = static_cast<int>(rng() % kRows);
    ReadCommand cmd = f.RowRead(n);
    cmd.slices = {{{{Int(n % kRowsPerPartition)}, true}, {{}, true}}};
    cmd.row_limit = 10;
    auto r = f.db->storage().Read(cmd);
    if (!r.ok()) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(r);
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReadSlice10Rows);

void BM_ScanPage100Rows(benchmark::State& state) {
  Fixture f(kRows);
  std::string position;
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    ReadCommand cmd;
    cmd.table = f.table;
    cmd.scan = true;
    cmd.columns = {f.a, f.b, f.c};
    cmd.row_limit = 100;
    cmd.resume_position = position;
    auto r = f.db->storage().Read(cmd);
    if (!r.ok()) state.SkipWithError("scan failed");
    position = r->has_more ? r->resume_position : std::string();
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_ScanPage100Rows);

// The peer: raw RocksDB with keys and values of the same sizes.
struct RawFixture {
  TempDir dir;
  std::unique_ptr<rocksdb::DB> db;
  std::string value = std::string(140, 'v');
  explicit RawFixture(int rows) {
    rocksdb::Options options;
    options.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(options, dir.path(), &raw).ok()) std::abort();
    db.reset(raw);
    for (int i = 0; i < rows; ++i) {
      if (!db->Put(rocksdb::WriteOptions(), Key(i), value).ok()) std::abort();
    }
  }
  static std::string Key(int n) {
    return std::string("\x10\0\0\x03\xe8", 5) + std::string(8, 'k') + Int(n) +
           std::string("\0\1\1", 3);
  }
};

void BM_RawRocksPut(benchmark::State& state) {
  RawFixture f(0);
  int n = 0;
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    if (!f.db->Put(rocksdb::WriteOptions(), RawFixture::Key(n++ % kRows), f.value).ok()) {
      state.SkipWithError("put failed");
    }
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawRocksPut);

void BM_RawRocksGet(benchmark::State& state) {
  RawFixture f(kRows);
  std::mt19937 rng(1);
  std::string value;
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    if (!f.db->Get(rocksdb::ReadOptions(), RawFixture::Key(static_cast<int>(rng() % kRows)), &value)
             .ok()) {
      state.SkipWithError("get failed");
    }
  }
  ReportAllocations(state, before);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawRocksGet);

// system_schema.columns with 1,000 user tables of 5 columns: generated on every read.
void BM_SystemSchemaColumns1000Tables(benchmark::State& state) {
  Fixture f(0);
  for (int i = 0; i < 999; ++i) {
    TableDefinition def;
    def.keyspace = "ks";
    def.name = "t" + std::to_string(i);
    def.columns = {{"pk", cql::DataType(cql::TypeKind::kInt)},
                   {"ck", cql::DataType(cql::TypeKind::kInt)},
                   {"a", cql::DataType(cql::TypeKind::kText)},
                   {"b", cql::DataType(cql::TypeKind::kBigint)},
                   {"c", cql::DataType(cql::TypeKind::kText)}};
    def.partition_key = {"pk"};
    def.clustering_key = {"ck"};
    if (!f.db->schema().CreateTable(def, false).ok()) std::abort();
  }
  auto columns = f.db->schema().snapshot()->FindTable("system_schema", "columns");
  size_t rows = 0;
  uint64_t before = g_allocations.load();
  for (auto _ : state) {
    ReadCommand cmd;
    cmd.table = columns;
    cmd.scan = true;
    for (const auto& c : columns->columns) {
      if (!c.is_primary_key()) cmd.columns.push_back(c.id);
    }
    cmd.row_limit = 5000;  // the python driver's page size
    auto r = f.db->storage().Read(cmd);
    if (!r.ok()) state.SkipWithError("read failed");
    rows = r->rows.size();
  }
  ReportAllocations(state, before);
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_SystemSchemaColumns1000Tables)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace postfork::node

BENCHMARK_MAIN();
