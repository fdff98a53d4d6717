// Decoders against corrupted input: valid frames with bytes flipped, lengths rewritten and tails
// cut, decoded many times under the sanitizers. Nothing may crash or read out of bounds, and a
// decoder must either succeed or return a typed error.
#include <gtest/gtest.h>

#include <random>

#include "postfork/cql/compression.h"
#include "postfork/cql/messages.h"
#include "postfork/cql/value.h"

namespace postfork::cql {
namespace {

std::vector<std::pair<Opcode, std::string>> SampleBodies() {
  std::vector<std::pair<Opcode, std::string>> out;
  auto add = [&out](Opcode op, const auto& m) {
    std::string b;
    ByteWriter w(&b);
    m.Encode(w);
    out.emplace_back(op, std::move(b));
  };
  QueryMessage q;
  q.query = "SELECT * FROM ks.t";
  q.params.values = {RawValue::Of("abc"), RawValue::Null(), RawValue::Unset()};
  q.params.value_names = {"a", "b", "c"};
  q.params.page_size = 10;
  q.params.paging_state = "ps";
  q.params.serial_consistency = Consistency::kSerial;
  q.params.default_timestamp = 5;
  add(Opcode::kQuery, q);
  BatchMessage b;
  b.statements.push_back({false, "INSERT", {RawValue::Of("x")}});
  b.statements.push_back({true, "id", {RawValue::Null()}});
  add(Opcode::kBatch, b);
  StartupMessage s;
  s.options = {{"CQL_VERSION", "3.0.0"}};
  add(Opcode::kStartup, s);
  ErrorMessage e;
  e.code = ErrorCode::kReadFailure;
  add(Opcode::kError, e);
  ResultMessage r;
  r.kind = ResultKind::kRows;
  r.rows.metadata.columns = {
      {"ks", "t", "a", DataType::Map(DataType(), DataType::List(DataType(TypeKind::kInt)))},
      {"ks", "t", "b", DataType::Udt("ks", "u", {"x"}, {DataType(TypeKind::kDuration)})},
      {"ks", "t2", "c",
       DataType::Tuple({DataType(TypeKind::kDecimal), DataType(TypeKind::kText)})}};
  r.rows.metadata.column_count = 3;
  r.rows.metadata.paging_state = "more";
  r.rows.row_count = 1;
  static std::string cells[3];
  (void)SerializeValue(ValueMap{{Value("k"), Value(ValueList{int32_t{1}})}},
                       r.rows.metadata.columns[0].type, &cells[0]);
  (void)SerializeValue(ValueList{Duration{1, 2, 3}}, r.rows.metadata.columns[1].type, &cells[1]);
  (void)SerializeValue(ValueList{*Decimal::Parse("1.5"), Value("t")},
                       r.rows.metadata.columns[2].type, &cells[2]);
  for (auto& c : cells) r.rows.cells.push_back(RawValue::Of(c));
  add(Opcode::kResult, r);
  ResultMessage p;
  p.kind = ResultKind::kPrepared;
  p.prepared.id = "id";
  p.prepared.pk_indexes = {0};
  p.prepared.bind_columns = {{"ks", "t", "a", DataType(TypeKind::kInt)}};
  add(Opcode::kResult, p);
  EventMessage ev;
  ev.type = EventMessage::Type::kStatusChange;
  ev.change = "UP";
  ev.address = std::string(16, '\x01');
  add(Opcode::kEvent, ev);
  return out;
}

void DecodeAny(Opcode op, std::string_view body) {
  ByteReader r(body);
  switch (op) {
    case Opcode::kQuery:
      (void)QueryMessage::Decode(r);
      break;
    case Opcode::kBatch:
      (void)BatchMessage::Decode(r);
      break;
    case Opcode::kStartup:
      (void)StartupMessage::Decode(r);
      break;
    case Opcode::kError:
      (void)ErrorMessage::Decode(r);
      break;
    case Opcode::kEvent:
      (void)EventMessage::Decode(r);
      break;
    case Opcode::kResult: {
      auto m = ResultMessage::Decode(r);
      if (m.ok() && m->kind == ResultKind::kRows && !m->rows.metadata.columns.empty()) {
        const auto& cols = m->rows.metadata.columns;
        for (size_t i = 0; i < m->rows.cells.size(); ++i) {
          const auto& c = m->rows.cells[i];
          if (c.kind == RawValue::Kind::kBytes) {
            auto v = DeserializeValue(c.bytes, cols[i % cols.size()].type);
            EXPECT_EQ(v.ok(), ValidateValue(c.bytes, cols[i % cols.size()].type).ok());
          }
        }
      }
      break;
    }
    default:
      break;
  }
}

TEST(Robustness, MutatedMessagesNeverCrashDecoders) {
  std::mt19937 rng(12345);
  for (const auto& [op, body] : SampleBodies()) {
    ASSERT_FALSE(body.empty());
    DecodeAny(op, body);
    for (int iter = 0; iter < 20000; ++iter) {
      std::string m = body;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < edits; ++k) {
        size_t at = rng() % m.size();
        switch (rng() % 4) {
          case 0:
            m[at] = static_cast<char>(rng());
            break;
          case 1:
            m[at] = static_cast<char>(0xFF);
            break;  // lengths become negative or huge
          case 2:
            m[at] = static_cast<char>(0x7F);
            break;
          case 3:
            m.resize(at);
            break;
        }
        if (m.empty()) break;
      }
      DecodeAny(op, m);
    }
  }
}

TEST(Robustness, CorruptCompressedBodiesAreRejectedNotTrusted) {
  std::mt19937 rng(7);
  std::string body;
  for (int i = 0; i < 200; ++i) body += "value-" + std::to_string(i);
  for (Compression c : {Compression::kLz4, Compression::kSnappy}) {
    std::string packed;
    ASSERT_TRUE(Compress(c, body, &packed).ok());
    for (int iter = 0; iter < 2000; ++iter) {
      std::string m = packed;
      m[rng() % m.size()] = static_cast<char>(rng());
      std::string out;
      Status st = Decompress(c, m, &out, 1 << 16);
      if (!st.ok()) {
        EXPECT_TRUE(out.empty());
      }
      EXPECT_LE(out.size(), size_t{1} << 16);
    }
  }
}

TEST(Robustness, MaximumLengthStringsRoundTrip) {
  std::string big(65535, 'x');
  StartupMessage s;
  s.options = {{"CQL_VERSION", big}};
  std::string buf;
  ByteWriter w(&buf);
  s.Encode(w);
  ByteReader r(buf);
  auto back = StartupMessage::Decode(r);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->options.at("CQL_VERSION").size(), 65535u);
  ExecuteMessage e;
  e.id = big;
  buf.clear();
  e.Encode(w);
  ByteReader r2(buf);
  EXPECT_EQ(ExecuteMessage::Decode(r2)->id.size(), 65535u);
  // A [value] claiming INT32_MAX bytes with few present is truncated, not allocated.
  std::string huge(
      "\x7F\xFF\xFF\xFF"
      "abc",
      7);
  ByteReader r3(huge);
  EXPECT_EQ(r3.ReadValue().error().code(), StatusCode::kTruncated);
}

}  // namespace
}  // namespace postfork::cql
