// Timestamp text as Cassandra's TimestampSerializer reads it, with Java's time zones: the
// codec's cql::Timestamp::Parse (numbers, ISO 8601 forms, offsets, UTC and its aliases) and,
// beyond it, a date-time followed by one space and a region zone's id or display name
// ('2024-01-01 10:00 America/New_York', '... PST', '... Pacific Standard Time').
#pragma once

#include <string_view>

#include "postfork/base/status.h"
#include "postfork/cql/value.h"

namespace postfork::node::cql3 {

// The zone texts are those Java's " z" and " zzzz" patterns read (java_zone_names.inc, case
// sensitive, the whole rest of the text); each resolves to the zone Java picks (PST is
// America/Los_Angeles, so in July it is 7 hours behind UTC), whose rules come from the system's
// time zone database (/usr/share/zoneinfo, through Howard Hinnant's date/tz). A local time in a
// gap moves forward by the gap and one in an overlap takes the earlier offset, as Java's
// ZonedDateTime.ofLocal. Fails with the codec's error for text neither form reads.
Result<cql::Timestamp> ParseTimestampText(std::string_view text);

}  // namespace postfork::node::cql3
