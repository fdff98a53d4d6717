// The node's counters, served as Prometheus text by --metrics. Thread-safe: the network thread
// and the request threads update them under one mutex (a few uncontended locks per request).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace postfork::node {
class Storage;
}

namespace postfork::node::service {

class NodeMetrics {
 public:
  void ConnectionOpened() {
    std::lock_guard lock(mu_);
    ++connections_open_, ++connections_total_;
  }
  void ConnectionClosed() {
    std::lock_guard lock(mu_);
    --connections_open_;
  }
  void Request(uint8_t opcode) {
    std::lock_guard lock(mu_);
    ++requests_[opcode];
  }
  void Statement(std::string_view kind, std::string_view keyspace, std::string_view table);
  // Drops the per-table counters of `keyspace`.`table` (every table of it when `table` is empty):
  // the table was dropped.
  void ForgetTables(std::string_view keyspace, std::string_view table);
  void Error(int32_t code) {
    std::lock_guard lock(mu_);
    ++errors_[code];
  }
  // The prepared statement cache's entries and estimated bytes, after it changed.
  void PreparedStatements(size_t count, size_t bytes) {
    std::lock_guard lock(mu_);
    prepared_count_ = count, prepared_bytes_ = bytes;
  }
  // Storage whose memory gauges are rendered; set once at startup, and it outlives this.
  void SetStorage(const Storage* storage) { storage_ = storage; }
  // Request latency from frame decoded to response queued.
  void Latency(int64_t micros);

  std::string RenderPrometheus() const;

 private:
  static constexpr std::array<int64_t, 12> kBucketsMicros = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 1000000, 10000000};
  const Storage* storage_ = nullptr;
  mutable std::mutex mu_;  // guards everything below
  int64_t connections_open_ = 0;
  int64_t connections_total_ = 0;
  size_t prepared_count_ = 0;
  size_t prepared_bytes_ = 0;
  std::map<uint8_t, int64_t> requests_;
  // Orders (keyspace, table) keys and finds them by views: counting a request builds no string.
  struct TableKeyLess {
    using is_transparent = void;
    using View = std::pair<std::string_view, std::string_view>;
    static View AsView(const std::pair<std::string, std::string>& k) { return {k.first, k.second}; }
    static const View& AsView(const View& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return AsView(a) < AsView(b);
    }
  };
  std::map<std::string, int64_t, std::less<>> statements_by_kind_;
  std::map<std::pair<std::string, std::string>, int64_t, TableKeyLess> statements_by_table_;
  // The counters Statement last counted in: a run of one statement finds them by two string
  // comparisons instead of two map searches. end() when none (ForgetTables resets the table's).
  decltype(statements_by_kind_)::iterator last_kind_ = statements_by_kind_.end();
  decltype(statements_by_table_)::iterator last_table_ = statements_by_table_.end();
  std::map<int32_t, int64_t> errors_;
  std::array<int64_t, kBucketsMicros.size()> latency_buckets_{};
  int64_t latency_count_ = 0;
  int64_t latency_sum_micros_ = 0;
};

}  // namespace postfork::node::service
