#include "driver/cluster/topology.h"

#include <algorithm>
#include <cstdlib>

namespace postfork::driver {

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string ReplicationQuery(std::string_view keyspace) {
  return "SELECT * FROM system_schema.keyspaces WHERE keyspace_name = " + QuoteLiteral(keyspace);
}
std::string TablesQuery(std::string_view keyspace) {
  return "SELECT * FROM system_schema.tables WHERE keyspace_name = " + QuoteLiteral(keyspace);
}
std::string ColumnsQuery(std::string_view keyspace) {
  return "SELECT * FROM system_schema.columns WHERE keyspace_name = " + QuoteLiteral(keyspace);
}

namespace {

std::string TextOr(const Row& row, std::string_view column, std::string fallback = "") {
  auto v = row.Get<std::string>(column);
  return v.ok() ? *v : fallback;
}

std::string InetText(const Row& row, std::string_view column) {
  auto v = row.Get<cql::Inet>(column);
  if (v.ok()) return v->ToString();
  auto t = row.Get<std::string>(column);
  return t.ok() ? *t : "";
}

std::vector<int64_t> Tokens(const Row& row) {
  std::vector<int64_t> out;
  auto list = row.Get<cql::ValueList>("tokens");
  if (!list.ok()) return out;
  for (auto& v : *list) {
    if (auto s = v.get_if<std::string>()) {
      char* end = nullptr;
      long long t = std::strtoll(s->c_str(), &end, 10);
      if (end && *end == '\0' && !s->empty()) out.push_back(t);
    }
  }
  return out;
}

std::string UuidText(const Row& row, std::string_view column) {
  auto v = row.Get<cql::Uuid>(column);
  return v.ok() ? v->ToString() : "";
}

}  // namespace

Result<std::vector<HostInfo>> HostsFromSystemTables(const QueryResult& local,
                                                    const QueryResult& peers,
                                                    const std::string& connected_address,
                                                    uint16_t connected_port,
                                                    uint16_t default_port) {
  if (!local.ok()) return local.status();
  if (local.row_count() < 1) return Status(StatusCode::kMalformed, "system.local returned no row");
  std::vector<HostInfo> hosts;
  Row l = local.row(0);
  HostInfo self;
  self.address = connected_address;
  self.port = connected_port;
  self.datacenter = TextOr(l, "data_center");
  self.rack = TextOr(l, "rack");
  self.host_id = UuidText(l, "host_id");
  self.release_version = TextOr(l, "release_version");
  self.tokens = Tokens(l);
  hosts.push_back(std::move(self));
  if (!peers.ok()) return hosts;
  for (int32_t i = 0; i < peers.row_count(); ++i) {
    Row p = peers.row(i);
    HostInfo h;
    h.address = InetText(p, "native_address");
    if (h.address.empty()) h.address = InetText(p, "rpc_address");
    if (h.address.empty() || h.address == "0.0.0.0" || h.address == "::")
      h.address = InetText(p, "peer");
    auto port = p.Get<int32_t>("native_port");
    h.port = port.ok() && *port > 0 && *port < 65536 ? static_cast<uint16_t>(*port) : default_port;
    h.datacenter = TextOr(p, "data_center");
    h.rack = TextOr(p, "rack");
    h.host_id = UuidText(p, "host_id");
    h.release_version = TextOr(p, "release_version");
    h.tokens = Tokens(p);
    if (h.address.empty() || h.host_id.empty() || h.datacenter.empty() || h.tokens.empty())
      continue;
    if (h.address == hosts[0].address && h.port == hosts[0].port) continue;
    hosts.push_back(std::move(h));
  }
  return hosts;
}

std::map<std::string, std::string> ToStringMap(const cql::ValueMap& m) {
  std::map<std::string, std::string> out;
  for (auto& e : m) {
    auto k = e.key.get_if<std::string>();
    auto v = e.value.get_if<std::string>();
    if (k && v) out[*k] = *v;
  }
  return out;
}

ReplicationStrategy ReplicationStrategy::FromMap(const std::map<std::string, std::string>& m) {
  ReplicationStrategy s;
  auto cls = m.find("class");
  std::string name = cls == m.end() ? "" : cls->second;
  auto ends_with = [&name](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with("SimpleStrategy")) {
    s.kind = Kind::kSimple;
    auto rf = m.find("replication_factor");
    s.replication_factor = rf == m.end() ? 1 : std::atoi(rf->second.c_str());
  } else if (ends_with("NetworkTopologyStrategy")) {
    s.kind = Kind::kNetworkTopology;
    for (auto& [k, v] : m) {
      if (k == "class" || k == "replication_factor") continue;
      s.dc_factors[k] = std::atoi(v.c_str());
    }
  } else if (ends_with("LocalStrategy")) {
    s.kind = Kind::kLocal;
  } else {
    s.kind = Kind::kOther;
  }
  return s;
}

ReplicationStrategy ParseReplication(const cql::ValueMap& replication) {
  return ReplicationStrategy::FromMap(ToStringMap(replication));
}

Result<KeyspaceMetadata> KeyspaceFromSystemSchema(std::string_view keyspace,
                                                  const QueryResult& keyspaces,
                                                  const QueryResult& tables,
                                                  const QueryResult& columns) {
  if (!keyspaces.ok()) return keyspaces.status();
  if (!tables.ok()) return tables.status();
  if (!columns.ok()) return columns.status();
  if (keyspaces.row_count() < 1)
    return Status(StatusCode::kNotFound, "keyspace " + std::string(keyspace) + " does not exist");
  KeyspaceMetadata ks;
  ks.name = std::string(keyspace);
  Row k = keyspaces.row(0);
  if (auto d = k.Get<bool>("durable_writes"); d.ok()) ks.durable_writes = *d;
  if (auto r = k.Get<cql::ValueMap>("replication"); r.ok()) ks.replication = ToStringMap(*r);
  for (int32_t i = 0; i < tables.row_count(); ++i) {
    Row t = tables.row(i);
    TableMetadata tm;
    tm.keyspace = ks.name;
    tm.name = TextOr(t, "table_name");
    if (!tm.name.empty()) ks.tables[tm.name] = std::move(tm);
  }
  for (int32_t i = 0; i < columns.row_count(); ++i) {
    Row c = columns.row(i);
    auto table = ks.tables.find(TextOr(c, "table_name"));
    if (table == ks.tables.end()) continue;
    ColumnMetadata cm;
    cm.name = TextOr(c, "column_name");
    cm.type = TextOr(c, "type");
    cm.kind = TextOr(c, "kind");
    cm.clustering_order = TextOr(c, "clustering_order", "none");
    if (auto p = c.Get<int32_t>("position"); p.ok()) cm.position = *p;
    table->second.columns.push_back(std::move(cm));
  }
  auto rank = [](const ColumnMetadata& c) {
    if (c.kind == "partition_key") return 0;
    if (c.kind == "clustering") return 1;
    if (c.kind == "static") return 2;
    return 3;
  };
  for (auto& [name, t] : ks.tables) {
    std::stable_sort(t.columns.begin(), t.columns.end(),
                     [&](const ColumnMetadata& a, const ColumnMetadata& b) {
                       if (rank(a) != rank(b)) return rank(a) < rank(b);
                       if (rank(a) < 2) return a.position < b.position;
                       return a.name < b.name;
                     });
  }
  return ks;
}

namespace {
std::string QuoteIdent(const std::string& ident) {
  bool plain = !ident.empty() && !(ident[0] >= '0' && ident[0] <= '9');
  for (char c : ident)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) plain = false;
  if (plain) return ident;
  std::string out = "\"";
  for (char c : ident) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

std::string TableMetadata::ToCql() const {
  std::string out = "CREATE TABLE " + QuoteIdent(keyspace) + "." + QuoteIdent(name) + " (\n";
  std::vector<std::string> pk, ck;
  std::vector<std::string> orders;
  for (auto& c : columns) {
    out +=
        "    " + QuoteIdent(c.name) + " " + c.type + (c.kind == "static" ? " static" : "") + ",\n";
    if (c.kind == "partition_key") pk.push_back(QuoteIdent(c.name));
    if (c.kind == "clustering") {
      ck.push_back(QuoteIdent(c.name));
      orders.push_back(QuoteIdent(c.name) + (c.clustering_order == "desc" ? " DESC" : " ASC"));
    }
  }
  std::string key = pk.size() == 1 ? pk[0] : "(" + [&] {
    std::string s;
    for (size_t i = 0; i < pk.size(); ++i) s += (i ? ", " : "") + pk[i];
    return s;
  }() + ")";
  for (auto& c : ck) key += ", " + c;
  out += "    PRIMARY KEY (" + key + ")\n)";
  if (!orders.empty()) {
    out += " WITH CLUSTERING ORDER BY (";
    for (size_t i = 0; i < orders.size(); ++i) out += (i ? ", " : "") + orders[i];
    out += ")";
  }
  return out + ";";
}

std::string KeyspaceMetadata::ToCql() const {
  std::string out = "CREATE KEYSPACE " + QuoteIdent(name) + " WITH replication = {";
  bool first = true;
  for (auto& [k, v] : replication) {
    out += (first ? "" : ", ") + QuoteLiteral(k) + ": " + QuoteLiteral(v);
    first = false;
  }
  out += "} AND durable_writes = ";
  out += durable_writes ? "true;" : "false;";
  return out;
}

}  // namespace postfork::driver
