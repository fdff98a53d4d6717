// Timestamp text with Java's time zones (node/cql3/timestamp_text.h); the values are those
// Cassandra 5.0.8 answers (tests/compat/corpus/terms.cql compares them over the wire).
#include "node/cql3/timestamp_text.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace postfork::node::cql3 {
namespace {

int64_t Millis(std::string_view text) {
  auto ts = ParseTimestampText(text);
  EXPECT_TRUE(ts.ok()) << text;
  return ts.ok() ? ts->millis : 0;
}

TEST(TimestampText, RegionIdsAndDisplayNamesResolveAsJavaDoes) {
  EXPECT_EQ(Millis("2024-01-01 00:00 America/New_York"), 1704085200000);
  EXPECT_EQ(Millis("2024-01-01 00:00 EST"), 1704085200000);  // a name: America/New_York
  EXPECT_EQ(Millis("2024-07-01 12:00 PST"), 1719860400000);  // America/Los_Angeles, summer
  EXPECT_EQ(Millis("2024-01-01 00:00 Pacific Standard Time"), 1704096000000);
  EXPECT_EQ(Millis("2024-01-01 00:00 IST"), 1704067200000);  // Java picks Africa/Abidjan
  EXPECT_EQ(Millis("2024-01-01 00:00 BST"), 1704027600000);  // and Pacific/Bougainville
  EXPECT_EQ(Millis("2024-01-01 PST"), 1704096000000);
  EXPECT_EQ(Millis("2024-01-01T10:00 PST"), 1704132000000);
  EXPECT_EQ(Millis("2024-01-01 10:00:00.123 Europe/Paris"), 1704099600123);
  EXPECT_EQ(Millis("1900-01-01 10:00 Europe/Paris"), -2208953361000);  // Paris mean time
  EXPECT_EQ(Millis("2024-01-01 10:00 UTC"), 1704103200000);           // the codec's aliases
  EXPECT_EQ(Millis("2024-07-01 00:00 SystemV/PST8"), 1719820800000);
  EXPECT_EQ(Millis("2024-07-01 00:00 SystemV/PST8PDT"), 1719817200000);
  EXPECT_EQ(Millis("2024-01-01 00:00 SystemV/PST8PDT"), 1704096000000);
}

TEST(TimestampText, GapsMoveForwardOverlapsTakeTheEarlierOffset) {
  EXPECT_EQ(Millis("2024-03-10 02:30 America/New_York"), 1710055800000);  // 03:30 EDT
  EXPECT_EQ(Millis("2024-11-03 01:30 America/New_York"), 1730611800000);  // 01:30 EDT
}

TEST(TimestampText, ZonesKeepTheirLastRulesAfterTheLastTransitionListed) {
  EXPECT_EQ(Millis("2200-07-01 00:00 Europe/Paris"), 7273749600000);
  EXPECT_EQ(Millis("9999-07-01 00:00 America/New_York"), 253386417600000);
  EXPECT_EQ(Millis("9999-12-01 00:00 America/New_York"), 253399640400000);
  EXPECT_EQ(Millis("2100-03-14 02:30 America/New_York"), 4108692600000);  // a gap
  EXPECT_EQ(Millis("2400-03-12 02:30 America/New_York"), 13575627000000);
}

TEST(TimestampText, RefusesWhatJavaDoesNotRead) {
  for (std::string_view text :
       {"2024-01-01 00:00 pst", "2024-01-01 00:00 Etc/GMT+5", "2024-01-01 10:00  PST",
        "2024-01-01 10:00 PST ", "2024-01-01 10:00:00.123Europe/Paris",
        "2024-01-01 10:00 Europe/Nowhere", "2024-01-01 10 PST", "PST", "2024-01-01+01:00 PST"}) {
    EXPECT_FALSE(ParseTimestampText(text).ok()) << text;
  }
}

TEST(TimestampText, EveryJavaZoneTextIsInTheSystemDatabase) {
  struct ZoneText {
    std::string_view text, zone;
  };
  static constexpr ZoneText kTexts[] = {
#include "node/cql3/java_zone_names.inc"
  };
  for (const ZoneText& z : kTexts) {
    EXPECT_TRUE(ParseTimestampText("2024-01-01 00:00 " + std::string(z.text)).ok())
        << z.text << " (" << z.zone << ")";
  }
}

}  // namespace
}  // namespace postfork::node::cql3
