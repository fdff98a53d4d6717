// Each decoder's typed rejection of inconsistent input (beyond truncation, which the round-trip
// tests cover by decoding every prefix).
#include <gtest/gtest.h>

#include "postfork/cql/messages.h"

namespace postfork::cql {
namespace {

template <class M, class Fill>
Status DecodeBuilt(Fill fill) {
  std::string buf;
  ByteWriter w(&buf);
  fill(w);
  ByteReader r(buf);
  return M::Decode(r).status();
}

// Requests are lenient about bytes after their body (as Cassandra's decoders); responses, which
// the driver reads, are checked to their end.
TEST(Rejection, TrailingBytesAfterAMessage) {
  EXPECT_TRUE(DecodeBuilt<PrepareMessage>([](ByteWriter& w) {
                w.WriteLongString("SELECT 1");
                w.WriteByte(0);
              }).ok());
  EXPECT_FALSE(DecodeBuilt<ReadyMessage>([](ByteWriter& w) { w.WriteByte(0); }).ok());
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(1);
                 w.WriteInt(0);
               }).ok());
}

TEST(Rejection, BatchTypeAndStatementKind) {
  EXPECT_FALSE(DecodeBuilt<BatchMessage>([](ByteWriter& w) {
                 w.WriteByte(3);
                 w.WriteShort(0);
                 w.WriteShort(1);
                 w.WriteByte(0);
               }).ok());
  EXPECT_FALSE(DecodeBuilt<BatchMessage>([](ByteWriter& w) {
                 w.WriteByte(0);
                 w.WriteShort(1);
                 w.WriteByte(2);
                 w.WriteLongString("x");
                 w.WriteShort(0);
                 w.WriteShort(1);
                 w.WriteByte(0);
               }).ok());
  // Hostile statement and value counts.
  EXPECT_EQ(DecodeBuilt<BatchMessage>([](ByteWriter& w) {
              w.WriteByte(0);
              w.WriteShort(0xFFFF);
            }).code(),
            StatusCode::kMalformed);
}

TEST(Rejection, PreparedWithInconsistentIndexesAndCounts) {
  // pk index 5 with one bind marker.
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kPrepared));
                 w.WriteShortBytes("id");
                 w.WriteInt(rows_flags::kGlobalTablesSpec);
                 w.WriteInt(1);
                 w.WriteInt(1);
                 w.WriteShort(5);
                 w.WriteString("ks");
                 w.WriteString("t");
                 w.WriteString("a");
                 w.WriteShort(static_cast<uint16_t>(TypeKind::kInt));
                 w.WriteInt(0);
                 w.WriteInt(0);
               }).ok());
  // Negative bind marker count, and a pk count far beyond the body.
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kPrepared));
                 w.WriteShortBytes("id");
                 w.WriteInt(0);
                 w.WriteInt(-1);
                 w.WriteInt(0);
               }).ok());
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kPrepared));
                 w.WriteShortBytes("id");
                 w.WriteInt(0);
                 w.WriteInt(1);
                 w.WriteInt(0x7FFFFFFF);
               }).ok());
}

TEST(Rejection, RowsWithNegativeCountsAndBadTypes) {
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
                 w.WriteInt(rows_flags::kNoMetadata);
                 w.WriteInt(-5);
                 w.WriteInt(0);
               }).ok());
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
                 w.WriteInt(rows_flags::kNoMetadata);
                 w.WriteInt(1);
                 w.WriteInt(-1);
               }).ok());
  EXPECT_FALSE(DecodeBuilt<ResultMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ResultKind::kRows));
                 w.WriteInt(rows_flags::kGlobalTablesSpec);
                 w.WriteInt(1);
                 w.WriteString("ks");
                 w.WriteString("t");
                 w.WriteString("a");
                 w.WriteShort(0x00FF);  // unknown type id
                 w.WriteInt(0);
               }).ok());
}

TEST(Rejection, EventsAndSchemaChanges) {
  EXPECT_FALSE(DecodeBuilt<EventMessage>([](ByteWriter& w) {
                 w.WriteString("TOPOLOGY_CHANGE");
                 w.WriteString("NEW_NODE");
                 w.WriteByte(7);
                 w.WriteRaw("1234567");
                 w.WriteInt(9042);
               }).ok());
  EXPECT_FALSE(DecodeBuilt<EventMessage>([](ByteWriter& w) { w.WriteString("NOPE"); }).ok());
  EXPECT_FALSE(DecodeBuilt<SchemaChange>([](ByteWriter& w) {
                 w.WriteString("CREATED");
                 w.WriteString("VIEW");
                 w.WriteString("ks");
               }).ok());
  EXPECT_FALSE(DecodeBuilt<SchemaChange>([](ByteWriter& w) {
                 w.WriteString("RENAMED");
                 w.WriteString("TABLE");
               }).ok());
}

TEST(Rejection, ErrorWithBadConsistencyAndUnknownCodesKept) {
  EXPECT_FALSE(DecodeBuilt<ErrorMessage>([](ByteWriter& w) {
                 w.WriteInt(static_cast<int32_t>(ErrorCode::kUnavailable));
                 w.WriteString("x");
                 w.WriteShort(0x99);
                 w.WriteInt(1);
                 w.WriteInt(0);
               }).ok());
  std::string buf;
  ByteWriter w(&buf);
  w.WriteInt(0x7777);
  w.WriteString("odd");
  ByteReader r(buf);
  auto e = ErrorMessage::Decode(r);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(static_cast<int32_t>(e->code), 0x7777);
  EXPECT_EQ(e->message, "odd");
}

TEST(Rejection, StringMapAndMultimapWithShortBodies) {
  EXPECT_EQ(DecodeBuilt<StartupMessage>([](ByteWriter& w) {
              w.WriteShort(2);
              w.WriteString("CQL_VERSION");
              w.WriteString("3.0.0");
            }).code(),
            StatusCode::kMalformed);
  EXPECT_EQ(DecodeBuilt<StartupMessage>([](ByteWriter& w) {
              w.WriteShort(100);
              w.WriteString("CQL_VERSION");
            }).code(),
            StatusCode::kMalformed);
  EXPECT_FALSE(DecodeBuilt<SupportedMessage>([](ByteWriter& w) {
                 w.WriteShort(1);
                 w.WriteString("COMPRESSION");
                 w.WriteShort(5);
               }).ok());
}

}  // namespace
}  // namespace postfork::cql
