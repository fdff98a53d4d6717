// Validation and normalization of table and keyspace options (schema_options.h).
#include "node/db/schema_options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <set>

#include "node/db/schema_errors.h"

namespace postfork::node {
namespace {

Result<int> ParseReplicationFactor(const std::string& text) {
  std::string_view s = text;
  // "3" or the transient form "3/1" (full/transient).
  size_t slash = s.find('/');
  std::string_view full = s.substr(0, slash);
  if (full.empty() || !std::all_of(full.begin(), full.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return ConfigError("Replication factor must be numeric; found " + text);
  }
  long v = std::strtol(std::string(full).c_str(), nullptr, 10);
  if (v < 0) return ConfigError("Replication factor must be non-negative; found " + text);
  return static_cast<int>(v);
}

Result<double> OptionDouble(const std::string& name, const OptionValue& v) {
  if (v.map)
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v.text.c_str(), &end);
  if (v.text.empty() || *end != '\0' || errno != 0) {
    return SyntaxError("Invalid double value " + v.text + " for '" + name + "'");
  }
  return d;
}

Result<int32_t> OptionInt(const std::string& name, const OptionValue& v) {
  if (v.map)
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v.text.c_str(), &end, 10);
  if (v.text.empty() || *end != '\0' || errno != 0 || n < INT32_MIN || n > INT32_MAX) {
    return SyntaxError("Invalid integer value " + v.text + " for '" + name + "'");
  }
  return static_cast<int32_t>(n);
}

Result<std::map<std::string, std::string>> OptionMapValue(const std::string& name,
                                                          const OptionValue& v) {
  if (!v.map) return SyntaxError("Invalid value for property '" + name + "'. It should be a map.");
  return *v.map;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::map<std::string, std::string>> CompactionOption(std::map<std::string, std::string> m) {
  auto cls = m.find("class");
  if (cls == m.end()) return ConfigError("Missing sub-option 'class' for the 'compaction' option.");
  const std::string kPackage = "org.apache.cassandra.db.compaction.";
  std::string name = cls->second;
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  static const std::set<std::string> kKnown = {
      "SizeTieredCompactionStrategy", "LeveledCompactionStrategy", "TimeWindowCompactionStrategy",
      "UnifiedCompactionStrategy"};
  if (!kKnown.count(name)) {
    return ConfigError("Unable to find compaction strategy class '" + cls->second + "'");
  }
  cls->second = kPackage + name;
  m.try_emplace("max_threshold", "32");
  m.try_emplace("min_threshold", "4");
  return m;
}

Result<std::map<std::string, std::string>> CompressionOption(std::map<std::string, std::string> m) {
  if (auto legacy = m.find("sstable_compression"); legacy != m.end()) {
    m["class"] = legacy->second;
    m.erase(legacy);
  }
  if (auto enabled = m.find("enabled"); enabled != m.end() && Lower(enabled->second) == "false") {
    return std::map<std::string, std::string>{{"enabled", "false"}};
  }
  m.erase("enabled");
  auto cls = m.find("class");
  if (cls == m.end()) {
    return ConfigError("Missing sub-option 'class' for the 'compression' option.");
  }
  const std::string kPackage = "org.apache.cassandra.io.compress.";
  std::string name = cls->second;
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  static const std::set<std::string> kKnown = {
      "LZ4Compressor", "SnappyCompressor", "DeflateCompressor", "ZstdCompressor", "NoopCompressor"};
  if (!kKnown.count(name)) {
    return ConfigError("Could not create Compression for type " + cls->second);
  }
  cls->second = kPackage + name;
  if (auto legacy = m.find("chunk_length_kb"); legacy != m.end()) {
    m["chunk_length_in_kb"] = legacy->second;
    m.erase(legacy);
  }
  m.try_emplace("chunk_length_in_kb", "16");
  return m;
}

}  // namespace

Result<std::map<std::string, std::string>> ValidateReplication(
    std::string_view keyspace, const std::map<std::string, std::string>& given,
    const NodeIdentity& identity) {
  auto cls = given.find("class");
  if (cls == given.end()) return ConfigError("Missing replication strategy class");
  std::string name = cls->second;
  const std::string kPackage = "org.apache.cassandra.locator.";
  if (name.rfind(kPackage, 0) == 0) name = name.substr(kPackage.size());
  std::map<std::string, std::string> out;
  if (name == "SimpleStrategy") {
    out["class"] = kPackage + name;
    auto rf = given.find("replication_factor");
    if (rf == given.end()) {
      return ConfigError("SimpleStrategy requires a replication_factor strategy option.");
    }
    for (const auto& [k, v] : given) {
      if (k != "class" && k != "replication_factor") {
        return ConfigError("Unrecognized strategy option {" + k +
                           "} passed to SimpleStrategy for keyspace " + std::string(keyspace));
      }
    }
    PF_ASSIGN_OR_RETURN(int factor, ParseReplicationFactor(rf->second));
    (void)factor;
    out["replication_factor"] = rf->second;
    return out;
  }
  if (name == "NetworkTopologyStrategy") {
    out["class"] = kPackage + name;
    for (const auto& [k, v] : given) {
      if (k == "class") continue;
      PF_ASSIGN_OR_RETURN(int factor, ParseReplicationFactor(v));
      (void)factor;
      if (k == "replication_factor") {
        // Cassandra expands the default into every known datacenter.
        if (!given.count(identity.data_center)) out[identity.data_center] = v;
      } else {
        out[k] = v;
      }
    }
    return out;
  }
  if (name == "LocalStrategy" || name == "EverywhereStrategy") {
    return ConfigError("Unable to use given strategy class: " + kPackage + name +
                       " is reserved for internal use.");
  }
  return ConfigError("Unable to find replication strategy class '" + kPackage + name + "'");
}

Status ApplyTableOptions(const OptionMap& options, TableParams* p) {
  for (const auto& [raw_name, v] : options) {
    std::string name = Lower(raw_name);
    if (name == "comment") {
      if (v.map) return SyntaxError("Invalid value for property 'comment'. It should be a string.");
      p->comment = v.text;
    } else if (name == "bloom_filter_fp_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (d <= 0 || d > 1) {
        return ConfigError(
            "bloom_filter_fp_chance must be larger than 0.0 and less than or equal to 1.0 (got " +
            v.text + ")");
      }
      p->bloom_filter_fp_chance = d;
    } else if (name == "crc_check_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (d < 0 || d > 1) {
        return ConfigError("crc_check_chance should be between 0.0 and 1.0 (got " + v.text + ")");
      }
      p->crc_check_chance = d;
    } else if (name == "caching") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      for (const auto& [k, val] : m) {
        if (k != "keys" && k != "rows_per_partition") {
          return ConfigError("Invalid caching sub-options " + k +
                             ": only \"keys\" and \"rows_per_partition\" are allowed");
        }
      }
      std::map<std::string, std::string> caching = p->caching;
      for (const auto& [k, val] : m) caching[k] = val;
      p->caching = std::move(caching);
    } else if (name == "cdc") {
      std::string t = Lower(v.text);
      if (v.map || (t != "true" && t != "false")) {
        return SyntaxError("Invalid boolean value " + v.text + " for 'cdc'");
      }
      p->cdc = t == "true";
    } else if (name == "compaction") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compaction, CompactionOption(std::move(m)));
    } else if (name == "compression") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compression, CompressionOption(std::move(m)));
    } else if (name == "default_time_to_live") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("default_time_to_live must be greater than or equal to 0 (got " +
                           v.text + ")");
      }
      if (n > 630720000) {
        return ConfigError("default_time_to_live must be less than or equal to 630720000 (got " +
                           v.text + ")");
      }
      p->default_time_to_live = n;
    } else if (name == "gc_grace_seconds") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("gc_grace_seconds must be greater than or equal to 0 (got " + v.text +
                           ")");
      }
      p->gc_grace_seconds = n;
    } else if (name == "max_index_interval") {
      PF_ASSIGN_OR_RETURN(p->max_index_interval, OptionInt(name, v));
    } else if (name == "min_index_interval") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 1) {
        return ConfigError("min_index_interval must be greater than or equal to 1 (got " + v.text +
                           ")");
      }
      p->min_index_interval = n;
    } else if (name == "memtable_flush_period_in_ms") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (n < 0) {
        return ConfigError("memtable_flush_period_in_ms must be greater than or equal to 0 (got " +
                           v.text + ")");
      }
      p->memtable_flush_period_in_ms = n;
    } else if (name == "memtable") {
      p->memtable = v.text;
    } else if (name == "read_repair") {
      std::string t = v.text;
      for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (t != "BLOCKING" && t != "NONE") {
        return ConfigError("Invalid read_repair value " + v.text);
      }
      p->read_repair = t;
    } else if (name == "speculative_retry") {
      p->speculative_retry = v.text;
    } else if (name == "additional_write_policy") {
      p->additional_write_policy = v.text;
    } else if (name == "extensions") {
      PF_ASSIGN_OR_RETURN(p->extensions, OptionMapValue(name, v));
    } else {
      return SyntaxError("Unknown property '" + raw_name + "'");
    }
  }
  if (p->min_index_interval > p->max_index_interval) {
    return ConfigError("max_index_interval must be greater than or equal to min_index_interval");
  }
  return Status::Ok();
}

}  // namespace postfork::node
