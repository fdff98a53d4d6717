// Snapshots (nodetool snapshot, listsnapshots, clearsnapshot): consistent copies of the node's
// data kept under the data directory, usable as backups.
//
// Every table lives in the one RocksDB database, and an SST file holds rows of many tables, so a
// snapshot is always a RocksDB checkpoint of the whole database (every table, the schema and the
// node's identity) as of one instant: SST files hard-linked (no copying, no extra space until
// compaction replaces the live files), the rest copied. The keyspaces or tables it was taken for
// are what it is listed under and what clearsnapshot of a keyspace removes it from.
//
//   <data_dir>/snapshots/<tag>/manifest.json   tag, creation and expiry time, the tables
//   <data_dir>/snapshots/<tag>/db/             the checkpoint: a data directory of its own
//
// Restore: stop nothing; copy `db/` to a new directory and start a node with --data-dir on it.
// It has every table as of the snapshot (to restore one table, read its rows from that node).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "postfork/base/status.h"

namespace postfork::node {

class Storage;

struct SnapshotInfo {
  std::string tag;
  std::vector<std::pair<std::string, std::string>> tables;  // (keyspace, table)
  int64_t created_at_ms = 0;
  std::optional<int64_t> expires_at_ms;  // snapshots taken with a TTL
  uint64_t size_on_disk = 0;             // every file of the checkpoint
  uint64_t true_size = 0;                // files no live database file or other snapshot shares
};

// Thread-safe: one operation at a time.
class SnapshotStore {
 public:
  // `data_dir`: the node's data directory (the RocksDB directory; snapshots/ sits beside its
  // files, where RocksDB never looks).
  SnapshotStore(Storage* storage, std::string data_dir);

  // Takes snapshot `tag` of the whole database, listed under `tables`. kInvalidArgument for a tag
  // that cannot be a directory name, kAlreadyExists when the tag is taken. `flush`: the
  // memtable is written first (else the checkpoint carries the WAL). `ttl`: removed once expired.
  Status Take(const std::string& tag, std::vector<std::pair<std::string, std::string>> tables,
              bool flush, std::optional<std::chrono::seconds> ttl);
  // Every snapshot, by tag; expired ones are removed first.
  Result<std::vector<SnapshotInfo>> List();
  // Removes snapshot `tag` (empty: every snapshot). With keyspaces, only their tables are
  // removed from each snapshot, and a snapshot left with none is deleted.
  Status Clear(const std::string& tag, const std::vector<std::string>& keyspaces);
  const std::string& directory() const { return dir_; }

 private:
  Status RemoveExpiredLocked();
  Result<std::vector<SnapshotInfo>> ReadAllLocked();

  Storage* storage_;
  std::string dir_;  // <data_dir>/snapshots
  std::mutex mu_;
};

// Java's Instant.toString of a time in milliseconds: 2026-12-06T09:30:00.123Z, without the
// fraction when it is zero (what nodetool listsnapshots prints).
std::string InstantString(int64_t epoch_ms);

}  // namespace postfork::node
