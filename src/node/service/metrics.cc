#include "node/service/metrics.h"

#include <fmt/format.h>

#include "postfork/base/prometheus.h"
#include "postfork/cql/error_codes.h"
#include "postfork/cql/frame.h"
#include "node/storage/storage.h"

namespace postfork::node::service {

void NodeMetrics::Statement(std::string_view kind, std::string_view keyspace,
                            std::string_view table) {
  std::lock_guard lock(mu_);
  if (last_kind_ == statements_by_kind_.end() || last_kind_->first != kind) {
    last_kind_ = statements_by_kind_.find(kind);
    if (last_kind_ == statements_by_kind_.end()) {
      last_kind_ = statements_by_kind_.emplace(std::string(kind), 0).first;
    }
  }
  ++last_kind_->second;
  if (table.empty()) return;
  if (last_table_ == statements_by_table_.end() || last_table_->first.second != table ||
      last_table_->first.first != keyspace) {
    last_table_ = statements_by_table_.find(TableKeyLess::View(keyspace, table));
    if (last_table_ == statements_by_table_.end()) {
      last_table_ =
          statements_by_table_.emplace(std::pair(std::string(keyspace), std::string(table)), 0)
              .first;
    }
  }
  ++last_table_->second;
}

void NodeMetrics::ForgetTables(std::string_view keyspace, std::string_view table) {
  std::lock_guard lock(mu_);
  last_table_ = statements_by_table_.end();
  for (auto it = statements_by_table_.begin(); it != statements_by_table_.end();) {
    bool match = it->first.first == keyspace && (table.empty() || it->first.second == table);
    it = match ? statements_by_table_.erase(it) : std::next(it);
  }
}

void NodeMetrics::Latency(int64_t micros) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < kBucketsMicros.size(); ++i) {
    if (micros <= kBucketsMicros[i]) ++latency_buckets_[i];
  }
  ++latency_count_;
  latency_sum_micros_ += micros;
}

std::string NodeMetrics::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP postfork_node_connections Open client connections.\n";
  out += "# TYPE postfork_node_connections gauge\n";
  out += fmt::format("postfork_node_connections {}\n", connections_open_);
  out += "# HELP postfork_node_connections_total Client connections accepted.\n";
  out += "# TYPE postfork_node_connections_total counter\n";
  out += fmt::format("postfork_node_connections_total {}\n", connections_total_);
  out += "# HELP postfork_node_prepared_statements Statements in the prepared cache.\n";
  out += "# TYPE postfork_node_prepared_statements gauge\n";
  out += fmt::format("postfork_node_prepared_statements {}\n", prepared_count_);
  out +=
      "# HELP postfork_node_prepared_statements_bytes Estimated bytes the prepared cache holds.\n";
  out += "# TYPE postfork_node_prepared_statements_bytes gauge\n";
  out += fmt::format("postfork_node_prepared_statements_bytes {}\n", prepared_bytes_);
  if (storage_ != nullptr) {
    Storage::MemoryUsage m = storage_->Memory();
    out += "# HELP postfork_node_memtable_bytes Bytes the memtables hold (--memtable-size).\n";
    out += "# TYPE postfork_node_memtable_bytes gauge\n";
    out += fmt::format("postfork_node_memtable_bytes {}\n", m.memtables);
    out +=
        "# HELP postfork_node_block_cache_bytes Bytes the block cache holds "
        "(--block-cache-size).\n";
    out += "# TYPE postfork_node_block_cache_bytes gauge\n";
    out += fmt::format("postfork_node_block_cache_bytes {}\n", m.block_cache);
    out += "# HELP postfork_node_row_cache_bytes Bytes the row cache holds (--row-cache-size).\n";
    out += "# TYPE postfork_node_row_cache_bytes gauge\n";
    out += fmt::format("postfork_node_row_cache_bytes {}\n", m.row_cache);
    Storage::RowCacheStats rc = storage_->RowCacheCounters();
    out += "# HELP postfork_node_row_cache_entries Partitions and tables the row cache holds.\n";
    out += "# TYPE postfork_node_row_cache_entries gauge\n";
    out += fmt::format("postfork_node_row_cache_entries {}\n", rc.entries);
    const std::pair<const char*, uint64_t> counters[] = {
        {"hits", rc.hits},           {"misses", rc.misses},
        {"fills", rc.fills},         {"fills_discarded", rc.fills_discarded},
        {"evictions", rc.evictions}, {"invalidations", rc.invalidations}};
    out += "# HELP postfork_node_row_cache_total Row cache events: hits and misses of reads, "
           "fills kept or discarded (a write raced them), evictions, entries dropped by writes.\n";
    out += "# TYPE postfork_node_row_cache_total counter\n";
    for (const auto& [event, n] : counters) {
      out += fmt::format("postfork_node_row_cache_total{{event=\"{}\"}} {}\n", event, n);
    }
  }
  out += "# HELP postfork_node_requests_total Requests by opcode.\n";
  out += "# TYPE postfork_node_requests_total counter\n";
  for (const auto& [op, n] : requests_) {
    std::string name = cql::IsKnownOpcode(op)
                           ? std::string(cql::OpcodeName(static_cast<cql::Opcode>(op)))
                           : fmt::format("0x{:02x}", op);
    out += fmt::format("postfork_node_requests_total{{opcode=\"{}\"}} {}\n",
                       PrometheusLabelValue(name), n);
  }
  out += "# HELP postfork_node_statements_total Statements executed by kind.\n";
  out += "# TYPE postfork_node_statements_total counter\n";
  for (const auto& [kind, n] : statements_by_kind_) {
    out += fmt::format("postfork_node_statements_total{{kind=\"{}\"}} {}\n",
                       PrometheusLabelValue(kind), n);
  }
  out += "# HELP postfork_node_table_statements_total Statements executed by table.\n";
  out += "# TYPE postfork_node_table_statements_total counter\n";
  for (const auto& [key, n] : statements_by_table_) {
    out += fmt::format("postfork_node_table_statements_total{{keyspace=\"{}\",table=\"{}\"}} {}\n",
                       PrometheusLabelValue(key.first), PrometheusLabelValue(key.second), n);
  }
  out += "# HELP postfork_node_errors_total Error responses by CQL error code.\n";
  out += "# TYPE postfork_node_errors_total counter\n";
  for (const auto& [code, n] : errors_) {
    out +=
        fmt::format("postfork_node_errors_total{{code=\"0x{:04X}\",name=\"{}\"}} {}\n", code,
                    PrometheusLabelValue(cql::ErrorCodeName(static_cast<cql::ErrorCode>(code))), n);
  }
  out += "# HELP postfork_node_request_latency_seconds Request processing time.\n";
  out += "# TYPE postfork_node_request_latency_seconds histogram\n";
  for (size_t i = 0; i < kBucketsMicros.size(); ++i) {
    out += fmt::format("postfork_node_request_latency_seconds_bucket{{le=\"{}\"}} {}\n",
                       static_cast<double>(kBucketsMicros[i]) / 1e6, latency_buckets_[i]);
  }
  out += fmt::format("postfork_node_request_latency_seconds_bucket{{le=\"+Inf\"}} {}\n",
                     latency_count_);
  out += fmt::format("postfork_node_request_latency_seconds_sum {}\n",
                     static_cast<double>(latency_sum_micros_) / 1e6);
  out += fmt::format("postfork_node_request_latency_seconds_count {}\n", latency_count_);
  return out;
}

}  // namespace postfork::node::service
