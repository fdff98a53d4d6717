// One request's life: encode, pick hosts from the query plan, send, decode, retry per the
// retry policy, re-prepare once on UNPREPARED, complete the caller's handler exactly once.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "driver/cluster/topology.h"
#include "driver/session/result_pool.h"
#include "driver/session/session_impl.h"
#include "postfork/cql/murmur3.h"

namespace postfork::driver {

namespace asio = boost::asio;

cql::DataType InferType(const cql::Value& value) {
  using cql::DataType;
  using cql::TypeKind;
  return std::visit(
      [](const auto& v) -> DataType {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>)
          return DataType(TypeKind::kBoolean);
        else if constexpr (std::is_same_v<T, int8_t>)
          return DataType(TypeKind::kTinyint);
        else if constexpr (std::is_same_v<T, int16_t>)
          return DataType(TypeKind::kSmallint);
        else if constexpr (std::is_same_v<T, int32_t>)
          return DataType(TypeKind::kInt);
        else if constexpr (std::is_same_v<T, int64_t>)
          return DataType(TypeKind::kBigint);
        else if constexpr (std::is_same_v<T, float>)
          return DataType(TypeKind::kFloat);
        else if constexpr (std::is_same_v<T, double>)
          return DataType(TypeKind::kDouble);
        else if constexpr (std::is_same_v<T, cql::Blob>)
          return DataType(TypeKind::kBlob);
        else if constexpr (std::is_same_v<T, cql::Uuid>)
          return DataType(TypeKind::kUuid);
        else if constexpr (std::is_same_v<T, cql::Inet>)
          return DataType(TypeKind::kInet);
        else if constexpr (std::is_same_v<T, cql::Varint>)
          return DataType(TypeKind::kVarint);
        else if constexpr (std::is_same_v<T, cql::Decimal>)
          return DataType(TypeKind::kDecimal);
        else if constexpr (std::is_same_v<T, cql::Duration>)
          return DataType(TypeKind::kDuration);
        else if constexpr (std::is_same_v<T, cql::Date>)
          return DataType(TypeKind::kDate);
        else if constexpr (std::is_same_v<T, cql::Time>)
          return DataType(TypeKind::kTime);
        else if constexpr (std::is_same_v<T, cql::Timestamp>)
          return DataType(TypeKind::kTimestamp);
        else if constexpr (std::is_same_v<T, cql::ValueList>)
          return DataType::List(v.empty() ? DataType(TypeKind::kInt) : InferType(v.front()));
        else if constexpr (std::is_same_v<T, cql::ValueMap>)
          return v.empty() ? DataType::Map(DataType(TypeKind::kInt), DataType(TypeKind::kInt))
                           : DataType::Map(InferType(v.front().key), InferType(v.front().value));
        else
          return DataType(TypeKind::kText);  // text, null, unset
      },
      value.variant());
}

namespace {

void WriteConsistency(cql::ByteWriter& w, cql::Consistency c) {
  w.WriteShort(static_cast<uint16_t>(c));
}

// <flags> of QUERY/EXECUTE/BATCH: a [byte] in v4, an [int] in v5.
void WriteQueryFlags(cql::ByteWriter& w, uint32_t flags, int version) {
  if (version >= cql::kProtocolV5) {
    w.WriteInt(static_cast<int32_t>(flags));
  } else {
    w.WriteByte(static_cast<uint8_t>(flags));
  }
}

// PREPARE's body: the query, and in v5 an [int] of flags with the keyspace the statement's
// unqualified names mean (v5 connections get no USE: every request names its keyspace).
void WritePrepare(cql::ByteWriter& w, const std::string& query, int version,
                  const std::string& keyspace) {
  cql::PrepareMessage m;
  m.query = query;
  if (version >= cql::kProtocolV5 && !keyspace.empty()) m.keyspace = keyspace;
  m.Encode(w, version);
}

// The keyspace field of a v5 QUERY or BATCH: the session's keyspace, when it has one.
const std::string* RequestKeyspace(int version, const std::string& session_keyspace) {
  return version >= cql::kProtocolV5 && !session_keyspace.empty() ? &session_keyspace : nullptr;
}

// <query_parameters> with values serialized straight into the frame. `keyspace`: v5's keyspace
// field (nullptr: none).
Status EncodeParams(cql::ByteWriter& w, int version, cql::Consistency consistency,
                    const StatementOptions& o, int32_t default_page_size,
                    std::span<const cql::Value> values, const std::vector<std::string>* names,
                    const std::vector<cql::ColumnSpec>* types, bool skip_metadata,
                    const std::string* keyspace) {
  WriteConsistency(w, consistency);
  uint32_t flags = cql::query_flags::kPageSize;
  if (keyspace) flags |= cql::query_flags::kWithKeyspace;
  if (!values.empty()) flags |= cql::query_flags::kValues;
  if (skip_metadata) flags |= cql::query_flags::kSkipMetadata;
  if (o.paging_state) flags |= cql::query_flags::kPagingState;
  if (o.serial_consistency) flags |= cql::query_flags::kSerialConsistency;
  if (o.timestamp) flags |= cql::query_flags::kDefaultTimestamp;
  if (names && !names->empty()) flags |= cql::query_flags::kNamesForValues;
  WriteQueryFlags(w, flags, version);
  if (!values.empty()) {
    if (values.size() > 65535)
      return Status(StatusCode::kInvalidArgument, "more than 65535 bound values");
    if (names && !names->empty() && names->size() != values.size())
      return Status(StatusCode::kInvalidArgument, "value_names and values differ in size");
    w.WriteShort(static_cast<uint16_t>(values.size()));
    for (size_t i = 0; i < values.size(); ++i) {
      if (names && !names->empty()) w.WriteString((*names)[i]);
      Status st = types ? cql::WriteValue(values[i], (*types)[i].type, w)
                        : cql::WriteValue(values[i], InferType(values[i]), w);
      if (!st.ok())
        return Status(StatusCode::kInvalidArgument,
                      "value " + std::to_string(i) +
                          (types ? " (" + (*types)[i].name + ")" : std::string()) + ": " +
                          st.message());
    }
  }
  w.WriteInt(o.page_size.value_or(default_page_size));
  if (o.paging_state) w.WriteBytes(std::string_view(*o.paging_state));
  if (o.serial_consistency) WriteConsistency(w, *o.serial_consistency);
  if (o.timestamp) w.WriteLong(*o.timestamp);
  if (keyspace) w.WriteString(*keyspace);
  return Status::Ok();
}

// The routing token of a bound statement, when every partition-key value is bound.
bool RoutingToken(const BoundStatement& b, int64_t* token) {
  const PreparedData& p = b.prepared();
  if (p.pk_indexes.empty()) return false;
  std::string single;
  std::vector<std::string> parts;
  for (uint16_t idx : p.pk_indexes) {
    if (idx >= b.values().size()) return false;
    const cql::Value& v = b.values()[idx];
    if (v.is_null() || v.is_unset()) return false;
    std::string bytes;
    if (!cql::SerializeValue(v, p.bind_columns[idx].type, &bytes).ok()) return false;
    parts.push_back(std::move(bytes));
  }
  if (parts.size() == 1) {
    *token = cql::Murmur3Token(parts[0]);
  } else {
    std::vector<std::string_view> views(parts.begin(), parts.end());
    *token = cql::Murmur3Token(cql::CompositePartitionKey(views));
  }
  return true;
}

}  // namespace

namespace {
// What precedes a response's message when its header flags say so
// (native_protocol_v4.spec section 2.2): [tracing id][warnings][custom payload].
struct ResponsePrefix {
  std::optional<cql::Uuid> tracing_id;
  std::vector<std::string> warnings;
  size_t size = 0;  // bytes of the body before the message
};

Result<ResponsePrefix> ReadResponsePrefix(uint8_t flags, std::string_view body) {
  ResponsePrefix out;
  cql::ByteReader r(body);
  if (flags & cql::frame_flags::kTracing) {
    PF_ASSIGN_OR_RETURN(std::string_view id, r.ReadUuid());
    cql::Uuid uuid;
    std::copy(id.begin(), id.end(), uuid.bytes.begin());
    out.tracing_id = uuid;
  }
  if (flags & cql::frame_flags::kWarning) {
    PF_ASSIGN_OR_RETURN(auto warnings, r.ReadStringList());
    for (auto w : warnings) out.warnings.emplace_back(w);
  }
  if (flags & cql::frame_flags::kCustomPayload) PF_RETURN_IF_ERROR(r.ReadBytesMap().status());
  out.size = body.size() - r.remaining();
  return out;
}
}  // namespace

QueryResult DecodeResponse(const cql::FrameHeader& header, std::string_view body,
                           std::shared_ptr<const cql::RowsMetadata> known_metadata,
                           const std::string& host) {
  ResponsePrefix prefix;
  constexpr uint8_t kPrefixFlags =
      cql::frame_flags::kTracing | cql::frame_flags::kWarning | cql::frame_flags::kCustomPayload;
  if (header.flags & kPrefixFlags) {
    auto read = ReadResponsePrefix(header.flags, body);
    if (!read.ok())
      return QueryResult(Status(StatusCode::kMalformed, "undecodable response prefix from " + host +
                                                            ": " + read.error().message()));
    prefix = std::move(*read);
    body.remove_prefix(prefix.size);
  }
  if (header.opcode == cql::Opcode::kError) {
    cql::ByteReader r(body);
    auto err = cql::ErrorMessage::Decode(r, header.version);
    if (!err.ok())
      return QueryResult(Status(StatusCode::kMalformed,
                                "undecodable ERROR from " + host + ": " + err.error().message()));
    int code = static_cast<int>(err->code);
    std::string msg =
        std::string(cql::ErrorCodeName(err->code)) + " from " + host + ": " + err->message;
    return QueryResult(Status(StatusCode::kServerError, std::move(msg), code),
                       std::make_shared<const cql::ErrorMessage>(std::move(*err)));
  }
  if (header.opcode != cql::Opcode::kResult)
    return QueryResult(
        Status(StatusCode::kMalformed,
               "unexpected " + std::string(cql::OpcodeName(header.opcode)) + " from " + host));
  std::shared_ptr<ResultData> data = RecycledResultData();
  data->body.assign(body);
  cql::ByteReader r(data->body);
  // Decoded in place: the rows' cells are not moved again.
  Status decoded = cql::ResultMessage::DecodeInto(r, nullptr, header.version, &data->message);
  if (!decoded.ok())
    return QueryResult(Status(StatusCode::kMalformed,
                              "undecodable RESULT from " + host + ": " + decoded.message()));
  if (data->message.kind == cql::ResultKind::kRows && data->message.rows.metadata.no_metadata &&
      known_metadata)
    data->known_metadata = std::move(known_metadata);
  data->host = host;
  data->warnings = std::move(prefix.warnings);
  data->tracing_id = prefix.tracing_id;
  return QueryResult(std::shared_ptr<const ResultData>(std::move(data)));
}

namespace {

// Memory for the objects allocated once per request, recycled through a bounded per-thread
// free list instead of the heap (the driver runs on the caller's thread).
template <class T>
class RecyclingPool {
 public:
  static void* Take(size_t size) {
    Lists& l = lists();
    if (size == sizeof(T) && !l.free.empty()) {
      void* p = l.free.back();
      l.free.pop_back();
      return p;
    }
    return ::operator new(size);
  }
  static void Give(void* p, size_t size) {
    Lists& l = lists();
    if (size == sizeof(T) && l.free.size() < kMaxFree) {
      l.free.push_back(p);
      return;
    }
    ::operator delete(p);
  }

 private:
  static constexpr size_t kMaxFree = 1024;
  struct Lists {
    Lists() { free.reserve(kMaxFree); }
    ~Lists() {
      for (void* p : free) ::operator delete(p);
    }
    std::vector<void*> free;
  };
  static Lists& lists() {
    thread_local Lists l;
    return l;
  }
};

class RequestExecution final : public ResponseHandler {
 public:
  static void* operator new(size_t size) { return RecyclingPool<RequestExecution>::Take(size); }
  static void operator delete(void* p, size_t size) {
    RecyclingPool<RequestExecution>::Give(p, size);
  }

  RequestExecution(std::shared_ptr<SessionImpl> session, Request&& request, QueryHandler handler)
      : session_(std::move(session)), request_(std::move(request)), handler_(std::move(handler)) {}

  void Start() {
    const SessionOptions& so = session_->options();
    const StatementOptions* o = nullptr;
    const std::string* keyspace = nullptr;
    int64_t token = 0;
    bool has_token = false;
    if (auto* s = std::get_if<Statement>(&request_)) {
      o = &s->options;
    } else if (auto* b = std::get_if<BoundStatement>(&request_)) {
      o = &b->options;
      if (!b->shared())
        return Complete(
            QueryResult(Status(StatusCode::kInvalidArgument, "bound statement without prepared")));
      prepared_ = b->shared();
      if (!prepared_->bind_columns.empty()) keyspace = &prepared_->bind_columns[0].keyspace;
      has_token = so.token_aware && RoutingToken(*b, &token);
    } else {
      auto& batch = std::get<BatchStatement>(request_);
      o = &batch.options;
      for (auto& entry : batch.statements)
        if (auto* bs = std::get_if<BoundStatement>(&entry); bs && !bs->shared())
          return Complete(QueryResult(
              Status(StatusCode::kInvalidArgument, "bound statement without prepared in batch")));
    }
    options_ = o;
    consistency_ = o->consistency.value_or(so.consistency);
    timeout_ = o->timeout.value_or(so.request_timeout);
    session_->BuildPlan(keyspace, has_token ? &token : nullptr, &plan_);
    TryNext();
  }

  void OnResponse(Connection& conn, const cql::FrameHeader& header, std::string_view body) override {
    if (header.opcode == cql::Opcode::kError) {
      QueryResult r = DecodeResponse(header, body, nullptr, conn.endpoint());
      const cql::ErrorMessage* err = r.server_error();
      if (err && err->code == cql::ErrorCode::kUnprepared && !reprepared_) {
        reprepared_ = true;
        Reprepare(conn.shared_from_this(), err->unprepared_id, std::move(r));
        return;
      }
      Status st = r.status();
      return Decide(std::move(r), st, err, conn, true);
    }
    std::shared_ptr<const cql::RowsMetadata> known;
    if (prepared_)
      known = std::shared_ptr<const cql::RowsMetadata>(prepared_, &prepared_->result_metadata);
    QueryResult r = DecodeResponse(header, body, std::move(known), conn.endpoint());
    if (r.ok() && prepared_ && r.kind() == cql::ResultKind::kRows)
      AdoptChangedMetadata(r.data()->message.rows.metadata);
    if (r.ok() && r.kind() == cql::ResultKind::kSetKeyspace)
      session_->OnKeyspaceChanged(std::string(r.keyspace()), &conn);
    if (r.ok() && r.kind() == cql::ResultKind::kSchemaChange &&
        session_->options().schema_agreement_wait.count() > 0) {
      auto result = std::make_shared<QueryResult>(std::move(r));
      session_->AwaitSchemaAgreement(conn.shared_from_this(),
                                     [this, result](bool) { Complete(std::move(*result)); });
      return;
    }
    Complete(std::move(r));
  }

  void OnFailure(Connection& conn, const Status& status, bool maybe_sent) override {
    Decide(QueryResult(status), status, nullptr, conn, maybe_sent);
  }

 private:
  void Decide(QueryResult r, const Status& status, const cql::ErrorMessage* err, Connection& conn,
              bool maybe_sent) {
    if (session_->closed()) return Complete(std::move(r));
    RetryContext ctx{retries_, options_->idempotent, maybe_sent};
    RetryDecision d = session_->retry_policy().Decide(status, err, ctx);
    if (d == RetryDecision::kRethrow) return Complete(std::move(r));
    ++retries_;
    last_error_ = status.message();
    last_server_error_ = err ? std::make_shared<const cql::ErrorMessage>(*err) : nullptr;
    if (d == RetryDecision::kRetrySameHost && conn.ready()) {
      Status st = SendOn(conn);
      if (st.ok()) return;
    }
    // A dropped connection is not a dead host: once, the plan may start over so another
    // connection of the same host can take the request.
    if (!err && plan_.next >= plan_.size && !rewound_) {
      rewound_ = true;
      plan_.next = 0;
    }
    TryNext();
  }

  void TryNext() {
    while (plan_.next < plan_.size) {
      int index = plan_.hosts[plan_.next++];
      if (index >= session_->host_count()) continue;  // the topology changed meanwhile
      Host* h = session_->host(index);
      Connection* c = h->Pick();
      if (!c) continue;
      Status st = SendOn(*c);
      if (st.ok()) return;
      if (st.code() == StatusCode::kInvalidArgument) return Complete(QueryResult(st));
      last_error_ = st.message();
      last_server_error_ = nullptr;
    }
    Complete(QueryResult(session_->NoHostAvailable(plan_, last_error_), last_server_error_));
  }

  Status SendOn(Connection& c) {
    if (auto* s = std::get_if<Statement>(&request_)) {
      return c.Send(
          cql::Opcode::kQuery,
          [&](cql::ByteWriter& w) {
            w.WriteLongString(s->query);
            return EncodeParams(w, c.protocol_version(), consistency_, s->options,
                                session_->options().page_size, s->values, &s->value_names, nullptr,
                                false, RequestKeyspace(c.protocol_version(), session_->keyspace()));
          },
          this, timeout_);
    }
    if (auto* b = std::get_if<BoundStatement>(&request_)) {
      return c.Send(
          cql::Opcode::kExecute,
          [&](cql::ByteWriter& w) {
            w.WriteShortBytes(prepared_->id);
            if (c.protocol_version() >= cql::kProtocolV5)
              w.WriteShortBytes(prepared_->result_metadata_id);
            bool skip = !prepared_->result_metadata.columns.empty();
            return EncodeParams(w, c.protocol_version(), consistency_, b->options,
                                session_->options().page_size, b->values(), nullptr,
                                &prepared_->bind_columns, skip, nullptr);
          },
          this, timeout_);
    }
    auto& batch = std::get<BatchStatement>(request_);
    return c.Send(
        cql::Opcode::kBatch,
        [&](cql::ByteWriter& w) -> Status {
          w.WriteByte(static_cast<uint8_t>(batch.type));
          if (batch.statements.size() > 65535)
            return Status(StatusCode::kInvalidArgument, "more than 65535 statements in a batch");
          w.WriteShort(static_cast<uint16_t>(batch.statements.size()));
          for (size_t i = 0; i < batch.statements.size(); ++i) {
            std::span<const cql::Value> values;
            const std::vector<cql::ColumnSpec>* types = nullptr;
            if (auto* s = std::get_if<Statement>(&batch.statements[i])) {
              if (!s->value_names.empty())
                return Status(StatusCode::kInvalidArgument, "named values cannot be batched");
              w.WriteByte(0);
              w.WriteLongString(s->query);
              values = s->values;
            } else {
              auto& bs = std::get<BoundStatement>(batch.statements[i]);
              w.WriteByte(1);
              w.WriteShortBytes(bs.prepared().id);
              values = bs.values();
              types = &bs.prepared().bind_columns;
            }
            w.WriteShort(static_cast<uint16_t>(values.size()));
            for (size_t v = 0; v < values.size(); ++v) {
              Status st = types ? cql::WriteValue(values[v], (*types)[v].type, w)
                                : cql::WriteValue(values[v], InferType(values[v]), w);
              if (!st.ok())
                return Status(StatusCode::kInvalidArgument, "batch statement " + std::to_string(i) +
                                                                " value " + std::to_string(v) +
                                                                ": " + st.message());
            }
          }
          WriteConsistency(w, consistency_);
          const std::string* keyspace = RequestKeyspace(c.protocol_version(), session_->keyspace());
          uint32_t flags = 0;
          if (batch.options.serial_consistency) flags |= cql::query_flags::kSerialConsistency;
          if (batch.options.timestamp) flags |= cql::query_flags::kDefaultTimestamp;
          if (keyspace) flags |= cql::query_flags::kWithKeyspace;
          WriteQueryFlags(w, flags, c.protocol_version());
          if (batch.options.serial_consistency)
            WriteConsistency(w, *batch.options.serial_consistency);
          if (batch.options.timestamp) w.WriteLong(*batch.options.timestamp);
          if (keyspace) w.WriteString(*keyspace);
          return Status::Ok();
        },
        this, timeout_);
  }

  // v5 Metadata_changed: the statement's result columns changed since PREPARE (e.g. SELECT * after
  // ALTER TABLE). Later executions send the new id and can skip metadata again.
  void AdoptChangedMetadata(const cql::RowsMetadata& rows) {
    if (!rows.new_metadata_id || *rows.new_metadata_id == prepared_->result_metadata_id) return;
    auto fresh = std::make_shared<PreparedData>(*prepared_);
    fresh->result_metadata.columns = rows.columns;
    fresh->result_metadata.column_count = static_cast<int32_t>(rows.columns.size());
    fresh->result_metadata_id = *rows.new_metadata_id;
    session_->StorePrepared(fresh);
    prepared_ = std::move(fresh);
  }

  // UNPREPARED: prepare the statement again on this host, then resend it there.
  void Reprepare(std::shared_ptr<Connection> conn, const std::string& id, QueryResult original) {
    std::shared_ptr<const PreparedData> target = prepared_;
    if (auto* batch = std::get_if<BatchStatement>(&request_)) {
      for (auto& e : batch->statements)
        if (auto* bs = std::get_if<BoundStatement>(&e); bs && bs->prepared().id == id)
          target = bs->shared();
    }
    if (!target) return Complete(std::move(original));
    auto* h = new CallbackHandler([this, conn, target, original](Result<Response> r) mutable {
      if (!r.ok()) return Decide(QueryResult(r.error()), r.error(), nullptr, *conn, true);
      QueryResult pr = DecodeResponse(r->header, r->body, nullptr, conn->endpoint());
      if (!pr.ok() || pr.kind() != cql::ResultKind::kPrepared) return Complete(std::move(original));
      const cql::PreparedResult& p = pr.data()->message.prepared;
      if (p.id != target->id) {
        // The id changed (e.g. the schema changed): later executions use the new one.
        auto fresh = std::make_shared<PreparedData>(*target);
        fresh->id = p.id;
        fresh->bind_columns = p.bind_columns;
        fresh->pk_indexes = p.pk_indexes;
        fresh->result_metadata = p.result_metadata;
        fresh->result_metadata_id = p.result_metadata_id;
        session_->StorePrepared(fresh);
        if (target == prepared_) prepared_ = fresh;
        if (auto* batch = std::get_if<BatchStatement>(&request_)) {
          for (auto& e : batch->statements)
            if (auto* bs = std::get_if<BoundStatement>(&e); bs && bs->shared() == target) {
              BoundStatement nb(fresh);
              for (size_t i = 0; i < bs->values().size(); ++i) (void)nb.Bind(i, bs->values()[i]);
              nb.options = bs->options;
              *bs = std::move(nb);
            }
        }
      }
      if (!conn->ready()) return TryNext();
      Status st = SendOn(*conn);
      if (!st.ok()) Complete(QueryResult(st));
    });
    std::string query = target->query;
    Status st = conn->Send(
        cql::Opcode::kPrepare,
        [&](cql::ByteWriter& w) {
          WritePrepare(w, query, conn->protocol_version(), target->keyspace);
          return Status::Ok();
        },
        h, session_->options().request_timeout);
    if (!st.ok()) {
      delete h;
      Complete(QueryResult(st));
    }
  }

  // On the session's thread the handler is called: Session::Execute's handler dispatches itself
  // to its own executor (internal::DispatchOnCompletion). Elsewhere (a request that fails before
  // it is sent, from a caller's thread) it is posted to the session's thread, so a handler never
  // runs inside the call that started it and a caller that runs the session's io_context until
  // its handler ran (BlockingSession) lets the session's other work (reconnects) run too.
  void Complete(QueryResult r) {
    QueryHandler h = std::move(handler_);
    asio::io_context::executor_type ex = session_->io().get_executor();
    delete this;
    if (ex.running_in_this_thread()) {
      std::move(h)(std::move(r));
      return;
    }
    asio::post(ex, [h = std::move(h), r = std::move(r)]() mutable { std::move(h)(std::move(r)); });
  }

  std::shared_ptr<SessionImpl> session_;
  Request request_;
  QueryHandler handler_;
  std::shared_ptr<const PreparedData> prepared_;
  const StatementOptions* options_ = nullptr;
  cql::Consistency consistency_ = cql::Consistency::kOne;
  Millis timeout_{0};
  QueryPlan plan_;
  int retries_ = 0;
  bool reprepared_ = false;
  bool rewound_ = false;
  std::string last_error_;
  std::shared_ptr<const cql::ErrorMessage> last_server_error_;  // why last_error_, if the server's
};

template <class Handler, class Value>
void PostResult(asio::io_context& io, Handler h, Value v) {
  auto ex = asio::get_associated_executor(h, io.get_executor());
  PostOn(io, ex, [h = std::move(h), v = std::move(v)]() mutable { std::move(h)(std::move(v)); });
}

}  // namespace

void SessionImpl::Execute(Request&& request, QueryHandler handler) {
  if (InWrongProcess())
    return PostResult(io_, std::move(handler), QueryResult(WrongProcessStatus()));
  if (closed_)
    return PostResult(io_, std::move(handler),
                      QueryResult(Status(StatusCode::kClosed, "session is closed")));
  auto* exec = new RequestExecution(shared_from_this(), std::move(request), std::move(handler));
  exec->Start();
}

void SessionImpl::SendQuery(Connection& c, const std::string& cql, std::vector<cql::Value> values,
                            Millis timeout, std::function<void(QueryResult)> fn) {
  std::string host = c.endpoint();
  auto* h = new CallbackHandler([fn, host](Result<Response> r) {
    if (!r.ok()) return fn(QueryResult(r.error()));
    fn(DecodeResponse(r->header, r->body, nullptr, host));
  });
  StatementOptions none;
  Status st = c.Send(
      cql::Opcode::kQuery,
      [&](cql::ByteWriter& w) {
        w.WriteLongString(cql);
        // No page size: system tables come back whole.
        WriteConsistency(w, cql::Consistency::kOne);
        if (values.empty()) {
          WriteQueryFlags(w, 0, c.protocol_version());
          return Status::Ok();
        }
        WriteQueryFlags(w, cql::query_flags::kValues, c.protocol_version());
        w.WriteShort(static_cast<uint16_t>(values.size()));
        for (auto& v : values) PF_RETURN_IF_ERROR(cql::WriteValue(v, InferType(v), w));
        return Status::Ok();
      },
      h, timeout);
  if (!st.ok()) {
    delete h;
    fn(QueryResult(st));
  }
}

void SessionImpl::Prepare(std::string query, PrepareHandler handler) {
  if (InWrongProcess())
    return PostResult(io_, std::move(handler), Result<PreparedStatement>(WrongProcessStatus()));
  if (auto cached = FindPrepared(query))
    return PostResult(io_, std::move(handler),
                      Result<PreparedStatement>(PreparedStatement(cached)));
  QueryPlan plan;
  BuildPlan(nullptr, nullptr, &plan);
  Connection* c = nullptr;
  for (int i = 0; i < plan.size && !c; ++i) c = host(plan.hosts[i])->Pick();
  if (!c)
    return PostResult(io_, std::move(handler),
                      Result<PreparedStatement>(NoHostAvailable(plan, "")));
  auto self = shared_from_this();
  auto shared_handler = std::make_shared<PrepareHandler>(std::move(handler));
  std::string host_name = c->endpoint();
  auto* h = new CallbackHandler([self, shared_handler, query, host_name](Result<Response> r) {
    auto finish = [&](Result<PreparedStatement> out) {
      PrepareHandler ph = std::move(*shared_handler);
      auto ex = asio::get_associated_executor(ph, self->io_.get_executor());
      asio::dispatch(ex, [ph = std::move(ph), out = std::move(out)]() mutable {
        std::move(ph)(std::move(out));
      });
    };
    if (!r.ok()) return finish(r.error());
    QueryResult q = DecodeResponse(r->header, r->body, nullptr, host_name);
    if (!q.ok()) return finish(q.status());
    if (q.kind() != cql::ResultKind::kPrepared)
      return finish(Status(StatusCode::kMalformed, "PREPARE not answered with Prepared"));
    const cql::PreparedResult& p = q.data()->message.prepared;
    auto data = std::make_shared<PreparedData>();
    data->query = query;
    data->keyspace = self->keyspace_;
    data->id = p.id;
    data->bind_columns = p.bind_columns;
    data->pk_indexes = p.pk_indexes;
    data->result_metadata = p.result_metadata;
    data->result_metadata_id = p.result_metadata_id;
    self->StorePrepared(data);
    finish(PreparedStatement(std::move(data)));
  });
  Status st = c->Send(
      cql::Opcode::kPrepare,
      [&](cql::ByteWriter& w) {
        WritePrepare(w, query, c->protocol_version(), keyspace_);
        return Status::Ok();
      },
      h, options_.request_timeout);
  if (!st.ok()) {
    delete h;
    PostResult(io_, std::move(*shared_handler), Result<PreparedStatement>(st));
  }
}

void SessionImpl::FetchKeyspace(std::string keyspace, KeyspaceHandler handler) {
  if (InWrongProcess())
    return PostResult(io_, std::move(handler), Result<KeyspaceMetadata>(WrongProcessStatus()));
  Connection* c = AnyConnection();
  if (!c) {
    QueryPlan none;
    return PostResult(io_, std::move(handler), Result<KeyspaceMetadata>(NoHostAvailable(none, "")));
  }
  struct State {
    // Constructed in place: Boost 1.81's any_completion_handler move assignment recurses
    // without end (it copies from an lvalue through the converting constructor).
    explicit State(KeyspaceHandler h) : handler(std::move(h)) {}
    QueryResult ks, tables, columns;
    int outstanding = 3;
    KeyspaceHandler handler;
  };
  auto state = std::make_shared<State>(std::move(handler));
  auto self = shared_from_this();
  auto done = [self, state, keyspace]() {
    if (--state->outstanding > 0) return;
    auto md = KeyspaceFromSystemSchema(keyspace, state->ks, state->tables, state->columns);
    if (md.ok()) self->schema_.Set(keyspace, std::make_shared<const KeyspaceMetadata>(*md));
    KeyspaceHandler h = std::move(state->handler);
    auto ex = asio::get_associated_executor(h, self->io_.get_executor());
    asio::dispatch(
        ex, [h = std::move(h), md = std::move(md)]() mutable { std::move(h)(std::move(md)); });
  };
  SendQuery(*c, ReplicationQuery(keyspace), {}, options_.request_timeout,
            [state, done](QueryResult r) {
              state->ks = std::move(r);
              done();
            });
  SendQuery(*c, TablesQuery(keyspace), {}, options_.request_timeout, [state, done](QueryResult r) {
    state->tables = std::move(r);
    done();
  });
  SendQuery(*c, ColumnsQuery(keyspace), {}, options_.request_timeout, [state, done](QueryResult r) {
    state->columns = std::move(r);
    done();
  });
}

}  // namespace postfork::driver
