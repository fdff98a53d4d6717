// Validation and normalization of table and keyspace options (schema_options.h), rule by rule
// as Cassandra 5.0 applies them: schema/TableParams, CompressionParams, CompactionParams (and
// each strategy's validateOptions), CachingParams, SpeculativeRetryPolicy, KeyspaceParams,
// ReplicationParams, SimpleStrategy and NetworkTopologyStrategy.
#include "node/db/schema_options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

#include "node/cql_errors.h"
#include "node/java_hash_order.h"
#include "postfork/base/ascii.h"
#include "postfork/cql/value.h"

namespace postfork::node {
namespace {

using StringMap = std::map<std::string, std::string>;

constexpr std::string_view kLocatorPackage = "org.apache.cassandra.locator.";
constexpr std::string_view kCompactionPackage = "org.apache.cassandra.db.compaction.";
constexpr std::string_view kCompressionPackage = "org.apache.cassandra.io.compress.";
// BloomCalculations.minSupportedBloomFilterFpChance(), as Cassandra prints it.
constexpr double kMinBloomFilterFpChance = 6.71e-5;
constexpr int32_t kMaxTtlSeconds = 630720000;  // Attributes.MAX_TTL (20 years)

// Java's Integer.parseInt: optional sign, decimal digits, in the int range.
std::optional<int32_t> JavaParseInt(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  int32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Java's Double.parseDouble, for the plain decimal and exponent forms CQL constants take.
std::optional<double> JavaParseDouble(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(text.c_str(), &end);
  if (*end != '\0' || errno == ERANGE) return std::nullopt;
  return d;
}

// A class name as Cassandra resolves it: a name with no dot is in `package`.
std::string Qualified(std::string_view package, const std::string& name) {
  return name.find('.') == std::string::npos ? std::string(package) + name : name;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// ---- replication --------------------------------------------------------------------------

// A replication factor as AbstractReplicationStrategy.validateReplicationFactor reads it.
Status CheckReplicationFactor(const std::string& text) {
  if (text.find('/') != std::string::npos) {
    return ConfigError("Transient replication is not enabled on this node");
  }
  auto rf = JavaParseInt(text);
  if (!rf) return ConfigError("For input string: \"" + text + "\"");
  if (*rf < 0) return ConfigError("Replication factor must be non-negative, found " + text);
  return Status::Ok();
}

// ---- table options ------------------------------------------------------------------------

Result<double> OptionDouble(const std::string& name, const OptionValue& v) {
  if (v.map) {
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  }
  auto d = JavaParseDouble(v.text);
  if (!d) return SyntaxError("Invalid double value " + v.text + " for '" + name + "'");
  return *d;
}

Result<int32_t> OptionInt(const std::string& name, const OptionValue& v) {
  if (v.map) {
    return SyntaxError("Invalid value for property '" + name + "'. It should be a number.");
  }
  auto n = JavaParseInt(v.text);
  if (!n) return SyntaxError("Invalid integer value " + v.text + " for '" + name + "'");
  return *n;
}

Result<std::string> OptionString(const std::string& name, const OptionValue& v) {
  if (v.map) return SyntaxError("Invalid value for property '" + name + "'. It should be a string");
  return v.text;
}

Result<StringMap> OptionMapValue(const std::string& name, const OptionValue& v) {
  if (!v.map) return SyntaxError("Invalid value for property '" + name + "'. It should be a map.");
  return *v.map;
}

// ---- compaction (CompactionParams and the strategies' validateOptions) ----

struct CompactionStrategy {
  std::string_view name;
  bool threshold_params;  // min_threshold/max_threshold apply (and are stored)
  std::vector<std::string_view> options;
};

const std::vector<CompactionStrategy>& CompactionStrategies() {
  // Options every AbstractCompactionStrategy takes, then each strategy's own.
  static const std::vector<std::string_view> kCommon = {"enabled",
                                                        "tombstone_threshold",
                                                        "tombstone_compaction_interval",
                                                        "unchecked_tombstone_compaction",
                                                        "log_all",
                                                        "only_purge_repaired_tombstones",
                                                        "provide_overlapping_tombstones"};
  static const std::vector<std::string_view> kSizeTiered = {"min_sstable_size", "bucket_low",
                                                            "bucket_high"};
  auto with = [](std::vector<std::vector<std::string_view>> lists) {
    std::vector<std::string_view> out;
    for (auto& l : lists) out.insert(out.end(), l.begin(), l.end());
    return out;
  };
  static const std::vector<CompactionStrategy> kStrategies = {
      {"SizeTieredCompactionStrategy", true, with({kCommon, kSizeTiered})},
      {"LeveledCompactionStrategy", true,
       with({kCommon,
             kSizeTiered,
             {"sstable_size_in_mb", "fanout_size", "single_sstable_uplevel"}})},
      {"TimeWindowCompactionStrategy", true,
       with({kCommon,
             kSizeTiered,
             {"compaction_window_unit", "compaction_window_size", "timestamp_resolution",
              "expired_sstable_check_frequency_seconds", "unsafe_aggressive_sstable_expiration"}})},
      {"UnifiedCompactionStrategy", false,
       with({kCommon,
             {"scaling_parameters", "base_shard_count", "target_sstable_size", "sstable_growth",
              "min_sstable_size", "flush_size_override", "max_sstables_to_compact",
              "expired_sstable_check_frequency_seconds", "unsafe_aggressive_sstable_expiration",
              "overlap_inclusion_method", "survival_factors", "num_shards"}})},
  };
  return kStrategies;
}

Result<StringMap> CompactionOption(StringMap m) {
  auto cls = m.find("class");
  if (cls == m.end()) return ConfigError("Missing sub-option 'class' for the 'compaction' option");
  std::string full = Qualified(kCompactionPackage, cls->second);
  const CompactionStrategy* strategy = nullptr;
  for (const auto& s : CompactionStrategies()) {
    if (full == std::string(kCompactionPackage) + std::string(s.name)) strategy = &s;
  }
  if (strategy == nullptr) {
    return ConfigError("Unable to find compaction strategy class '" + full + "'");
  }
  cls->second = full;
  auto threshold = [&](const char* name, int32_t fallback) -> Result<int32_t> {
    auto it = m.find(name);
    if (it == m.end()) return fallback;
    auto n = JavaParseInt(it->second);
    if (!n) {
      return ConfigError("Invalid value " + it->second + " for '" + name +
                         "' compaction sub-option - must be an integer");
    }
    return *n;
  };
  if (strategy->threshold_params) {
    PF_ASSIGN_OR_RETURN(int32_t min_threshold, threshold("min_threshold", 4));
    PF_ASSIGN_OR_RETURN(int32_t max_threshold, threshold("max_threshold", 32));
    if (min_threshold < 2) {
      return ConfigError("Min compaction threshold cannot be less than 2 (got " +
                         std::to_string(min_threshold) + ")");
    }
    if (min_threshold > max_threshold && max_threshold != 0) {
      return ConfigError("Min compaction threshold (got " + std::to_string(min_threshold) +
                         ") cannot be greater than max compaction threshold (got " +
                         std::to_string(max_threshold) + ")");
    }
  }
  if (auto it = m.find("tombstone_threshold"); it != m.end()) {
    auto d = JavaParseDouble(it->second);
    if (!d) {
      return ConfigError(it->second + " is not a parsable float for tombstone_threshold");
    }
    if (*d < 0) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%f", *d);
      return ConfigError(std::string("tombstone_threshold must be greater than 0, but was ") + buf);
    }
  }
  if (auto it = m.find("sstable_size_in_mb"); it != m.end()) {
    auto n = JavaParseInt(it->second);
    if (!n) {
      return ConfigError(it->second + " is not a parsable int (base10) for sstable_size_in_mb");
    }
    if (*n <= 0) {
      return ConfigError("sstable_size_in_mb must be larger than 0, but was " + it->second);
    }
  }
  if (auto it = m.find("compaction_window_unit"); it != m.end()) {
    std::string unit = ascii::Upper(it->second);
    if (unit != "MINUTES" && unit != "HOURS" && unit != "DAYS") {
      return ConfigError(it->second + " is not valid for compaction_window_unit");
    }
  }
  std::vector<std::string> unknown;
  for (const auto& [k, v] : m) {
    if (k == "class" ||
        (strategy->threshold_params && (k == "min_threshold" || k == "max_threshold")))
      continue;
    if (std::find(strategy->options.begin(), strategy->options.end(), k) ==
        strategy->options.end()) {
      unknown.push_back(k);
    }
  }
  if (!unknown.empty()) {
    return ConfigError("Properties specified [" + Join(unknown) + "] are not understood by " +
                       std::string(strategy->name));
  }
  if (strategy->threshold_params) {
    m.try_emplace("max_threshold", "32");
    m.try_emplace("min_threshold", "4");
  }
  return m;
}

// ---- compression (CompressionParams and the compressors' create()) ----

Result<StringMap> CompressionOption(StringMap m) {
  auto enabled = m.find("enabled");
  // An empty map, or 'enabled' anything but true (Boolean.parseBoolean), turns compression off.
  if (m.empty() || (enabled != m.end() && ascii::Lower(enabled->second) != "true")) {
    return StringMap{{"enabled", "false"}};
  }
  if (enabled != m.end()) m.erase(enabled);
  auto cls = m.find("class");
  if (cls == m.end()) {
    return ConfigError("Missing sub-option 'class' for the 'compression' option.");
  }
  std::string full = Qualified(kCompressionPackage, cls->second);
  std::string name = full.rfind(kCompressionPackage, 0) == 0
                         ? full.substr(kCompressionPackage.size())
                         : std::string();
  std::vector<std::string_view> own;
  if (name == "LZ4Compressor") {
    own = {"lz4_compressor_type", "lz4_high_compressor_level"};
  } else if (name == "ZstdCompressor") {
    own = {"compression_level"};
  } else if (name != "SnappyCompressor" && name != "DeflateCompressor" &&
             name != "NoopCompressor") {
    return ConfigError("Could not create Compression for type " + full);
  }
  cls->second = full;
  if (auto it = m.find("lz4_compressor_type"); it != m.end()) {
    if (it->second != "high" && it->second != "fast") {
      return ConfigError("Invalid compressor type '" + it->second +
                         "' specified for LZ4 parameter 'lz4_compressor_type'. Valid options are "
                         "[high, fast].");
    }
  }
  if (auto it = m.find("lz4_high_compressor_level"); it != m.end()) {
    auto level = JavaParseInt(it->second);
    if (!level || *level < 1 || *level > 17) {
      return ConfigError("Invalid value [" + it->second +
                         "] for parameter 'lz4_high_compressor_level'. Value must be between 1 "
                         "and 17.");
    }
  }
  if (auto it = m.find("compression_level"); it != m.end()) {
    auto level = JavaParseInt(it->second);
    if (!level || *level < -131072 || *level > 22) {
      return ConfigError(
          "ZstdCompressor.create() threw an error: java.lang.IllegalArgumentException "
          "compression_level=" +
          it->second + " is invalid");
    }
  }
  std::vector<std::string> unknown;
  for (const auto& [k, v] : m) {
    bool common = k == "class" || k == "chunk_length_in_kb" || k == "min_compress_ratio";
    if (!common && std::find(own.begin(), own.end(), k) == own.end()) unknown.push_back(k);
  }
  if (!unknown.empty()) return ConfigError("Unknown compression options " + unknown.front());
  int32_t chunk_kb = 16;
  if (auto it = m.find("chunk_length_in_kb"); it != m.end()) {
    auto n = JavaParseInt(it->second);
    if (!n) return ConfigError("Invalid value for chunk_length_in_kb");
    if (*n <= 0) return ConfigError("Invalid negative or null chunk_length_in_kb");
    if ((*n & (*n - 1)) != 0) return ConfigError("chunk_length_in_kb must be a power of 2");
    chunk_kb = *n;
  }
  m["chunk_length_in_kb"] = std::to_string(chunk_kb);
  if (auto it = m.find("min_compress_ratio"); it != m.end()) {
    auto ratio = JavaParseDouble(it->second);
    if (!ratio) return ConfigError("Invalid value for min_compress_ratio");
    if (*ratio != 0 && *ratio < 1) {
      return ConfigError("min_compress_ratio can either be 0 or greater than or equal to 1");
    }
    // Stored only when it differs from the default (0), in Java's double form.
    if (*ratio == 0) {
      m.erase(it);
    } else {
      it->second = cql::JavaFloatText(*ratio);
    }
  }
  return m;
}

// ---- caching (CachingParams.fromMap: a sub-option left out is NONE) ----

Result<StringMap> CachingOption(const StringMap& m) {
  std::vector<std::string> unknown;
  for (const auto& [k, v] : m) {
    if (k != "keys" && k != "rows_per_partition") unknown.push_back(k);
  }
  if (!unknown.empty()) {
    return ConfigError("Invalid caching sub-options [" + Join(unknown) +
                       "]: only 'keys' and 'rows_per_partition' are allowed");
  }
  StringMap out{{"keys", "NONE"}, {"rows_per_partition", "NONE"}};
  if (auto it = m.find("keys"); it != m.end()) {
    std::string keys = ascii::Upper(it->second);
    if (keys != "ALL" && keys != "NONE") {
      return ConfigError("Invalid value '" + it->second +
                         "' for caching sub-option 'keys': only 'ALL' and 'NONE' are allowed");
    }
    out["keys"] = keys;
  }
  if (auto it = m.find("rows_per_partition"); it != m.end()) {
    std::string rows = ascii::Upper(it->second);
    if (rows == "ALL" || rows == "NONE") {
      out["rows_per_partition"] = rows;
    } else {
      auto n = JavaParseInt(it->second);
      if (!n || *n < 0) {
        return ConfigError("Invalid value '" + it->second +
                           "' for caching sub-option 'rows_per_partition': only 'ALL', 'NONE', "
                           "and integer values are allowed");
      }
      out["rows_per_partition"] = *n == 0 ? "NONE" : std::to_string(*n);
    }
  }
  return out;
}

// ---- speculative_retry / additional_write_policy (SpeculativeRetryPolicy.fromString) ----

enum class RetryKind { kPercentile, kFixed };

// "<number>p" / "<number>percentile" or "<number>ms" (case-insensitive); its stored text, or
// nullopt when `text` is neither form.
Result<std::optional<std::pair<RetryKind, std::string>>> SimpleRetryPolicy(
    const std::string& text, const std::string& whole) {
  std::string lower = ascii::Lower(text);
  auto number = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
    });
  };
  std::string_view value;
  RetryKind kind;
  if (lower.size() > 10 && lower.ends_with("percentile") &&
      number(std::string_view(lower).substr(0, lower.size() - 10))) {
    value = std::string_view(text).substr(0, text.size() - 10);
    kind = RetryKind::kPercentile;
  } else if (lower.size() > 1 && lower.ends_with("p") &&
             number(std::string_view(lower).substr(0, lower.size() - 1))) {
    value = std::string_view(text).substr(0, text.size() - 1);
    kind = RetryKind::kPercentile;
  } else if (lower.size() > 2 && lower.ends_with("ms") &&
             number(std::string_view(lower).substr(0, lower.size() - 2))) {
    value = std::string_view(text).substr(0, text.size() - 2);
    kind = RetryKind::kFixed;
  } else {
    return std::optional<std::pair<RetryKind, std::string>>();
  }
  auto d = JavaParseDouble(std::string(value));
  if (!d) return ConfigError("Invalid value " + whole + " for option 'speculative_retry'");
  if (kind == RetryKind::kFixed) {
    return std::optional(std::pair(kind, std::to_string(static_cast<int64_t>(*d)) + "ms"));
  }
  if (*d <= 0.0 || *d >= 100.0) {
    return ConfigError("Invalid value " + whole +
                       " for PERCENTILE option 'speculative_retry': must be between (0.0 and "
                       "100.0)");
  }
  // DecimalFormat("#.####"): at most four fraction digits, no trailing zeros.
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", *d);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return std::optional(std::pair(kind, s + "p"));
}

Result<std::string> RetryPolicyOption(const OptionValue& v) {
  const std::string& text = v.text;
  auto invalid = [&] {
    return ConfigError("Invalid value " + text + " for option 'speculative_retry'");
  };
  if (v.map) return invalid();
  std::string upper = ascii::Upper(text);
  if (upper == "ALWAYS") return std::string("ALWAYS");
  if (upper == "NEVER" || upper == "NONE") return std::string("NEVER");
  PF_ASSIGN_OR_RETURN(auto simple, SimpleRetryPolicy(text, text));
  if (simple) return simple->second;
  // MIN(a,b) / MAX(a,b): one percentile and one fixed policy, printed percentile first.
  if ((upper.starts_with("MIN(") || upper.starts_with("MAX(")) && upper.ends_with(")")) {
    std::string inner = text.substr(4, text.size() - 5);
    size_t comma = inner.find(',');
    if (comma == std::string::npos) return invalid();
    auto trim = [](std::string s) {
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(0, 1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      return s;
    };
    PF_ASSIGN_OR_RETURN(auto a, SimpleRetryPolicy(trim(inner.substr(0, comma)), text));
    PF_ASSIGN_OR_RETURN(auto b, SimpleRetryPolicy(trim(inner.substr(comma + 1)), text));
    if (!a || !b) return invalid();
    if (a->first == b->first) {
      return ConfigError("Invalid value " + text +
                         " for option 'speculative_retry': MIN()/MAX() arguments should be of "
                         "different types, but both are of type " +
                         (a->first == RetryKind::kFixed ? "FIXED" : "PERCENTILE"));
    }
    if (a->first == RetryKind::kFixed) std::swap(a, b);
    return upper.substr(0, 3) + "(" + a->second + "," + b->second + ")";
  }
  return invalid();
}

}  // namespace

Result<bool> ParseBooleanOption(const std::string& name, const OptionValue& v) {
  std::string t = ascii::Lower(v.text);
  if (!v.map) {
    if (t == "true" || t == "1" || t == "yes") return true;
    if (t == "false" || t == "0" || t == "no") return false;
  }
  return SyntaxError("Invalid boolean value " + v.text + " for '" + name +
                     "'. Positive values can be '1', 'true' or 'yes'. Negative values can be "
                     "'0', 'false' or 'no'.");
}

Result<std::map<std::string, std::string>> ValidateReplication(
    std::string_view keyspace, const std::map<std::string, std::string>& given,
    const NodeIdentity& identity) {
  auto cls = given.find("class");
  if (cls == given.end()) return ConfigError("Missing replication strategy class");
  std::string full = Qualified(kLocatorPackage, cls->second);
  std::map<std::string, std::string> out{{"class", full}};
  const std::string simple = std::string(kLocatorPackage) + "SimpleStrategy";
  const std::string topology = std::string(kLocatorPackage) + "NetworkTopologyStrategy";
  // Cassandra 5.0's default_keyspace_rf, used where a strategy's replication factor is omitted.
  const std::string kDefaultRf = "1";
  if (full == simple) {
    for (const auto& [k, v] : given) {
      if (k != "class" && k != "replication_factor") {
        return ConfigError("Unrecognized strategy option {" + k +
                           "} passed to SimpleStrategy for keyspace " + std::string(keyspace));
      }
    }
    auto rf = given.find("replication_factor");
    std::string factor = rf == given.end() ? kDefaultRf : rf->second;
    PF_RETURN_IF_ERROR(CheckReplicationFactor(factor));
    out["replication_factor"] = factor;
    return out;
  }
  if (full == topology) {
    for (const auto& [k, v] : given) {
      if (k != "replication_factor" && ascii::Lower(k) == "replication_factor") {
        return ConfigError(
            "replication_factor should not appear as an option at construction time for "
            "NetworkTopologyStrategy");
      }
    }
    // 'replication_factor' (or nothing at all) stands for every data center not named: this
    // node's.
    auto rf = given.find("replication_factor");
    bool names_dc = false;
    for (const auto& [k, v] : given)
      names_dc = names_dc || (k != "class" && k != "replication_factor");
    std::map<std::string, std::string> dcs;
    for (const auto& [k, v] : given) {
      if (k != "class" && k != "replication_factor") dcs[k] = v;
    }
    if (!dcs.count(identity.data_center)) {
      if (rf != given.end()) {
        dcs[identity.data_center] = rf->second;
      } else if (!names_dc) {
        dcs[identity.data_center] = kDefaultRf;
      }
    }
    for (const auto& [dc, factor] : dcs) PF_RETURN_IF_ERROR(CheckReplicationFactor(factor));
    for (const auto& [dc, factor] : dcs) {
      if (dc != identity.data_center) {
        return ConfigError("Unrecognized strategy option {" + dc +
                           "} passed to NetworkTopologyStrategy for keyspace " +
                           std::string(keyspace));
      }
    }
    bool any = false;
    for (const auto& [dc, factor] : dcs) {
      if (*JavaParseInt(factor) > 0) {
        out[dc] = factor;
        any = true;
      }
    }
    if (!any) return ConfigError("Configuration for at least one datacenter must be present");
    return out;
  }
  const std::string short_name = cls->second;
  if (full == std::string(kLocatorPackage) + "LocalStrategy" ||
      full == std::string(kLocatorPackage) + "EverywhereStrategy") {
    return InvalidRequest("Unable to use given strategy class: " + short_name +
                          " is reserved for internal use.");
  }
  return ConfigError("Unable to find replication strategy class '" + full + "'");
}

std::optional<std::string> FirstUnknownProperty(const std::vector<std::string>& names,
                                                const std::set<std::string>& known) {
  for (const std::string& name : JavaHashOrder(names)) {
    if (!known.count(name)) return name;
  }
  return std::nullopt;
}

Status ApplyTableOptions(const OptionMap& options, TableOptionsContext context, TableParams* p,
                         std::optional<cql::Uuid>* id) {
  static const std::set<std::string> kTableOptions = {"allow_auto_snapshot",
                                                      "bloom_filter_fp_chance",
                                                      "caching",
                                                      "comment",
                                                      "compaction",
                                                      "compression",
                                                      "memtable",
                                                      "default_time_to_live",
                                                      "extensions",
                                                      "gc_grace_seconds",
                                                      "incremental_backups",
                                                      "max_index_interval",
                                                      "memtable_flush_period_in_ms",
                                                      "min_index_interval",
                                                      "speculative_retry",
                                                      "additional_write_policy",
                                                      "crc_check_chance",
                                                      "cdc",
                                                      "read_repair",
                                                      "id"};
  std::vector<std::string> names;
  for (const auto& [raw_name, v] : options) names.push_back(raw_name);
  bool bloom_given = false;
  // One option: its value parsed (TableAttributes.build) and, with `ranges`, its bounds checked
  // (TableParams.validate).
  auto apply = [&](const std::string& raw_name, const OptionValue& v, bool ranges) -> Status {
    std::string name = ascii::Lower(raw_name);
    if (name == "comment") {
      PF_ASSIGN_OR_RETURN(p->comment, OptionString(name, v));
    } else if (name == "bloom_filter_fp_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (ranges && (d <= kMinBloomFilterFpChance || d > 1)) {
        return ConfigError("bloom_filter_fp_chance must be larger than " +
                           cql::JavaFloatText(kMinBloomFilterFpChance) +
                           " and less than or equal to 1.0 (got " + cql::JavaFloatText(d) + ")");
      }
      p->bloom_filter_fp_chance = d;
      bloom_given = true;
    } else if (name == "crc_check_chance") {
      PF_ASSIGN_OR_RETURN(double d, OptionDouble(name, v));
      if (ranges && (d < 0 || d > 1)) {
        return ConfigError(
            "crc_check_chance must be larger than or equal to 0 and smaller than or equal to 1.0 "
            "(got " +
            cql::JavaFloatText(d) + ")");
      }
      p->crc_check_chance = d;
    } else if (name == "caching") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->caching, CachingOption(m));
    } else if (name == "cdc") {
      PF_ASSIGN_OR_RETURN(p->cdc, ParseBooleanOption(name, v));
    } else if (name == "allow_auto_snapshot") {
      PF_ASSIGN_OR_RETURN(bool b, ParseBooleanOption(name, v));
      p->allow_auto_snapshot = b;
    } else if (name == "incremental_backups") {
      PF_ASSIGN_OR_RETURN(bool b, ParseBooleanOption(name, v));
      p->incremental_backups = b;
    } else if (name == "compaction") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compaction, CompactionOption(std::move(m)));
    } else if (name == "compression") {
      PF_ASSIGN_OR_RETURN(auto m, OptionMapValue(name, v));
      PF_ASSIGN_OR_RETURN(p->compression, CompressionOption(std::move(m)));
    } else if (name == "default_time_to_live") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (ranges && n < 0) {
        return ConfigError("default_time_to_live must be greater than or equal to 0 (got " +
                           std::to_string(n) + ")");
      }
      if (ranges && n > kMaxTtlSeconds) {
        return ConfigError("default_time_to_live must be less than or equal to " +
                           std::to_string(kMaxTtlSeconds) + " (got " + std::to_string(n) + ")");
      }
      p->default_time_to_live = n;
    } else if (name == "gc_grace_seconds") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (ranges && n < 0) {
        return ConfigError("gc_grace_seconds must be greater than or equal to 0 (got " +
                           std::to_string(n) + ")");
      }
      p->gc_grace_seconds = n;
    } else if (name == "max_index_interval") {
      PF_ASSIGN_OR_RETURN(p->max_index_interval, OptionInt(name, v));
    } else if (name == "min_index_interval") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (ranges && n < 1) {
        return ConfigError("min_index_interval must be greater than or equal to 1 (got " +
                           std::to_string(n) + ")");
      }
      p->min_index_interval = n;
    } else if (name == "memtable_flush_period_in_ms") {
      PF_ASSIGN_OR_RETURN(int32_t n, OptionInt(name, v));
      if (ranges && n < 0) {
        return ConfigError("memtable_flush_period_in_ms must be greater than or equal to 0 (got " +
                           std::to_string(n) + ")");
      }
      p->memtable_flush_period_in_ms = n;
    } else if (name == "memtable") {
      PF_ASSIGN_OR_RETURN(std::string memtable, OptionString(name, v));
      // The default configuration defines no memtable configuration but "default".
      if (memtable != "default") {
        return ConfigError("Memtable configuration \"" + memtable + "\" not found.");
      }
      p->memtable = memtable;
    } else if (name == "read_repair") {
      std::string t = ascii::Upper(v.text);
      if (v.map || (t != "BLOCKING" && t != "NONE")) {
        // Cassandra lets ReadRepairStrategy.valueOf's exception through as a server error.
        return CqlError(cql::ErrorCode::kServerError,
                        "java.lang.IllegalArgumentException: No enum constant "
                        "org.apache.cassandra.service.reads.repair.ReadRepairStrategy." +
                            t);
      }
      p->read_repair = t;
    } else if (name == "speculative_retry") {
      PF_ASSIGN_OR_RETURN(p->speculative_retry, RetryPolicyOption(v));
    } else if (name == "additional_write_policy") {
      PF_ASSIGN_OR_RETURN(p->additional_write_policy, RetryPolicyOption(v));
    } else if (name == "extensions") {
      // Cassandra 5.0 takes the option with any value and keeps nothing of it (TableAttributes
      // builds no extensions): system_schema.tables and DESCRIBE show {}.
    } else if (name == "id") {
      if (!ranges) return Status::Ok();  // checked with the statement, after the names
      if (context == TableOptionsContext::kAlter) return ConfigError("Cannot alter table id.");
      auto parsed = cql::Uuid::Parse(v.text);
      if (v.map || !parsed.ok()) return ConfigError("Invalid table id");
      if (id != nullptr) *id = *parsed;
    } else if (ranges) {
      return SyntaxError("Unknown property '" + raw_name + "'");
    }
    return Status::Ok();
  };
  // Cassandra parses the option values (in TableAttributes.build's order) before it checks their
  // names (CREATE and ALTER TABLE read the parameters for their TTL check first); bounds come
  // last, after every value parsed.
  static const std::vector<std::string> kBuildOrder = {
      "allow_auto_snapshot", "bloom_filter_fp_chance", "caching", "comment", "compaction",
      "compression", "memtable", "default_time_to_live", "gc_grace_seconds",
      "incremental_backups", "max_index_interval", "memtable_flush_period_in_ms",
      "min_index_interval", "speculative_retry", "additional_write_policy", "crc_check_chance",
      "cdc", "read_repair"};
  auto parse_values = [&]() -> Status {
    for (const std::string& option : kBuildOrder) {
      for (const auto& [raw_name, v] : options) {
        if (ascii::Lower(raw_name) == option) PF_RETURN_IF_ERROR(apply(raw_name, v, false));
      }
    }
    return Status::Ok();
  };
  PF_RETURN_IF_ERROR(parse_values());
  if (auto unknown = FirstUnknownProperty(names, kTableOptions)) {
    return SyntaxError("Unknown property '" + *unknown + "'");
  }
  for (const auto& [raw_name, v] : options) PF_RETURN_IF_ERROR(apply(raw_name, v, true));
  // A new table's bloom filter default follows its compaction: 0.1 for leveled, else 0.01.
  if (context == TableOptionsContext::kCreate && !bloom_given &&
      p->compaction.at("class") == std::string(kCompactionPackage) + "LeveledCompactionStrategy") {
    p->bloom_filter_fp_chance = 0.1;
  }
  if (p->max_index_interval < p->min_index_interval) {
    return ConfigError("max_index_interval must be greater than or equal to min_index_interval (" +
                       std::to_string(p->min_index_interval) + ") (got " +
                       std::to_string(p->max_index_interval) + ")");
  }
  return Status::Ok();
}

}  // namespace postfork::node
