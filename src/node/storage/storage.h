// The node's storage engine: CQL partitions and rows on RocksDB with Cassandra's timestamp
// semantics. Synchronous; every method is thread-safe. See storage/README.md for the key layout.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "postfork/base/status.h"

namespace postfork::node {

struct TableMetadata;
struct IndexMetadata;
struct ReadRow;
enum class IndexTarget;

struct StorageOptions {
  std::string data_dir;  // Required. Created if missing.
  // kPeriodic: each write is in RocksDB's WAL (OS-buffered) before Apply returns, or, for a
  // write made inside a Storage::WalBatch, before that batch's Finish returns; an acknowledged
  // write survives a killed process. kBatch: the WAL is fsynced before Apply returns: survives
  // power loss.
  enum class SyncMode { kPeriodic, kBatch };
  SyncMode sync_mode = SyncMode::kPeriodic;  // Default: periodic (Cassandra's default)
  // kPeriodic only: how often a background thread fsyncs the WAL; 0 = never. Default: 10000.
  int periodic_sync_ms = 10000;
  size_t block_cache_bytes = 64u << 20;   // Default: 64 MiB
  size_t write_buffer_bytes = 32u << 20;  // Default: 32 MiB (memtable size)
  // The row cache (storage/README.md, "Row cache"): merged partitions, and whole small tables,
  // kept in memory for reads; 0 = off. Default: 64 MiB.
  size_t row_cache_bytes = 64u << 20;
  // Tests of write stalls: a 64 KiB memtable, flushes and compactions written at 32 KiB/s, and
  // writes slowed down to 16 KiB/s whenever level 0 holds a file (until compaction has emptied
  // it), so RocksDB stalls writes for seconds after every flush.
  bool provoke_write_stalls = false;
  // How flushes and compactions (RocksDB's background threads) are scheduled, so that a request
  // thread sharing their core keeps it while it has work and they run when it waits
  // (storage/README.md, "Background work"). Each is a nice value 1-19, with a 100 µs scheduler
  // slice on Linux 6.12 and later; kBackgroundIdle: SCHED_IDLE, which any waking request thread
  // preempts at once, but which starves while reads saturate the core; or 0: the process's own
  // priority. Set per RocksDB thread pool, as its thread starts its first job: flush_nice on the
  // flush pool (rocksdb:high), compaction_nice on the compaction pools (rocksdb:low, :bottom).
  // A starved flush stops writes within seconds ("N immutable memtables"); a starved compaction
  // lets level-0 files pile up until RocksDB slows and then stops writes. Defaults: 19, 19.
  static constexpr int kBackgroundIdle = 20;
  int flush_nice = 19;
  int compaction_nice = 19;
  // Wall clock in microseconds since the epoch; used for tombstones' local deletion time and TTL
  // expiry. Default: the system clock. Tests inject their own.
  std::function<int64_t()> clock_micros;
};

// ---- writes ------------------------------------------------------------------------------

// One cell write: a value, or a tombstone (value == nullopt) that deletes the column's older data.
struct CellWrite {
  uint32_t column_id = 0;            // ColumnMetadata::id (regular or static column)
  std::optional<std::string> value;  // serialized cell body; nullopt = delete the cell
  int64_t timestamp = 0;             // write time, microseconds
  int32_t ttl = 0;                   // seconds; 0 = never expires
  // Non-frozen collections: the element's path, serialized as its type (list: the element's
  // timeuuid, set: the element, map: the key; it may be empty, as '' in a set<text>); `value` is
  // the element value ("" for sets), or nullopt to delete that element. Without a path and
  // without a value, a write to a non-frozen collection column deletes every element written at
  // or before `timestamp` (what `SET c = ...` does at timestamp - 1 before writing the new
  // elements). None for simple columns.
  std::optional<std::string> path;
};

struct RowMutation {
  std::vector<std::string> clustering;      // serialized components; size = table's clustering size
  std::optional<int64_t> marker_timestamp;  // INSERT creates the row marker; UPDATE does not
  int32_t marker_ttl = 0;
  std::optional<int64_t> deletion_timestamp;  // DELETE of the whole row
  std::vector<CellWrite> cells;               // regular columns
};

// A clustering prefix bound: `components` is a prefix (possibly empty = unbounded) of the
// clustering key, in key order; `inclusive` says whether rows equal on that prefix are inside.
struct ClusteringBound {
  std::vector<std::string> components;
  bool inclusive = true;
};

// Deletes every row whose clustering key lies within [start, end] (bounds in clustering order,
// i.e. start sorts before end in the table's declared order, DESC columns included).
struct RangeTombstone {
  ClusteringBound start;
  ClusteringBound end;
  int64_t timestamp = 0;
};

// Everything one statement (or one batch child) does to one partition.
struct PartitionMutation {
  std::shared_ptr<const TableMetadata> table;
  std::vector<std::string> partition_key;               // serialized components, in key order
  std::optional<int64_t> partition_deletion_timestamp;  // DELETE FROM t WHERE pk = ...
  std::vector<CellWrite> static_cells;                  // static columns
  std::vector<RowMutation> rows;
  std::vector<RangeTombstone> range_tombstones;
};

// ---- reads -------------------------------------------------------------------------------

// A token bound for range scans: token(pk) > token / >= token.
struct TokenBound {
  int64_t token = 0;
  bool inclusive = false;
};

// A slice of clustering keys in the table's declared order ([start, end]); empty bounds are open.
struct ClusteringSlice {
  ClusteringBound start;
  ClusteringBound end;
};

// A live row as views, valid only during RowSink::Row.
struct RowCellView {
  bool present = false;    // false: no live cell (null)
  std::string_view value;  // as CellValue::value
  int64_t timestamp = 0;   // as CellValue::timestamp
  int32_t ttl = 0;         // as CellValue::ttl
};
struct RowView {
  // As ReadRow::partition_key; empty in a scan whose sink does not NeedsPartitionKey().
  const std::vector<std::string>& partition_key;
  const std::vector<std::string>& clustering;     // as ReadRow::clustering
  std::span<const RowCellView> cells;             // aligned with ReadCommand::columns
};

// Receives a read's rows in order as they are found, instead of ReadResult::rows: the read
// then builds no row of its own (stored cells are handed over as views into the engine's
// buffers), so a scan costs no allocation per row. Called on the reading thread.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void Row(const RowView& row) = 0;
  // False lets a scan skip decoding each partition's key (RowView::partition_key is then
  // empty); read by the reader once, before the first row.
  virtual bool NeedsPartitionKey() const { return true; }
};

struct ReadCommand {
  std::shared_ptr<const TableMetadata> table;
  // Either a list of partitions (each a list of serialized components), read in the given order,
  // or (when empty and `scan` is set) a token-ordered range scan.
  std::vector<std::vector<std::string>> partition_keys;
  bool scan = false;
  std::optional<TokenBound> token_start;  // scan only; nullopt = from the first token
  std::optional<TokenBound> token_end;    // scan only; `inclusive` means <=; nullopt = to the end
  // Clustering slices in the table's declared order, non-overlapping and sorted; empty = all
  // rows. A clustering equality is a slice with equal inclusive bounds.
  std::vector<ClusteringSlice> slices;
  bool reversed = false;  // return rows in reverse clustering order within each partition
  // Columns to return (ColumnMetadata::id of static/regular columns); ReadRow::cells is aligned
  // with it. Primary key columns are always returned through partition_key/clustering.
  std::vector<uint32_t> columns;
  int64_t row_limit = INT64_MAX;            // rows returned in this call (page size or LIMIT)
  int64_t per_partition_limit = INT64_MAX;  // PER PARTITION LIMIT
  bool distinct = false;  // SELECT DISTINCT: one row per partition (statics as cells)
  // Rows that fail this are dropped before limits count them (ALLOW FILTERING). Optional.
  std::function<bool(const ReadRow&)> filter;
  // `filter` as Cassandra's RowFilter prints it (cql3's RowFilterCqlText), for the messages that
  // quote the read; storage does not use it.
  std::string filter_text;
  // ReadResult::resume_position of the previous page; empty = from the start.
  std::string resume_position;
  // "Now" in seconds for TTL liveness (a v5 request's now_in_seconds). Default: the clock.
  std::optional<int32_t> now_seconds;

  // A secondary index lookup instead of partition keys or a scan: the rows that the index's
  // entries for `value` point to, in entry order (token, partition key, clustering), each
  // re-read from the table (an entry of a static column's index stands for its whole
  // partition). Entries are never removed by overwrites or deletes, so an entry may point to a
  // row that no longer holds the value: `filter` must re-check the indexed restriction. Token
  // bounds, slices, limits and paging apply as for a scan.
  struct IndexLookup {
    uint32_t storage_id = 0;  // IndexMetadata::storage_id
    uint32_t column_id = 0;
    IndexTarget target{};
    std::string value;      // serialized: the value, element or map key looked up
    std::string map_value;  // kEntries: the map value (`m[key] = value`)
  };
  std::optional<IndexLookup> index;
  // Optional, not owned: rows go to the sink, not to ReadResult::rows (ReadResult::row_count
  // counts them either way). Limits, paging and `filter` apply as without it.
  RowSink* sink = nullptr;
  // Cassandra's tombstone_failure_threshold: once the read has scanned more tombstones
  // (ReadResult::tombstones) it stops with kTooLarge, "Scanned over N tombstones ...".
  // Default: no limit.
  int64_t tombstone_failure_threshold = INT64_MAX;
};

struct CellValue {
  // Serialized cell body. Non-frozen collections: the whole collection serialized as the
  // protocol sends it (elements in the type's order); an empty collection reads as absent.
  std::string value;
  int64_t timestamp = 0;  // writetime(), microseconds (collections: the newest element)
  int32_t ttl = 0;        // remaining seconds for ttl(); 0 = none
  // Non-frozen collections only: the live elements in order, as (path, value) with the path
  // serialized as in CellWrite (list element updates and deletes by index need the paths).
  std::vector<std::pair<std::string, std::string>> elements;
  // Aligned with `elements`: each element's write time and remaining TTL (0 = none), for
  // writetime()/ttl() of elements and of whole non-frozen collections.
  struct ElementTime {
    int64_t timestamp = 0;
    int32_t ttl = 0;
  };
  std::vector<ElementTime> element_times;
};

struct ReadRow {
  std::vector<std::string> partition_key;  // serialized components
  // Serialized components; empty for a static-only row or DISTINCT (clustering columns null).
  std::vector<std::string> clustering;
  std::vector<std::optional<CellValue>> cells;  // aligned with ReadCommand::columns
};

struct ReadResult {
  std::vector<ReadRow> rows;  // empty when ReadCommand::sink took the rows
  int64_t row_count = 0;      // rows returned, to `rows` or to the sink
  // True when the read stopped at row_limit and more rows may follow: pass resume_position
  // back (through the paging_state) to continue.
  bool has_more = false;
  std::string resume_position;  // opaque, set when has_more
  // What the read scanned, counted as Cassandra's ReadCommand counts them for its tombstone
  // thresholds: rows with live data (a partition's live static row included), and tombstones
  // (deleted or expired cells, a deleted row without them, each bound of a range tombstone
  // within the slices) not yet purgeable (older than the table's gc_grace_seconds), before
  // filtering. Index lookups count nothing.
  int64_t live_rows = 0;
  int64_t tombstones = 0;
  int64_t last_token = 0;  // the token of the last partition scanned
  // Reads of ReadCommand::partition_keys: the same counts for each partition read, in the order
  // read, as Cassandra reads each partition as a command of its own (its own thresholds, its own
  // warning). tombstone_failure_threshold then applies to each partition's count.
  struct PartitionCounts {
    size_t partition_index = 0;  // into ReadCommand::partition_keys
    int64_t rows_before = 0;     // rows this read returned before the partition's
    int64_t live_rows = 0;
    int64_t tombstones = 0;
    int64_t token = 0;
  };
  std::vector<PartitionCounts> partitions;
};

// Supplies the rows of virtual tables (system.local, system_schema.*): every partition of the
// table as mutations, from which Read answers as if they were stored.
class VirtualTableSource {
 public:
  virtual ~VirtualTableSource() = default;
  virtual Result<std::vector<PartitionMutation>> Generate(
      const std::shared_ptr<const TableMetadata>& table) const = 0;
  // What Read calls: may narrow generation to what `command` can return (rows it cannot return
  // may still be included). Default: every partition.
  virtual Result<std::vector<PartitionMutation>> Generate(
      const std::shared_ptr<const TableMetadata>& table, const ReadCommand& command) const {
    return Generate(table);
  }
};

class Storage {
 public:
  static Result<std::unique_ptr<Storage>> Open(StorageOptions options);
  ~Storage();  // flushes nothing extra: everything acknowledged is already in the WAL
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Applies all mutations atomically (one RocksDB WriteBatch), merging with existing data by
  // timestamp without reading it. Validates shapes (key component counts, unknown column ids,
  // virtual tables): kInvalidArgument on mismatch, nothing applied. `now_seconds` (a v5 request's
  // now_in_seconds) is the local deletion time of tombstones and the start of TTLs; default: the
  // clock.
  Status Apply(const std::vector<PartitionMutation>& mutations,
               std::optional<int32_t> now_seconds = std::nullopt);

  // Group commit to the OS, for the calling thread (kPeriodic; with kBatch every write is synced
  // and this does nothing). While a WalBatch lives, the WAL records of the Apply calls this
  // thread makes stay in RocksDB's WAL buffer, and Finish writes them to the OS in one system
  // call instead of one each. The caller acknowledges none of those writes before Finish has
  // returned OK: until then a killed process loses them. (Apply elsewhere, and Finish, write out
  // every thread's buffered records, so a write that is acknowledged has every earlier one in
  // the OS too.) One per thread at a time.
  class WalBatch {
   public:
    explicit WalBatch(Storage* storage);
    // Finishes the batch if Finish was not called (on early exits; its status is dropped).
    ~WalBatch();
    WalBatch(const WalBatch&) = delete;
    WalBatch& operator=(const WalBatch&) = delete;
    // Writes the batch's records to the OS; kIoError when that failed (then the writes are in
    // the memtable, readable, but not in the WAL: acknowledge none of them).
    Status Finish();

   private:
    Storage* storage_;
    bool finished_ = false;
  };

  // For the network thread, which must never wait: while a NoStall lives, the Apply calls this
  // thread makes do not wait out a RocksDB write stall (memtable or level-0 slowdown or stop)
  // but fail at once, having written nothing (RocksDB's WriteOptions::no_slowdown, which
  // answers Incomplete before the write reaches the WAL or the memtable), and stalled() turns
  // true: the caller runs the request again where waiting is allowed. One per thread at a time.
  class NoStall {
   public:
    explicit NoStall(Storage* storage);
    ~NoStall();
    NoStall(const NoStall&) = delete;
    NoStall& operator=(const NoStall&) = delete;
    // Whether a write failed rather than wait (or RocksDB refused it as Incomplete otherwise).
    bool stalled() const { return stalled_; }
    // Whether this thread has a NoStall on `storage` whose write was refused.
    static bool StalledOnThisThread(const Storage& storage);

   private:
    friend class Storage;
    Storage* storage_;
    bool stalled_ = false;
  };

  // Live rows (a row exists when it has a live marker or a live cell; a partition with only
  // static data yields one row with empty clustering when no slice restricts clustering).
  Result<ReadResult> Read(const ReadCommand& command) const;

  // Deletes all data of a table or an index (TRUNCATE, DROP TABLE, DROP INDEX). Synced.
  Status DropTableData(uint32_t storage_id);

  // Writes the entries of `index` (one of table->indexes) for every live row of the table, in
  // pages of one WriteBatch each. Apply maintains the index in its own batches from the moment
  // `table` is what writes carry, so call this after publishing it.
  Status BuildIndex(const std::shared_ptr<const TableMetadata>& table, const IndexMetadata& index);

  // Set once at startup, before reads of virtual tables; the source must outlive the storage.
  void SetVirtualTableSource(const VirtualTableSource* source);

  // Node metadata (schema, host id): a small durable key-value space apart from table data.
  // Writes are synced; WriteMeta applies its writes atomically (value nullopt = delete).
  struct MetaWrite {
    std::string key;
    std::optional<std::string> value;
  };
  Status WriteMeta(const std::vector<MetaWrite>& writes);
  Status PutMeta(std::string_view key, std::string_view value);
  Result<std::optional<std::string>> GetMeta(std::string_view key) const;
  // Every (key, value) whose key starts with `prefix`, in key order.
  Result<std::vector<std::pair<std::string, std::string>>> ScanMeta(std::string_view prefix) const;

  // ---- operations (the admin interface) -------------------------------------------------
  // Writes the memtable to SST files and waits. Every table shares the one memtable, so this
  // flushes all of them.
  Status Flush();
  // Compacts the data and index entries under `storage_ids` to RocksDB's last level and waits;
  // empty: the whole database.
  Status Compact(std::span<const uint32_t> storage_ids);
  // A copy of the whole database (every table and the metadata space) as of one instant, in
  // `dir`, which must not exist: SST files hard-linked, the rest copied. `flush` writes the
  // memtable first; otherwise the checkpoint carries the WAL, which a node opening it replays.
  Status Checkpoint(const std::string& dir, bool flush);
  // Bytes of the live SST files (what nodetool reports as Load).
  uint64_t DiskBytes() const;

  // Bytes the memtables (the one taking writes and any being flushed) and the block cache hold:
  // with the prepared cache, the node's memory for data, bounded by StorageOptions.
  struct MemoryUsage {
    uint64_t memtables = 0;
    uint64_t block_cache = 0;
    uint64_t row_cache = 0;
  };
  MemoryUsage Memory() const;

  // The row cache's counters (all zero when it is off).
  struct RowCacheStats {
    uint64_t hits = 0;             // partition and scan reads answered from the cache
    uint64_t misses = 0;           // reads that looked and found nothing
    uint64_t fills = 0;            // entries inserted
    uint64_t fills_discarded = 0;  // fills dropped because a write to their table raced them
    uint64_t evictions = 0;        // entries evicted for room, least recently used first
    uint64_t invalidations = 0;    // entries dropped by writes
    uint64_t entries = 0;          // entries held now
    uint64_t bytes = 0;            // bytes held now (bounded by row_cache_bytes)
  };
  RowCacheStats RowCacheCounters() const;

  int64_t NowMicros() const;
  const StorageOptions& options() const;

 private:
  struct Impl;
  explicit Storage(std::unique_ptr<Impl> impl);
  // After a write of data (write_options): its WAL record goes to the OS now, or at the end of
  // this thread's WalBatch.
  Status WalWritten();
  std::unique_ptr<Impl> impl_;
};

}  // namespace postfork::node
