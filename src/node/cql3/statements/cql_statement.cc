#include "node/cql3/statements/cql_statement.h"

#include <fmt/format.h>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/service/tracing.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

Result<cql::RawValue> ResolveValue(const ValueSource& source, const ExecutionContext& ctx) {
  switch (source.kind) {
    case ValueSource::Kind::kNull:
      return cql::RawValue::Null();
    case ValueSource::Kind::kConstant:
      return cql::RawValue::Of(source.constant);
    case ValueSource::Kind::kMarker:
      break;
    case ValueSource::Kind::kComposite: {
      PF_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                          SerializeTerm(*source.composite, source.type, source.receiver,
                                        TermInputs{&ctx.values, ctx.now_micros}));
      if (!bytes) return cql::RawValue::Null();
      ctx.normalized.push_back(std::move(*bytes));
      return cql::RawValue::Of(ctx.normalized.back());
    }
  }
  if (source.marker < 0 || static_cast<size_t>(source.marker) >= ctx.values.size()) {
    return InvalidRequest(
        fmt::format("No value bound for marker {} ({})", source.marker, source.receiver));
  }
  const cql::RawValue& v = ctx.values[static_cast<size_t>(source.marker)];
  if (v.kind == cql::RawValue::Kind::kBytes) {
    // Cassandra accepts an empty value for most types (it reads back as empty, not null); we
    // only accept it where it is a valid body. A collection needs at least its element count
    // (CollectionSerializer's message).
    const cql::TypeKind kind = source.type.kind();
    if (v.bytes.empty() && (kind == cql::TypeKind::kList || kind == cql::TypeKind::kSet ||
                            kind == cql::TypeKind::kMap)) {
      return InvalidRequest(fmt::format(
          "Not enough bytes to read a {}",
          kind == cql::TypeKind::kList ? "list" : kind == cql::TypeKind::kSet ? "set" : "map"));
    }
    Status s = cql::ValidateValue(v.bytes, source.type);
    if (!s.ok()) {
      return InvalidRequest(fmt::format("Invalid value for {} of type {}: {}", source.receiver,
                                        source.type.ToCql(), s.message()));
    }
    if (source.normalize) {
      if (auto canonical = NormalizeValue(source.type, v.bytes)) {
        ctx.normalized.push_back(std::move(*canonical));
        return cql::RawValue::Of(ctx.normalized.back());
      }
    }
  }
  return v;
}

std::string VoidResultBody() {
  std::string body;
  cql::ByteWriter w(&body);
  w.WriteInt(static_cast<int32_t>(cql::ResultKind::kVoid));
  return body;
}

Result<bool> ModificationStatement::CheckConditions(ExecutionContext&, const PartitionMutation&,
                                                   CasRows*) const {
  return true;  // unconditional statements always apply
}

Status ModificationStatement::ApplyMutations(ExecutionContext& ctx) const {
  std::vector<PartitionMutation> mutations;
  PF_RETURN_IF_ERROR(AddMutations(ctx, std::nullopt, &mutations));
  tracing::Trace("Determining replicas for mutation");
  return ctx.proxy->Mutate(mutations, ctx.now_in_seconds);
}

Result<StatementResult> ModificationStatement::Execute(ExecutionContext& ctx) const {
  PF_RETURN_IF_ERROR(ApplyMutations(ctx));
  StatementResult r;
  r.body = VoidResultBody();
  return r;
}

}  // namespace postfork::node::cql3
