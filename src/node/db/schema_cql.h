// The CQL that recreates a schema object, rendered as Cassandra 5.0's DESCRIBE renders it
// (SchemaElement.toCqlString of KeyspaceMetadata, TableMetadata, UserType and IndexMetadata):
// the same statements, option order, value formats, quoting and line breaks, so that a client
// comparing DESCRIBE output across the two sees no difference.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "node/db/schema.h"

namespace postfork::node {

// `ks.name` with each part quoted as Cassandra quotes identifiers.
std::string QualifiedName(std::string_view keyspace, std::string_view name);

// CREATE KEYSPACE ...; a virtual keyspace as a comment that says it cannot be recreated.
std::string KeyspaceCql(const KeyspaceMetadata& keyspace);

// CREATE TABLE ... WITH <every option, in Cassandra's order>; a table of a virtual keyspace as
// a commented VIRTUAL TABLE. `with_internals` adds the table id and the dropped columns (their
// definitions, then ALTER TABLE DROP ... USING TIMESTAMP, and ADD again for re-added ones).
std::string TableCql(const KeyspaceMetadata& keyspace, const TableMetadata& table,
                     bool with_internals);

// CREATE TYPE ks.name (field type, ...);
std::string UserTypeCql(const UserTypeMetadata& type);

// The keyspace's user types in the order DESCRIBE lists them: by name, each after the types it
// uses (Types.sortedStream).
std::vector<const UserTypeMetadata*> TypesInCreateOrder(const KeyspaceMetadata& keyspace);

// CREATE INDEX name ON ks.table (target); a storage-attached index as CREATE CUSTOM INDEX ...
// USING 'class' [WITH OPTIONS = {...}].
std::string IndexCql(const TableMetadata& table, const IndexMetadata& index);

}  // namespace postfork::node
