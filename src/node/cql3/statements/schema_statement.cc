#include "node/cql3/statements/schema_statement.h"

#include <fmt/format.h>

#include "node/cql3/values.h"

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
  for (const auto& [key, value] : props) {
    if (key == "replication") {
      if (!value.is_map)
        return Status(StatusCode::kServerError, "Invalid replication",
                      static_cast<int>(cql::ErrorCode::kSyntaxError));
      def.replication = value.map;
    } else if (key == "durable_writes") {
      if (value.text != "true" && value.text != "false") {
        return Status(StatusCode::kServerError,
                      fmt::format("Invalid boolean value {} for 'durable_writes'", value.text),
                      static_cast<int>(cql::ErrorCode::kSyntaxError));
      }
      def.durable_writes = value.text == "true";
    } else {
      return Status(StatusCode::kServerError, fmt::format("Unknown property '{}'", key),
                    static_cast<int>(cql::ErrorCode::kSyntaxError));
    }
  }
  if (require_replication && def.replication.empty()) {
    return Status(StatusCode::kServerError, "Missing mandatory option 'replication'",
                  static_cast<int>(cql::ErrorCode::kConfigError));
  }
  return def;
}

Result<std::vector<node::ColumnDefinition>> ToColumns(
    const std::vector<cql3::ColumnDefinition>& cols) {
  std::vector<node::ColumnDefinition> out;
  for (const auto& c : cols) {
    auto type = cql::DataType::Parse(c.type);
    if (!type.ok()) {
      return InvalidRequest(fmt::format("Unknown type {}", c.type));
    }
    out.push_back(node::ColumnDefinition{c.name, *type, c.is_static});
  }
  return out;
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

}  // namespace

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
          return ChangeResult(ctx.db->schema().CreateKeyspace(def, ine));
        });
  } else if (auto* s = std::get_if<AlterKeyspaceStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(KeyspaceDefinition def,
                        ToKeyspaceDefinition(s->keyspace, s->properties, false));
    bool ie = s->if_exists;
    out = std::make_unique<SchemaStatement>(
        "alter_keyspace", s->keyspace, "", [def, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().AlterKeyspace(def, ie));
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
    PF_ASSIGN_OR_RETURN(def.columns, ToColumns(s->columns));
    def.partition_key = s->partition_key;
    def.clustering_key = s->clustering;
    def.clustering_order = s->clustering_order;
    def.options = ToOptions(s->properties);
    if (s->compact_storage) {
      return InvalidRequest("COMPACT STORAGE tables are not supported");
    }
    if (def.partition_key.empty()) {
      return InvalidRequest("No PRIMARY KEY specifed for table '" + def.name +
                            "' (exactly one required)");
    }
    bool ine = s->if_not_exists;
    out = std::make_unique<SchemaStatement>(
        "create_table", def.keyspace, def.name, [def, ine](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().CreateTable(def, ine));
        });
  } else if (auto* s = std::get_if<AlterTableStatement>(&stmt)) {
    AlterTableDefinition def;
    PF_ASSIGN_OR_RETURN(def.keyspace, table_ks(s->table));
    def.name = s->table.name;
    def.if_exists = s->if_exists;
    def.if_column_exists = s->if_column_exists;
    switch (s->kind) {
      case AlterTableStatement::Kind::kAdd: {
        def.kind = AlterTableDefinition::Kind::kAddColumns;
        PF_ASSIGN_OR_RETURN(def.add, ToColumns(s->add));
        break;
      }
      case AlterTableStatement::Kind::kDrop:
        def.kind = AlterTableDefinition::Kind::kDropColumns;
        def.drop = s->drop;
        break;
      case AlterTableStatement::Kind::kWith:
        def.kind = AlterTableDefinition::Kind::kOptions;
        def.options = ToOptions(s->properties);
        break;
      default:
        return InvalidRequest("Unsupported ALTER TABLE");
    }
    out = std::make_unique<SchemaStatement>(
        "alter_table", def.keyspace, def.name,
        [def](ExecutionContext& ctx) { return ChangeResult(ctx.db->schema().AlterTable(def)); });
  } else if (auto* s = std::get_if<DropTableStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->table));
    std::string name = s->table.name;
    bool ie = s->if_exists;
    out = std::make_unique<SchemaStatement>(
        "drop_table", ks, name, [ks, name, ie](ExecutionContext& ctx) {
          return ChangeResult(ctx.db->schema().DropTable(ks, name, ie));
        });
  } else if (auto* s = std::get_if<TruncateStatement>(&stmt)) {
    PF_ASSIGN_OR_RETURN(std::string ks, table_ks(s->table));
    std::string name = s->table.name;
    if (!schema.FindKeyspace(ks)) {
      return InvalidRequest(fmt::format("Keyspace '{}' does not exist", ks));
    }
    if (!schema.FindTable(ks, name)) return InvalidRequest("unconfigured table " + name);
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
