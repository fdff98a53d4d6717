// Arbitrary bytes as a frame: header, optional decompression, the body as the message of its
// opcode in both directions, the types found in it and the values of those types. Must never
// crash, leak or allocate from an untrusted length.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "postfork/cql/compression.h"
#include "postfork/cql/frame.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"

namespace postfork::cql {
namespace {

constexpr size_t kMaxBody = 1 << 20;

template <class M>
void Try(std::string_view body) {
  ByteReader r(body);
  auto m = M::Decode(r);
  if (!m.ok()) return;
  // What decodes must encode again without tripping anything.
  std::string out;
  ByteWriter w(&out);
  m->Encode(w);
}

void Cells(const RowsResult& rows) {
  const auto& cols = rows.metadata.columns;
  if (cols.empty()) return;
  for (size_t i = 0; i < rows.cells.size(); ++i) {
    const RawValue& c = rows.cells[i];
    if (c.kind != RawValue::Kind::kBytes) continue;
    const DataType& t = cols[i % cols.size()].type;
    (void)ValidateValue(c.bytes, t);
    auto v = DeserializeValue(c.bytes, t);
    if (v.ok()) {
      std::string again;
      (void)SerializeValue(*v, t, &again);
      (void)v->ToCqlLiteral(t);
    }
  }
}

void Result(std::string_view body) {
  ByteReader r(body);
  auto m = ResultMessage::Decode(r);
  if (!m.ok()) return;
  if (m->kind == ResultKind::kRows) Cells(m->rows);
  std::string out;
  ByteWriter w(&out);
  m->Encode(w);
}

void Body(Opcode op, std::string_view body) {
  switch (op) {
    case Opcode::kStartup:
      Try<StartupMessage>(body);
      break;
    case Opcode::kAuthResponse:
      Try<AuthResponseMessage>(body);
      break;
    case Opcode::kOptions:
      Try<OptionsMessage>(body);
      break;
    case Opcode::kQuery:
      Try<QueryMessage>(body);
      break;
    case Opcode::kPrepare:
      Try<PrepareMessage>(body);
      break;
    case Opcode::kExecute:
      Try<ExecuteMessage>(body);
      break;
    case Opcode::kBatch:
      Try<BatchMessage>(body);
      break;
    case Opcode::kRegister:
      Try<RegisterMessage>(body);
      break;
    case Opcode::kError:
      Try<ErrorMessage>(body);
      break;
    case Opcode::kReady:
      Try<ReadyMessage>(body);
      break;
    case Opcode::kAuthenticate:
      Try<AuthenticateMessage>(body);
      break;
    case Opcode::kSupported:
      Try<SupportedMessage>(body);
      break;
    case Opcode::kResult:
      Result(body);
      break;
    case Opcode::kEvent:
      Try<EventMessage>(body);
      break;
    case Opcode::kAuthChallenge:
      Try<AuthChallengeMessage>(body);
      break;
    case Opcode::kAuthSuccess:
      Try<AuthSuccessMessage>(body);
      break;
  }
}

// The whole input as an [option] followed by a value of that type, and as type text.
void TypeAndValue(std::string_view data) {
  ByteReader r(data);
  auto t = DataType::Decode(r);
  if (!t.ok()) return;
  (void)t->ToCql();
  auto again = DataType::Parse(t->ToCql());
  (void)again;
  std::string_view rest = r.rest();
  auto v = DeserializeValue(rest, *t);
  if (v.ok()) (void)v->ToCqlLiteral(*t);
  (void)DataType::Parse(std::string_view(data).substr(0, 200));
}

}  // namespace
}  // namespace postfork::cql

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace postfork::cql;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  TypeAndValue(in);
  FrameHeader h;
  auto parsed = ParseFrameHeader(in, &h, kMaxBody);
  if (!parsed.ok() || *parsed != HeaderParse::kOk) return 0;
  std::string_view body = in.substr(kFrameHeaderSize);
  if (body.size() > h.length) body = body.substr(0, h.length);
  if (h.flags & frame_flags::kCompression) {
    for (Compression c : {Compression::kLz4, Compression::kSnappy}) {
      std::string plain;
      if (Decompress(c, body, &plain, kMaxBody).ok()) Body(h.opcode, plain);
    }
    return 0;
  }
  Body(h.opcode, body);
  return 0;
}
