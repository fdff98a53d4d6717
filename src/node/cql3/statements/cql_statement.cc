#include "node/cql3/statements/cql_statement.h"

#include <fmt/format.h>

#include "node/cql3/values.h"
#include "node/cql_errors.h"
#include "node/service/tracing.h"
#include "node/storage/key_encoding.h"
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
    case ValueSource::Kind::kToken: {
      std::vector<std::string> key;
      for (const ValueSource& c : source.token_key) {
        PF_ASSIGN_OR_RETURN(cql::RawValue v, ResolveValue(c, ctx));
        if (v.is_unset()) {
          return InvalidRequest("Invalid unset value for argument in call to function token");
        }
        if (v.is_null()) return cql::RawValue::Null();
        key.emplace_back(v.bytes);
      }
      std::string bytes;
      cql::ByteWriter(&bytes).WriteLong(keys::TokenOf(key));
      ctx.normalized.push_back(std::move(bytes));
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
    // only accept it where it is a valid body.
    PF_RETURN_IF_ERROR(ValidateBoundValue(v.bytes, source.type, source.receiver));
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
