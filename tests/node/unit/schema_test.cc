// SchemaStore: DDL validation and errors, persistence, schema_version, and the system tables.
#include "node/db/schema_store.h"

#include <gtest/gtest.h>

#include <set>

#include "node/db/database.h"
#include "node/db/system_keyspaces.h"
#include "node/java_hash_order.h"
#include "postfork/cql/value.h"
#include "postfork/node/node.h"
#include "storage_test_util.h"

namespace postfork::node {
namespace {

using testing::Int;
using testing::TempDir;

cql::DataType T(cql::TypeKind k) { return cql::DataType(k); }

class SchemaTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    db_.reset();
    DatabaseOptions options;
    options.storage.data_dir = dir_.path();
    options.identity.listen_address = "127.0.0.1";
    options.identity.native_port = 19042;
    auto db = Database::Open(options);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    db_->schema().AddListener([this](const cql::SchemaChange& c) { events_.push_back(c); });
  }

  SchemaStore& schema() { return db_->schema(); }

  void CreateKeyspace(const std::string& name) {
    KeyspaceDefinition def;
    def.name = name;
    def.replication = {{"class", "SimpleStrategy"}, {"replication_factor", "1"}};
    auto r = schema().CreateKeyspace(def, false);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  // CREATE TABLE ks.name (pk int, ck1 text, ck2 int, v int, a text, s int static,
  //   PRIMARY KEY ((pk), ck1, ck2)) WITH CLUSTERING ORDER BY (ck1 DESC)
  TableDefinition TableDef(const std::string& name) {
    TableDefinition def;
    def.keyspace = "ks";
    def.name = name;
    def.columns = {{"pk", T(cql::TypeKind::kInt)},  {"ck1", T(cql::TypeKind::kText)},
                   {"ck2", T(cql::TypeKind::kInt)}, {"v", T(cql::TypeKind::kInt)},
                   {"a", T(cql::TypeKind::kText)},  {"s", T(cql::TypeKind::kInt), true}};
    def.partition_key = {"pk"};
    def.clustering_key = {"ck1", "ck2"};
    def.clustering_order = {{"ck1", true}};
    return def;
  }

  // Reads every row of a table through Storage::Read; cells as CQL literals by column name.
  // ALTER TABLE ks.<table> DROP <columns>.
  static AlterTableDefinition DropDef(const std::string& table, std::vector<std::string> columns) {
    AlterTableDefinition def;
    def.keyspace = "ks";
    def.name = table;
    def.kind = AlterTableDefinition::Kind::kDropColumns;
    def.drop = std::move(columns);
    return def;
  }

  std::vector<std::map<std::string, std::string>> ReadAll(const std::string& ks,
                                                          const std::string& table) {
    auto t = schema().snapshot()->FindTable(ks, table);
    EXPECT_NE(t, nullptr) << ks << "." << table;
    std::vector<std::map<std::string, std::string>> out;
    if (!t) return out;
    ReadCommand c;
    c.table = t;
    c.scan = true;
    for (const auto& col : t->columns) {
      if (!col.is_primary_key()) c.columns.push_back(col.id);
    }
    auto r = db_->storage().Read(c);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return out;
    for (const auto& row : r->rows) {
      std::map<std::string, std::string> m;
      auto literal = [](const std::string& body, const cql::DataType& type) {
        auto v = cql::DeserializeValue(body, type);
        EXPECT_TRUE(v.ok()) << type.ToCql();
        return v.ok() ? v->ToCqlLiteral(type) : std::string("?");
      };
      for (size_t i = 0; i < row.partition_key.size(); ++i) {
        m[t->columns[i].name] = literal(row.partition_key[i], t->columns[i].type);
      }
      for (size_t i = 0; i < row.clustering.size(); ++i) {
        const auto& col = t->columns[t->partition_key_count + i];
        m[col.name] = literal(row.clustering[i], col.type);
      }
      for (size_t i = 0; i < c.columns.size(); ++i) {
        const ColumnMetadata* col = t->FindColumnById(c.columns[i]);
        if (row.cells[i]) m[col->name] = literal(row.cells[i]->value, col->type);
      }
      out.push_back(std::move(m));
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Database> db_;
  std::vector<cql::SchemaChange> events_;
};

// Java: new HashSet<>(List.of("foo", "bar")) prints [bar, foo]; "Aa" and "BB" share a hash
// code, so they keep insertion order; 13 keys double the table to 32 buckets.
TEST(JavaHashOrderTest, FollowsJavaHashMapIteration) {
  EXPECT_EQ(JavaHashSetText({"foo", "bar"}), "[bar, foo]");
  EXPECT_EQ(JavaHashOrder({"b", "q"}), (std::vector<std::string>{"q", "b"}));
  EXPECT_EQ(JavaHashOrder({"BB", "Aa"}), (std::vector<std::string>{"BB", "Aa"}));
  EXPECT_EQ(JavaHashOrder({"Aa", "BB"}), (std::vector<std::string>{"Aa", "BB"}));
  // "a" (97) and "q" (113) share bucket 1 of 16, but not of 32.
  std::vector<std::string> many = {"q", "a", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
  EXPECT_EQ(JavaHashOrder(many).front(), "q");
  many.push_back("m");
  EXPECT_EQ(JavaHashOrder(many).front(), "a");
  EXPECT_EQ(JavaHashSetText({}), "[]");
}

TEST_F(SchemaTest, CreateKeyspaceStoresFullReplicationAndNotifies) {
  KeyspaceDefinition def;
  def.name = "ks";
  def.replication = {{"class", "NetworkTopologyStrategy"}, {"datacenter1", "3"}};
  auto r = schema().CreateKeyspace(def, false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->change, cql::SchemaChangeType::kCreated);
  EXPECT_EQ((*r)->target, cql::SchemaChangeTarget::kKeyspace);
  EXPECT_EQ((*r)->keyspace, "ks");
  const KeyspaceMetadata* ks = schema().snapshot()->FindKeyspace("ks");
  ASSERT_NE(ks, nullptr);
  EXPECT_EQ(ks->replication.at("class"), "org.apache.cassandra.locator.NetworkTopologyStrategy");
  EXPECT_EQ(ks->replication.at("datacenter1"), "3");
  // A data center this node is not in is refused (Cassandra knows its data centers).
  def.name = "ks_other_dc";
  def.replication = {{"class", "NetworkTopologyStrategy"}, {"dc1", "3"}};
  auto other_dc = schema().CreateKeyspace(def, false);
  ASSERT_FALSE(other_dc.ok());
  EXPECT_EQ(other_dc.error().cql_code(), 0x2300);
  EXPECT_EQ(other_dc.error().message(),
            "Unrecognized strategy option {dc1} passed to NetworkTopologyStrategy for keyspace "
            "ks_other_dc");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].keyspace, "ks");
}

TEST_F(SchemaTest, SimpleStrategyWithoutReplicationFactorTakesTheDefault) {
  KeyspaceDefinition def;
  def.name = "ks";
  def.replication = {{"class", "SimpleStrategy"}};
  ASSERT_TRUE(schema().CreateKeyspace(def, false).ok());
  EXPECT_EQ(schema().snapshot()->FindKeyspace("ks")->replication.at("replication_factor"), "1");
}

TEST_F(SchemaTest, KeyspaceErrorsUseCassandrasCodesAndMessages) {
  CreateKeyspace("ks");
  KeyspaceDefinition def;
  def.name = "ks";
  def.replication = {{"class", "SimpleStrategy"}, {"replication_factor", "1"}};
  auto dup = schema().CreateKeyspace(def, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().cql_code(), 0x2400);
  EXPECT_EQ(dup.error().message(), "Cannot add existing keyspace \"ks\"");
  auto quiet = schema().CreateKeyspace(def, true);
  ASSERT_TRUE(quiet.ok());
  EXPECT_FALSE(quiet->has_value());

  def.name = "ks2";
  def.replication = {{"class", "SimpleStrategy"}, {"replication_factor", "-1"}};
  auto negative_rf = schema().CreateKeyspace(def, false);
  ASSERT_FALSE(negative_rf.ok());
  EXPECT_EQ(negative_rf.error().cql_code(), 0x2300);
  EXPECT_EQ(negative_rf.error().message(), "Replication factor must be non-negative, found -1");
  def.replication = {{"replication_factor", "1"}};
  EXPECT_EQ(schema().CreateKeyspace(def, false).error().cql_code(), 0x2300);
  def.replication = {{"class", "NoSuchStrategy"}};
  EXPECT_EQ(schema().CreateKeyspace(def, false).error().cql_code(), 0x2300);
  def.name = "bad-name";
  EXPECT_EQ(schema().CreateKeyspace(def, false).error().cql_code(), 0x2200);

  auto drop = schema().DropKeyspace("nope", false);
  ASSERT_FALSE(drop.ok());
  EXPECT_EQ(drop.error().cql_code(), 0x2200);
  EXPECT_EQ(drop.error().message(), "Keyspace 'nope' doesn't exist");
  EXPECT_FALSE(schema().DropKeyspace("system", false).ok());
}

TEST_F(SchemaTest, CreateTableBuildsCassandrasColumnOrderAndKinds) {
  CreateKeyspace("ks");
  auto r = schema().CreateTable(TableDef("t"), false);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->target, cql::SchemaChangeTarget::kTable);
  EXPECT_EQ((*r)->name, "t");
  auto t = schema().snapshot()->FindTable("ks", "t");
  ASSERT_NE(t, nullptr);
  std::vector<std::string> names;
  for (const auto& c : t->columns) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"pk", "ck1", "ck2", "s", "a", "v"}));
  EXPECT_EQ(t->partition_key_count, 1u);
  EXPECT_EQ(t->clustering_count, 2u);
  EXPECT_EQ(t->FindColumn("ck1")->order, ClusteringOrder::kDesc);
  EXPECT_EQ(t->FindColumn("ck2")->order, ClusteringOrder::kAsc);
  EXPECT_EQ(t->FindColumn("ck2")->position, 1);
  EXPECT_EQ(t->FindColumn("s")->kind, ColumnKind::kStatic);
  EXPECT_EQ(t->FindColumn("v")->position, -1);
  EXPECT_GE(t->storage_id, 1000u);
}

TEST_F(SchemaTest, CreateTableErrors) {
  TableDefinition def = TableDef("t");
  auto no_ks = schema().CreateTable(def, false);
  ASSERT_FALSE(no_ks.ok());
  EXPECT_EQ(no_ks.error().cql_code(), 0x2200);
  EXPECT_EQ(no_ks.error().message(), "Keyspace 'ks' doesn't exist");
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(def, false).ok());
  auto dup = schema().CreateTable(def, false);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().cql_code(), 0x2400);
  EXPECT_EQ(dup.error().message(), "Cannot add already existing table \"t\" to keyspace \"ks\"");
  EXPECT_FALSE(schema().CreateTable(def, true)->has_value());

  TableDefinition unknown = TableDef("u");
  unknown.partition_key = {"nope"};
  EXPECT_EQ(schema().CreateTable(unknown, false).error().cql_code(), 0x2200);
  TableDefinition static_no_ck = TableDef("u");
  static_no_ck.clustering_key.clear();
  static_no_ck.clustering_order.clear();
  EXPECT_EQ(schema().CreateTable(static_no_ck, false).error().cql_code(), 0x2200);
  TableDefinition bad_option = TableDef("u");
  bad_option.options["no_such_option"] = OptionValue{"1", std::nullopt};
  auto opt = schema().CreateTable(bad_option, false);
  ASSERT_FALSE(opt.ok());
  EXPECT_EQ(opt.error().cql_code(), 0x2000);
  EXPECT_EQ(opt.error().message(), "Unknown property 'no_such_option'");
  TableDefinition bad_ttl = TableDef("u");
  bad_ttl.options["default_time_to_live"] = OptionValue{"-1", std::nullopt};
  EXPECT_EQ(schema().CreateTable(bad_ttl, false).error().cql_code(), 0x2300);
  TableDefinition bad_order = TableDef("u");
  bad_order.clustering_order = {{"ck2", true}};
  EXPECT_EQ(schema().CreateTable(bad_order, false).error().cql_code(), 0x2200);
  // None of the failures changed the schema.
  EXPECT_EQ(schema().snapshot()->FindTable("ks", "u"), nullptr);
}

TEST_F(SchemaTest, SchemaVersionChangesOnEveryDdlAndSurvivesRestart) {
  std::set<std::string> versions;
  versions.insert(schema().snapshot()->schema_version.ToString());
  CreateKeyspace("ks");
  versions.insert(schema().snapshot()->schema_version.ToString());
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  versions.insert(schema().snapshot()->schema_version.ToString());
  ASSERT_TRUE(schema().DropTable("ks", "t", false).ok());
  versions.insert(schema().snapshot()->schema_version.ToString());
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  versions.insert(schema().snapshot()->schema_version.ToString());
  EXPECT_EQ(versions.size(), 5u);
  std::string before = schema().snapshot()->schema_version.ToString();
  Reopen();
  EXPECT_EQ(schema().snapshot()->schema_version.ToString(), before);
}

TEST_F(SchemaTest, SchemaAndDataSurviveRestart) {
  CreateKeyspace("ks");
  TableDefinition def = TableDef("t");
  def.options["comment"] = OptionValue{"hello", std::nullopt};
  def.options["compaction"] =
      OptionValue{"", std::map<std::string, std::string>{{"class", "LeveledCompactionStrategy"}}};
  def.options["gc_grace_seconds"] = OptionValue{"3600", std::nullopt};
  ASSERT_TRUE(schema().CreateTable(def, false).ok());
  ASSERT_TRUE(schema().AlterTable(DropDef("t", {"a"})).ok());
  auto before = schema().snapshot()->FindTable("ks", "t");

  PartitionMutation m;
  m.table = before;
  m.partition_key = {Int(1)};
  RowMutation row;
  row.clustering = {"x", Int(2)};
  row.marker_timestamp = 1;
  row.cells.push_back({before->FindColumn("v")->id, Int(42), 1, 0, {}});
  m.rows.push_back(row);
  ASSERT_TRUE(db_->storage().Apply({m}).ok());

  Reopen();
  auto t = schema().snapshot()->FindTable("ks", "t");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, before->id);
  EXPECT_EQ(t->storage_id, before->storage_id);
  EXPECT_EQ(t->params.comment, "hello");
  EXPECT_EQ(t->params.gc_grace_seconds, 3600);
  EXPECT_EQ(t->params.compaction.at("class"),
            "org.apache.cassandra.db.compaction.LeveledCompactionStrategy");
  EXPECT_EQ(t->FindColumn("a"), nullptr);
  ASSERT_EQ(t->dropped_columns.size(), 1u);
  EXPECT_EQ(t->dropped_columns[0].name, "a");
  EXPECT_EQ(t->FindColumn("ck1")->order, ClusteringOrder::kDesc);
  auto rows = ReadAll("ks", "t");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["v"], "42");
  EXPECT_EQ(rows[0]["ck1"], "'x'");
}

// A re-added column takes the dropped column's storage id back: cells written at or before the
// drop time stay hidden, later ones are the re-added column's (Cassandra knows a column by name).
TEST_F(SchemaTest, ReaddedColumnShowsOnlyCellsWrittenAfterTheDrop) {
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  auto t = schema().snapshot()->FindTable("ks", "t");
  const uint32_t v_id = t->FindColumn("v")->id;
  auto write = [&](const std::string& ck1, int64_t ts) {
    PartitionMutation m;
    m.table = schema().snapshot()->FindTable("ks", "t");
    m.partition_key = {Int(1)};
    RowMutation row;
    row.clustering = {ck1, Int(2)};
    row.marker_timestamp = 1;
    row.cells.push_back({v_id, Int(42), ts, 0, {}});
    m.rows.push_back(row);
    ASSERT_TRUE(db_->storage().Apply({m}).ok());
  };
  write("before", 1);
  write("after", int64_t{1} << 60);  // a client timestamp beyond the drop time (now)

  AlterTableDefinition alter = DropDef("t", {"v"});
  ASSERT_TRUE(schema().AlterTable(alter).ok());
  alter.kind = AlterTableDefinition::Kind::kAddColumns;
  alter.add = {{"v", T(cql::TypeKind::kInt)}};
  auto r = schema().AlterTable(alter);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->change, cql::SchemaChangeType::kUpdated);
  EXPECT_EQ(schema().snapshot()->FindTable("ks", "t")->FindColumn("v")->id, v_id);
  for (int pass = 0; pass < 2; ++pass) {
    auto rows = ReadAll("ks", "t");
    ASSERT_EQ(rows.size(), 2u);  // the row markers keep the rows; ck1 DESC
    EXPECT_EQ(rows[0]["ck1"], "'before'");
    EXPECT_EQ(rows[0].count("v"), 0u);
    EXPECT_EQ(rows[1]["v"], "42");
    Reopen();
  }

  alter.add = {{"v", T(cql::TypeKind::kText)}};
  EXPECT_EQ(schema().AlterTable(alter).error().cql_code(), 0x2200);  // exists
  alter.kind = AlterTableDefinition::Kind::kDropColumns;
  alter.drop = {"pk"};
  EXPECT_EQ(schema().AlterTable(alter).error().message(), "Cannot drop PRIMARY KEY column pk");
}

// A table record of version 3 (before dropped columns kept their storage ids) still opens; a
// column re-added after such a drop gets a new id, and the record is rewritten as version 5.
TEST_F(SchemaTest, DropsOfVersion3RecordsOpenWithoutTheirIds) {
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  AlterTableDefinition alter = DropDef("t", {"a"});
  ASSERT_TRUE(schema().AlterTable(alter).ok());
  const uint32_t old_id = *schema().snapshot()->FindTable("ks", "t")->dropped_columns[0].column_id;
  // Version 5 to version 3: drop the id and hidden-through time after the dropped column's
  // name (2 + 1 bytes), type (4 + 4), kind (1) and time (8), and the compact shape byte after
  // the key format and two option bytes.
  auto record = db_->storage().GetMeta("schema/table/ks/t");
  ASSERT_TRUE(record.ok() && record->has_value());
  std::string bytes = **record;
  ASSERT_EQ(bytes[0], 5);
  size_t dropped = bytes.rfind(std::string("\x00\x01" "a\x00\x00\x00\x04text", 11));
  ASSERT_NE(dropped, std::string::npos);
  size_t id_at = dropped + 3 + 8 + 1 + 8;
  bytes.erase(id_at, 12);
  ASSERT_EQ(bytes[id_at + 3], 0);  // no compact storage
  bytes.erase(id_at + 3, 1);
  ASSERT_EQ(id_at + 3, bytes.size());  // no index section
  bytes[0] = 3;
  ASSERT_TRUE(db_->storage().PutMeta("schema/table/ks/t", bytes).ok());
  Reopen();
  auto t = schema().snapshot()->FindTable("ks", "t");
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->dropped_columns.size(), 1u);
  EXPECT_EQ(t->dropped_columns[0].name, "a");
  EXPECT_FALSE(t->dropped_columns[0].column_id.has_value());

  alter.kind = AlterTableDefinition::Kind::kAddColumns;
  alter.add = {{"a", T(cql::TypeKind::kText)}};
  ASSERT_TRUE(schema().AlterTable(alter).ok());
  EXPECT_NE(schema().snapshot()->FindTable("ks", "t")->FindColumn("a")->id, old_id);
  record = db_->storage().GetMeta("schema/table/ks/t");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((**record)[0], 5);
  Reopen();
  EXPECT_NE(schema().snapshot()->FindTable("ks", "t")->FindColumn("a"), nullptr);
}

TEST_F(SchemaTest, DropTableAndTruncateRemoveData) {
  CreateKeyspace("ks");
  auto write = [&] {
    auto t = schema().snapshot()->FindTable("ks", "t");
    PartitionMutation m;
    m.table = t;
    m.partition_key = {Int(1)};
    RowMutation row;
    row.clustering = {"x", Int(2)};
    row.marker_timestamp = 1;
    m.rows.push_back(row);
    ASSERT_TRUE(db_->storage().Apply({m}).ok());
  };
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  write();
  EXPECT_EQ(ReadAll("ks", "t").size(), 1u);
  ASSERT_TRUE(schema().Truncate("ks", "t").ok());
  EXPECT_EQ(ReadAll("ks", "t").size(), 0u);
  write();
  ASSERT_TRUE(schema().DropTable("ks", "t", false).ok());
  EXPECT_EQ(schema().snapshot()->FindTable("ks", "t"), nullptr);
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  EXPECT_EQ(ReadAll("ks", "t").size(), 0u);
  auto missing = schema().DropTable("ks", "nope", false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "Table 'ks.nope' doesn't exist");
  EXPECT_FALSE(schema().DropTable("ks", "nope", true)->has_value());
}

TEST_F(SchemaTest, IndexesArePersistedNamedAndDroppedWithTheirTable) {
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  auto create = [&](const std::string& name, const std::string& column, IndexTarget target,
                    bool if_not_exists = false) {
    return schema().CreateIndex({"ks", "t", name, column, target, {}, {}}, if_not_exists);
  };
  events_.clear();
  auto r = create("", "v", IndexTarget::kSimple);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->change, cql::SchemaChangeType::kUpdated);
  EXPECT_EQ((*r)->target, cql::SchemaChangeTarget::kTable);
  EXPECT_EQ((*r)->name, "t");
  ASSERT_EQ(events_.size(), 1u);
  ASSERT_TRUE(create("by_a", "a", IndexTarget::kSimple).ok());
  EXPECT_FALSE(create("by_a", "s", IndexTarget::kSimple, true)->has_value());  // IF NOT EXISTS
  auto duplicate = create("", "v", IndexTarget::kSimple);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().message(),
            "Index t_v_idx_1 is a duplicate of existing index t_v_idx");
  auto key = create("", "pk", IndexTarget::kSimple);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message(),
            "Cannot create secondary index on the only partition key column pk");
  auto version = schema().snapshot()->schema_version;
  Reopen();
  EXPECT_EQ(schema().snapshot()->schema_version, version);
  auto t = schema().snapshot()->FindTable("ks", "t");
  ASSERT_EQ(t->indexes.size(), 2u);
  EXPECT_EQ(t->indexes[0].name, "t_v_idx");
  EXPECT_EQ(IndexTargetText(*t, t->indexes[0]), "v");
  EXPECT_EQ(t->indexes[1].name, "by_a");
  // Index storage ids come from the tables' sequence: a new table gets a fresh one.
  ASSERT_TRUE(schema().CreateTable(TableDef("u"), false).ok());
  auto u = schema().snapshot()->FindTable("ks", "u");
  EXPECT_GT(u->storage_id, t->indexes[1].storage_id);
  auto dropped = schema().DropIndex("ks", "nope", false);
  ASSERT_FALSE(dropped.ok());
  EXPECT_EQ(dropped.error().message(), "Index 'ks.nope' doesn't exist'");
  ASSERT_TRUE(schema().DropIndex("ks", "by_a", false).ok());
  EXPECT_EQ(schema().snapshot()->FindTable("ks", "t")->indexes.size(), 1u);
  ASSERT_TRUE(schema().DropTable("ks", "t", false).ok());
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  EXPECT_TRUE(create("t_v_idx", "v", IndexTarget::kSimple).ok());  // the name is free again
}

TEST_F(SchemaTest, SystemLocalDescribesThisNode) {
  auto rows = ReadAll("system", "local");
  ASSERT_EQ(rows.size(), 1u);
  auto& local = rows[0];
  EXPECT_EQ(local["key"], "'local'");
  EXPECT_EQ(local["rpc_address"], "'127.0.0.1'");
  EXPECT_EQ(local["rpc_port"], "19042");
  EXPECT_EQ(local["partitioner"], "'org.apache.cassandra.dht.Murmur3Partitioner'");
  EXPECT_EQ(local["release_version"].rfind("'4.1.", 0), 0u);
  EXPECT_EQ(local["data_center"], "'datacenter1'");
  EXPECT_EQ(local["rack"], "'rack1'");
  EXPECT_EQ(local["schema_version"], schema().snapshot()->schema_version.ToString());
  ASSERT_TRUE(local.count("host_id"));
  ASSERT_TRUE(local.count("tokens"));
  EXPECT_EQ(std::count(local["tokens"].begin(), local["tokens"].end(), ','), 15);
  std::string host_id = local["host_id"], tokens = local["tokens"];
  CreateKeyspace("ks");
  Reopen();
  rows = ReadAll("system", "local");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["host_id"], host_id);
  EXPECT_EQ(rows[0]["tokens"], tokens);
  EXPECT_EQ(rows[0]["schema_version"], schema().snapshot()->schema_version.ToString());
  EXPECT_TRUE(ReadAll("system", "peers").empty());
  EXPECT_TRUE(ReadAll("system", "peers_v2").empty());
}

TEST_F(SchemaTest, SystemSchemaTablesDescribeTheLiveSchema) {
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  std::set<std::string> keyspaces;
  for (auto& row : ReadAll("system_schema", "keyspaces")) keyspaces.insert(row["keyspace_name"]);
  EXPECT_TRUE(keyspaces.count("'ks'"));
  EXPECT_TRUE(keyspaces.count("'system'"));
  EXPECT_TRUE(keyspaces.count("'system_schema'"));
  EXPECT_FALSE(keyspaces.count("'system_views'"));

  bool found = false;
  for (auto& row : ReadAll("system_schema", "tables")) {
    EXPECT_EQ(row["flags"], "{'compound'}");
    if (row["keyspace_name"] == "'ks'" && row["table_name"] == "'t'") {
      found = true;
      EXPECT_EQ(row["id"], schema().snapshot()->FindTable("ks", "t")->id.ToString());
      EXPECT_EQ(row["gc_grace_seconds"], "864000");
      EXPECT_EQ(row["comment"], "''");
    }
  }
  EXPECT_TRUE(found);

  std::map<std::string, std::map<std::string, std::string>> columns;
  for (auto& row : ReadAll("system_schema", "columns")) {
    if (row["keyspace_name"] == "'ks'") columns[row["column_name"]] = row;
  }
  ASSERT_EQ(columns.size(), 6u);
  EXPECT_EQ(columns["'pk'"]["kind"], "'partition_key'");
  EXPECT_EQ(columns["'pk'"]["position"], "0");
  EXPECT_EQ(columns["'pk'"]["clustering_order"], "'none'");
  EXPECT_EQ(columns["'ck1'"]["clustering_order"], "'desc'");
  EXPECT_EQ(columns["'ck2'"]["position"], "1");
  EXPECT_EQ(columns["'ck2'"]["type"], "'int'");
  EXPECT_EQ(columns["'s'"]["kind"], "'static'");
  EXPECT_EQ(columns["'v'"]["position"], "-1");
  EXPECT_EQ(columns["'a'"]["type"], "'text'");

  std::set<std::string> virtual_keyspaces;
  for (auto& row : ReadAll("system_virtual_schema", "keyspaces")) {
    virtual_keyspaces.insert(row["keyspace_name"]);
  }
  EXPECT_EQ(virtual_keyspaces,
            (std::set<std::string>{"'system_views'", "'system_virtual_schema'"}));
  bool has_total = false;
  for (auto& row : ReadAll("system_virtual_schema", "columns")) {
    if (row["table_name"] == "'sstable_tasks'" && row["column_name"] == "'total'") has_total = true;
  }
  EXPECT_TRUE(has_total);
}

TEST_F(SchemaTest, SystemSchemaReadsByKeyspaceAndTableReturnExactlyThoseRows) {
  CreateKeyspace("ks");
  CreateKeyspace("ks2");
  ASSERT_TRUE(schema().CreateTable(TableDef("t1"), false).ok());
  ASSERT_TRUE(schema().CreateTable(TableDef("t2"), false).ok());
  TableDefinition other = TableDef("t1");
  other.keyspace = "ks2";
  ASSERT_TRUE(schema().CreateTable(other, false).ok());
  auto columns = schema().snapshot()->FindTable("system_schema", "columns");
  ReadCommand c;
  c.table = columns;
  c.partition_keys = {{"ks"}};
  c.slices.push_back({{{"t1"}, true}, {{"t1"}, true}});
  c.slices.push_back({{{"t2"}, true}, {{"t2"}, true}});
  auto r = db_->storage().Read(c);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->rows.size(), 12u);
  for (const auto& row : r->rows) {
    EXPECT_EQ(row.partition_key[0], "ks");
    EXPECT_TRUE(row.clustering[0] == "t1" || row.clustering[0] == "t2");
  }
  c.slices = {{{{"t1"}, true}, {{"t2"}, true}}};  // a range: no narrowing, same answer
  r = db_->storage().Read(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 12u);
  c.partition_keys = {{"ks2"}};
  c.slices = {{{{"t1"}, true}, {{"t1"}, true}}};
  r = db_->storage().Read(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rows.size(), 6u);
}

TEST_F(SchemaTest, SystemTablesHaveCassandrasTypes) {
  auto snap = schema().snapshot();
  auto local = snap->FindTable("system", "local");
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->FindColumn("tokens")->type.ToCql(), "set<text>");
  EXPECT_EQ(local->FindColumn("host_id")->type.kind(), cql::TypeKind::kUuid);
  EXPECT_EQ(local->FindColumn("rpc_address")->type.kind(), cql::TypeKind::kInet);
  auto tables = snap->FindTable("system_schema", "tables");
  ASSERT_NE(tables, nullptr);
  EXPECT_EQ(tables->FindColumn("flags")->type.ToCql(), "frozen<set<text>>");
  EXPECT_EQ(tables->clustering_count, 1u);
  auto functions = snap->FindTable("system_schema", "functions");
  ASSERT_NE(functions, nullptr);
  EXPECT_EQ(functions->clustering_count, 2u);
  for (const char* name : {"keyspaces", "tables", "columns", "dropped_columns", "triggers", "views",
                           "types", "functions", "aggregates", "indexes"}) {
    EXPECT_NE(snap->FindTable("system_schema", name), nullptr) << name;
  }
  // Writes to system tables are refused.
  PartitionMutation m;
  m.table = local;
  m.partition_key = {"local"};
  EXPECT_FALSE(db_->storage().Apply({m}).ok());
}

// Each kind of stored schema record, damaged, makes Open fail with the record's key named;
// nothing throws.
TEST_F(SchemaTest, CorruptRecordsAreErrorsNamingTheRecord) {
  CreateKeyspace("ks");
  ASSERT_TRUE(schema().CreateTable(TableDef("t"), false).ok());
  struct Case {
    std::string key;
    std::string value;
  };
  const std::vector<Case> cases = {
      {"schema/next_storage_id", "12x"},
      {"schema/next_storage_id", "99999999999999999999"},
      {"schema/epoch", ""},
      {"schema/epoch", "-1"},
      {"schema/keyspace/ks", std::string("\x01\x00", 2)},
      {"schema/keyspace/ks", "garbage"},
      {"schema/table/ks/t", std::string("\x02\x00\x02ks", 5)},
      {"schema/table/ks/t", ""},
      {"local/host_id", "short"},
      {"local/tokens", "12,notatoken"},
  };
  for (const auto& c : cases) {
    auto original = db_->storage().GetMeta(c.key);
    ASSERT_TRUE(original.ok() && original->has_value()) << c.key;
    ASSERT_TRUE(db_->storage().PutMeta(c.key, c.value).ok());
    db_.reset();
    DatabaseOptions options;
    options.storage.data_dir = dir_.path();
    options.identity.listen_address = "127.0.0.1";
    options.identity.native_port = 19042;
    auto db = Database::Open(options);
    ASSERT_FALSE(db.ok()) << c.key << " = " << c.value;
    EXPECT_NE(db.status().message().find("corrupt persisted schema record '" + c.key + "'"),
              std::string::npos)
        << db.status().ToString();
    // Restore the record through a bare storage handle, then the database opens again.
    {
      StorageOptions storage_options;
      storage_options.data_dir = dir_.path();
      auto storage = Storage::Open(storage_options);
      ASSERT_TRUE(storage.ok()) << storage.status().ToString();
      ASSERT_TRUE((*storage)->PutMeta(c.key, **original).ok());
    }
    Reopen();
    ASSERT_NE(schema().snapshot()->FindTable("ks", "t"), nullptr);
  }
}

// A node whose stored schema is damaged refuses to start and says which record is damaged.
TEST_F(SchemaTest, NodeRefusesToStartOnACorruptRecord) {
  CreateKeyspace("ks");
  ASSERT_TRUE(db_->storage().PutMeta("schema/keyspace/ks", "\x01").ok());
  db_.reset();
  NodeOptions options;
  options.data_dir = dir_.path();
  options.listen_address = "127.0.0.1";
  options.port = 0;
  auto node = Node::Start(options);
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.status().ToString().find("corrupt persisted schema record 'schema/keyspace/ks'"),
            std::string::npos)
      << node.status().ToString();
}

}  // namespace
}  // namespace postfork::node
