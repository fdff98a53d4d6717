#include "node/cql3/statements/schema_statement.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <vector>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/db/schema_options.h"
#include "node/java_hash_order.h"
#include "postfork/base/ascii.h"

namespace postfork::node::cql3 {
namespace {

Status NoKeyspace() {
  return InvalidRequest(
      "No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename");
}

OptionMap ToOptions(const Properties& props) {
  OptionMap out;
  for (const auto& [name, value] : props) {
    OptionValue v;
    v.text = value.text;
    if (value.is_map) v.map = value.map;
    out[name] = std::move(v);
  }
  return out;
}

Result<KeyspaceDefinition> ToKeyspaceDefinition(const std::string& name, const Properties& props,
                                                bool require_replication) {
  KeyspaceDefinition def;
  def.name = name;
  // KeyspaceAttributes.validate: every name is checked before any value.
  std::vector<std::string> names;
  for (const auto& [raw_key, value] : props) names.push_back(raw_key);
  if (auto unknown = FirstUnknownProperty(names, {"replication", "durable_writes"})) {
    return SyntaxError(fmt::format("Unknown property '{}'", *unknown));
  }
  for (const auto& [raw_key, value] : props) {
    std::string key = ascii::Lower(raw_key);
    if (key == "replication") {
      if (!value.is_map) {
        return SyntaxError("Invalid value for property 'replication'. It should be a map.");
      }
      def.replication = value.map;
    } else if (key == "durable_writes") {
      OptionValue v;
      v.text = value.text;
      if (value.is_map) v.map = value.map;
      PF_ASSIGN_OR_RETURN(def.durable_writes, ParseBooleanOption("durable_writes", v));
    } else {
      return SyntaxError(fmt::format("Unknown property '{}'", raw_key));
    }
  }
  if (require_replication && def.replication.empty()) {
    return InvalidRequest("Missing mandatory option 'replication'");
  }
  return def;
}

// The parser's type text (`name` or `name<param, ...>`, spaces after commas) split into its
// head and top-level parameters.
std::pair<std::string_view, std::vector<std::string_view>> SplitType(std::string_view text) {
  size_t open = text.find('<');
  if (open == std::string_view::npos || text.back() != '>') return {text, {}};
  std::vector<std::string_view> params;
  int depth = 0;
  size_t start = open + 1;
  for (size_t i = start; i + 1 < text.size(); ++i) {
    if (text[i] == '<') ++depth;
    if (text[i] == '>') --depth;
    if (text[i] == ',' && depth == 0) {
      params.push_back(text.substr(start, i - start));
      start = i + 2;  // ", "
    }
  }
  params.push_back(text.substr(start, text.size() - 1 - start));
  return {text.substr(0, open), params};
}

// Cassandra's rule for what a collection holds, checked on the type as written (descriptors
// freeze nested types): no non-frozen collection or user type inside a non-frozen collection.
Status CheckNestedFrozen(std::string_view text, std::string_view whole) {
  auto [head, params] = SplitType(text);
  if (head == "frozen" || head == "'") return Status::Ok();
  bool collection = head == "list" || head == "set" || head == "map";
  for (std::string_view p : params) {
    if (collection) {
      auto inner = SplitType(p).first;
      if (inner == "list" || inner == "set" || inner == "map") {
        return InvalidRequest(
            fmt::format("Non-frozen collections are not allowed inside collections: {}", whole));
      }
      auto native = cql::DataType::Parse(p);
      if (!native.ok() && inner != "frozen" && inner != "tuple") {
        return InvalidRequest(
            fmt::format("Non-frozen UDTs are not allowed inside collections: {}", whole));
      }
    }
    PF_RETURN_IF_ERROR(CheckNestedFrozen(p, whole));
  }
  return Status::Ok();
}

// CQL3Type.Raw.freeze, which Cassandra's parser calls: frozen<> of a native type is a syntax
// error at any depth.
Status CheckFrozenArguments(std::string_view text) {
  auto [head, params] = SplitType(text);
  if (head == "'") return Status::Ok();
  for (std::string_view p : params) {
    if (head == "frozen" && p.find('<') == std::string_view::npos && cql::DataType::Parse(p).ok()) {
      return SyntaxError(fmt::format(
          "frozen<> is only allowed on collections, tuples, and user-defined types (got {})", p));
    }
    PF_RETURN_IF_ERROR(CheckFrozenArguments(p));
  }
  return Status::Ok();
}

// A type as written, with user type names resolved in `keyspace` of the executing snapshot.
Result<cql::DataType> ResolveType(const SchemaSnapshot& schema, const std::string& keyspace,
                                  const std::string& text) {
  const KeyspaceMetadata* ks = schema.FindKeyspace(keyspace);
  if (ks == nullptr) return InvalidRequest(fmt::format("Keyspace '{}' doesn't exist", keyspace));
  return cql3::ResolveType(*ks, text);
}

// A user type field's type. Cassandra refuses a non-frozen user type name before resolving it,
// so an unknown bare name gets that refusal too.
Result<cql::DataType> ResolveFieldType(const SchemaSnapshot& schema, const std::string& keyspace,
                                       const std::string& text) {
  auto type = ResolveType(schema, keyspace, text);
  if (type.ok() || text.empty()) return type;
  bool bare = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '"';
  });
  if (bare) return InvalidRequest("A user type cannot contain non-frozen UDTs");
  return type;
}

Result<std::vector<node::ColumnDefinition>> ToColumns(
    const SchemaSnapshot& schema, const std::string& keyspace,
    const std::vector<cql3::ColumnDefinition>& cols) {
  std::vector<node::ColumnDefinition> out;
  for (const auto& c : cols) {
    PF_ASSIGN_OR_RETURN(cql::DataType type, ResolveType(schema, keyspace, c.type));
    out.push_back(node::ColumnDefinition{c.name, std::move(type), c.is_static});
  }
  return out;
}

// Cassandra warns, on each new storage-attached index, once per SAI index on a vector column of
// the table (its experimental-feature warning).
void AddSaiWarnings(ExecutionContext& ctx, const IndexDefinition& def) {
  auto table = ctx.db->schema().snapshot()->FindTable(def.keyspace, def.table);
  if (!table) return;
  for (const auto& index : table->indexes) {
    const ColumnMetadata* column = nullptr;
    for (const auto& c : table->columns) {
      if (c.id == index.column_id) column = &c;
    }
    if (!IsStorageAttached(index) || !column || column->type.kind() != cql::TypeKind::kVector) {
      continue;
    }
    ctx.warnings.push_back(
        "SAI ANN indexes on vector columns are experimental and are not recommended for "
        "production use.\nThey don't yet support SELECT queries with:\n * Consistency level "
        "higher than ONE/LOCAL_ONE.\n * Paging.\n * No LIMIT clauses.\n * PER PARTITION LIMIT "
        "clauses.\n * GROUP BY clauses.\n * Aggregation functions.\n * Filters on columns "
        "without a SAI index.");
  }
}

// One class for every schema statement: the work is a call into the SchemaStore.
class SchemaStatement final : public CqlStatement {
 public:
  using Action = std::function<Result<StatementResult>(ExecutionContext&)>;
  SchemaStatement(std::string_view kind, std::string keyspace, std::string table, Action action)
      : kind_(kind), action_(std::move(action)) {
    keyspace_ = std::move(keyspace);
    table_ = std::move(table);
  }
  std::string_view kind() const override { return kind_; }
  Result<StatementResult> Execute(ExecutionContext& ctx) const override { return action_(ctx); }

 private:
  std::string_view kind_;
  Action action_;
};

Result<StatementResult> ChangeResult(Result<std::optional<cql::SchemaChange>> r) {
  if (!r.ok()) return r.error();
  StatementResult out;
  if (*r) {
    out.body = SchemaChangeBody(**r);
    out.schema_change = std::move(**r);
  } else {
    out.body = VoidResultBody();
  }
  return out;
}

// The full replication factor of `ks` in `dc` ("" for SimpleStrategy's one), or of all of it
// (the sum over datacenters) when `dc` is nullptr.
int ReplicationFactor(const KeyspaceMetadata& ks, const std::string* dc) {
  int total = 0;
  for (const auto& [key, value] : ks.replication) {
    if (key == "class") continue;
    if (dc == nullptr || key == *dc) total += std::atoi(value.c_str());
  }
  return total;
}

// The warnings Cassandra sends when a keyspace's replication is set (SimpleStrategy and
// NetworkTopologyStrategy maybeWarnOnOptions: a factor above the nodes of its datacenter, one
// here in the node's datacenter and none elsewhere), then for an ALTER that raises the total
// factor (AlterKeyspaceStatement.clientWarnings).
void ReplicationWarnings(const KeyspaceMetadata* before, const KeyspaceMetadata& after,
                         const std::string& local_dc, std::vector<std::string>* warnings) {
  auto cls = after.replication.find("class");
  const std::string strategy = cls == after.replication.end() ? "" : cls->second;
  if (strategy.ends_with("SimpleStrategy")) {
    int rf = ReplicationFactor(after, nullptr);
    if (rf > 1) {
      warnings->push_back(fmt::format(
          "Your replication factor {} for keyspace {} is higher than the number of nodes 1", rf,
          after.name));
    }
  } else if (strategy.ends_with("NetworkTopologyStrategy")) {
    std::vector<std::string> dcs;
    for (const auto& [key, value] : after.replication) {
      if (key != "class") dcs.push_back(key);
    }
    for (const std::string& dc : JavaHashOrder(dcs)) {
      int rf = ReplicationFactor(after, &dc);
      if (dc == local_dc && rf > 1) {
        warnings->push_back(fmt::format(
            "Your replication factor {} for keyspace {} is higher than the number of nodes 1 for "
            "datacenter {}",
            rf, after.name, dc));
      }
    }
  }
  if (before != nullptr &&
      ReplicationFactor(*before, nullptr) < ReplicationFactor(after, nullptr)) {
    warnings->push_back(
        "When increasing replication factor you need to run a full (-full) repair to distribute "
        "the data.");
  }
}

// A keyspace change's result, with the replication warnings when the keyspace changed.
Result<StatementResult> KeyspaceChangeResult(ExecutionContext& ctx, const std::string& name,
                                             bool alter,
                                             Result<std::optional<cql::SchemaChange>> r) {
  const bool changed = r.ok() && r->has_value();
  PF_ASSIGN_OR_RETURN(StatementResult out, ChangeResult(std::move(r)));
  if (!changed) return out;
  auto now = ctx.db->schema().snapshot();
  const KeyspaceMetadata* after = now->FindKeyspace(name);
  if (after == nullptr) return out;
  ReplicationWarnings(alter ? ctx.schema->FindKeyspace(name) : nullptr, *after,
                      ctx.db->schema().identity().data_center, &ctx.warnings);
  return out;
}

}  // namespace

Result<cql::DataType> ResolveType(const KeyspaceMetadata& keyspace, const std::string& text) {
  PF_RETURN_IF_ERROR(CheckFrozenArguments(text));
  PF_RETURN_IF_ERROR(CheckNestedFrozen(text, text));
  KeyspaceTypeResolver resolver(&keyspace);
  auto type = cql::DataType::Parse(text, &resolver, keyspace.name);
  if (type.ok()) return type;
  if (type.error().code() == StatusCode::kServerError) return type.error();
  if (type.error().message().starts_with("vectors may only have positive dimensions"))
    return InvalidRequest(type.error().message());
  return InvalidRequest(fmt::format("Unknown type {}", text));
}

std::string SchemaChangeBody(const cql::SchemaChange& change) {
  std::string body;
  cql::ByteWriter w(&body);
  w.WriteInt(static_cast<int32_t>(cql::ResultKind::kSchemaChange));
  change.Encode(w);
  return body;
}

Result<std::unique_ptr<CqlStatement>> PrepareSchemaStatement(const Statement& stmt,
                                                             const SchemaSnapshot& schema,
                                                             std::string_view keyspace) {
  auto table_ks = [&](const TableName& t) -> Result<std::string> {
    if (!t.keyspace.empty()) return t.keyspace;
    if (keyspace.empty()) return NoKeyspace();
    return std::string(keyspace);
  };
  std::unique_ptr<CqlStatement> out;
  if (auto* s = std::get_if<UseStatement>(&stmt)) {
    std::string ks = s->keyspace;
    out = std::make_unique<SchemaStatement>(
        "use", ks, "", [ks](ExecutionContext& ctx) -> Result<StatementResult> {
          if (!ctx.schema->FindKeyspace(ks)) {
            return InvalidRequest(fmt::format("Keyspace '{}' does not exist", ks));
          }
          StatementResult r;
          cql::ByteWriter w(&r.body);
          w.WriteInt(static_cast<int32_t>(cql::ResultKind::kSetKeyspace));
          w.WriteString(ks);
          r.set_keyspace = ks;
          return r;
        });
  } else if (auto* s = std::get_if<CreateKeyspaceStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(KeyspaceDefinition def,
                        ToKeyspaceDefinition(s->keyspace, s->properties, true));
    bool ine = s->if_not_exists;
    out = std::make_unique<SchemaStatement>(
        "create_keyspace", s->keyspace, "", [def, ine](ExecutionContext& ctx) {
          return KeyspaceChangeResult(ctx, def.name, false,
                                      ctx.db->schema().CreateKeyspace(def, ine));
        });
  } else if (auto* s = std::get_if<AlterKeyspaceStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(KeyspaceDefinition def,
                        ToKeyspaceDefinition(s->keyspace, s->properties, false));
    bool ie = s->if_exists;
    out = std::make_unique<SchemaStatement>(
        "alter_keyspace", s->keyspace, "", [def, ie](ExecutionContext& ctx) {
          return KeyspaceChangeResult(ctx, def.name, true, ctx.db->schema().AlterKeyspace(def, ie));
        });
  } else if (auto* s = std::get_if<DropKeyspaceStatement>(&stmt)) {
    std::string ks = s->keyspace;
    bool ie = s->if_exists;
    out =
        std::make_unique<SchemaStatement>("drop_keyspace", ks, "", [ks, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().DropKeyspace(ks, ie));
        });
  } else if (auto* s = std::get_if<CreateTableStatement>(&stmt)) {
    TableDefinition def;
    PF_ASSIGN_OR_RETURN(def.keyspace, table_ks(s->table));
    def.name = s->table.name;
    def.partition_key = s->partition_key;
    def.clustering_key = s->clustering;
    def.clustering_order = s->clustering_order;
    def.options = ToOptions(s->properties);
    def.compact_storage = s->compact_storage;
    if (def.partition_key.empty()) {
      return InvalidRequest("No PRIMARY KEY specifed for table '" + def.name +
                            "' (exactly one required)");
    }
    bool ine = s->if_not_exists;
    std::vector<cql3::ColumnDefinition> columns = s->columns;
    out = std::make_unique<SchemaStatement>(
        "create_table", def.keyspace, def.name,
        [def, ine, columns](ExecutionContext& ctx) mutable -> Result<StatementResult> {
          if (!ctx.schema->FindKeyspace(def.keyspace)) {
            return ChangeResult(ctx.db->schema().CreateTable(def, ine));  // its error
          }
          PF_ASSIGN_OR_RETURN(def.columns, ToColumns(*ctx.schema, def.keyspace, columns));
          return ChangeResult(ctx.db->schema().CreateTable(def, ine));
        });
  } else if (auto* s = std::get_if<AlterTableStatement>(&stmt)) {
    AlterTableDefinition def;
    PF_ASSIGN_OR_RETURN(def.keyspace, table_ks(s->table));
    def.name = s->table.name;
    def.if_exists = s->if_exists;
    def.if_column_exists = s->if_column_exists;
    switch (s->kind) {
      case AlterTableStatement::Kind::kAdd:
        def.kind = AlterTableDefinition::Kind::kAddColumns;
        break;
      case AlterTableStatement::Kind::kDrop:
        def.kind = AlterTableDefinition::Kind::kDropColumns;
        def.drop = s->drop;
        def.drop_timestamp = s->drop_timestamp;
        break;
      case AlterTableStatement::Kind::kWith:
        def.kind = AlterTableDefinition::Kind::kOptions;
        def.options = ToOptions(s->properties);
        break;
      case AlterTableStatement::Kind::kRename:
        def.kind = AlterTableDefinition::Kind::kRename;
        def.renames = s->renames;
        break;
      case AlterTableStatement::Kind::kDropCompactStorage:
        def.kind = AlterTableDefinition::Kind::kDropCompactStorage;
        break;
      default:
        return InvalidRequest("Unsupported ALTER TABLE");
    }
    std::vector<cql3::ColumnDefinition> add = s->add;
    out = std::make_unique<SchemaStatement>(
        "alter_table", def.keyspace, def.name,
        [def, add](ExecutionContext& ctx) mutable -> Result<StatementResult> {
          if (!add.empty() && ctx.schema->FindKeyspace(def.keyspace)) {
            PF_ASSIGN_OR_RETURN(def.add, ToColumns(*ctx.schema, def.keyspace, add));
          }
          return ChangeResult(ctx.db->schema().AlterTable(def));
        });
  } else if (auto* s = std::get_if<DropTableStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->table));
    std::string name = s->table.name;
    bool ie = s->if_exists;
    out = std::make_unique<SchemaStatement>(
        "drop_table", ks, name, [ks, name, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().DropTable(ks, name, ie));
        });
  } else if (auto* s = std::get_if<CreateTypeStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->type));
    std::string name = s->type.name;
    bool ine = s->if_not_exists;
    std::vector<cql3::ColumnDefinition> fields = s->fields;
    out = std::make_unique<SchemaStatement>(
        "create_type", ks, "",
        [ks, name, ine, fields](ExecutionContext& ctx) -> Result<StatementResult> {
          UserTypeDefinition def;
          def.keyspace = ks;
          def.name = name;
          if (ctx.schema->FindKeyspace(ks)) {
            for (const auto& f : fields) {
              PF_ASSIGN_OR_RETURN(cql::DataType type, ResolveFieldType(*ctx.schema, ks, f.type));
              def.field_names.push_back(f.name);
              def.field_types.push_back(std::move(type));
            }
          }
          return ChangeResult(ctx.db->schema().CreateType(def, ine));
        });
  } else if (auto* s = std::get_if<AlterTypeStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->type));
    AlterTypeDefinition def;
    def.keyspace = ks;
    def.name = s->type.name;
    def.if_exists = s->if_exists;
    def.if_field_not_exists = s->if_field_not_exists;
    def.renames = s->renames;
    std::optional<cql3::ColumnDefinition> add = s->add;
    out = std::make_unique<SchemaStatement>(
        "alter_type", ks, "", [def, add](ExecutionContext& ctx) mutable -> Result<StatementResult> {
          if (add && ctx.schema->FindKeyspace(def.keyspace)) {
            PF_ASSIGN_OR_RETURN(cql::DataType type,
                                ResolveFieldType(*ctx.schema, def.keyspace, add->type));
            def.add = std::make_pair(add->name, std::move(type));
          }
          return ChangeResult(ctx.db->schema().AlterType(def));
        });
  } else if (auto* s = std::get_if<DropTypeStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->type));
    std::string name = s->type.name;
    bool ie = s->if_exists;
    out = std::make_unique<SchemaStatement>(
        "drop_type", ks, "", [ks, name, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().DropType(ks, name, ie));
        });
  } else if (auto* s = std::get_if<CreateIndexStatement>(&stmt)) {
    IndexDefinition def;
    if (!s->table.keyspace.empty()) {
      def.keyspace = s->table.keyspace;
    } else if (!s->keyspace_of_name.empty()) {
      def.keyspace = s->keyspace_of_name;
    } else {
      PF_ASSIGN_OR_RETURN(def.keyspace, table_ks(s->table));
    }
    if (!s->keyspace_of_name.empty() && s->keyspace_of_name != def.keyspace) {
      return InvalidRequest(fmt::format("Keyspace name '{}' doesn't match index name '{}'",
                                        def.keyspace, s->table.name));
    }
    def.table = s->table.name;
    def.name = s->name;
    def.column = s->column;
    def.target = static_cast<IndexTarget>(s->target);  // same enumerators, same order
    // IndexAttributes.validate; USING without CUSTOM makes a custom index in Cassandra 5.0.
    if (s->custom && s->using_class.empty()) {
      // Cassandra 5.0 takes its default_secondary_index (legacy_local_table) as the class.
      return ConfigError("Unable to find custom indexer class 'legacy_local_table'");
    }
    if (s->using_class.empty() && !s->options.empty()) {
      return InvalidRequest("Cannot specify options for a non-CUSTOM index");
    }
    for (const auto& [option, value] : s->options) {
      if (option == "class_name" || option == "target") {
        return InvalidRequest(fmt::format("Cannot specify {} as a CUSTOM option", option));
      }
    }
    def.custom_class = s->using_class;
    def.options = s->options;
    bool ine = s->if_not_exists;
    out = std::make_unique<SchemaStatement>(
        "create_index", def.keyspace, def.table, [def, ine](ExecutionContext& ctx) {
          auto change = ctx.db->schema().CreateIndex(def, ine);
          if (change.ok() && *change && !def.custom_class.empty()) AddSaiWarnings(ctx, def);
          return ChangeResult(std::move(change));
        });
  } else if (auto* s = std::get_if<DropIndexStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->index));
    std::string name = s->index.name;
    bool ie = s->if_exists;
    std::string indexed_table;  // for the authorizer; "" when there is no such index
    if (const KeyspaceMetadata* k = schema.FindKeyspace(ks)) {
      for (const auto& [table_name, t] : k->tables) {
        for (const auto& index : t->indexes) {
          if (index.name == name) indexed_table = table_name;
        }
      }
    }
    out = std::make_unique<SchemaStatement>(
        "drop_index", ks, indexed_table, [ks, name, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().DropIndex(ks, name, ie));
        });
  } else if (auto* s = std::get_if<TruncateStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->table));
    std::string name = s->table.name;
    if (!schema.FindKeyspace(ks)) return UnknownKeyspace(ks);
    if (!schema.FindTable(ks, name)) return UnknownTable(name);
    out = std::make_unique<SchemaStatement>(
        "truncate", ks, name, [ks, name](ExecutionContext& ctx) -> Result<StatementResult> {
          PF_RETURN_IF_ERROR(ctx.db->schema().Truncate(ks, name));
          StatementResult r;
          r.body = VoidResultBody();
          return r;
        });
  } else {
    return InvalidRequest("not a schema statement");
  }
  return out;
}

}  // namespace postfork::node::cql3
