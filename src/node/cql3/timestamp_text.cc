#include "node/cql3/timestamp_text.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace postfork::node::cql3 {
namespace {

struct ZoneText {
  std::string_view text;  // as written after the date-time
  std::string_view zone;  // the region Java resolves it to
};

constexpr ZoneText kJavaZoneTexts[] = {
#include "node/cql3/java_zone_names.inc"
};

constexpr bool SortedByText() {
  for (size_t i = 1; i < std::size(kJavaZoneTexts); ++i) {
    if (!(kJavaZoneTexts[i - 1].text < kJavaZoneTexts[i].text)) return false;
  }
  return true;
}
static_assert(SortedByText(), "java_zone_names.inc must be sorted by text (a Java TreeSet)");

const ZoneText* FindZoneText(std::string_view text) {
  const ZoneText* end = std::end(kJavaZoneTexts);
  const ZoneText* at = std::lower_bound(
      std::begin(kJavaZoneTexts), end, text,
      [](const ZoneText& z, std::string_view t) { return z.text < t; });
  return at != end && at->text == text ? at : nullptr;
}

// A date-time without a zone, as the patterns before " z" write it: digits and - : . T and one
// space, no sign after the date.
bool IsLocalDateTime(std::string_view head) {
  size_t time_at = head.find_first_of(" T");
  for (size_t i = 0; i < head.size(); ++i) {
    char c = head[i];
    bool ok = (c >= '0' && c <= '9') || c == ':' || c == '.' || i == time_at ||
              (c == '-' && (time_at == std::string_view::npos || i < time_at));
    if (!ok) return false;
  }
  return !head.empty();
}

// Java's SystemV zones (SystemV/PST8, SystemV/PST8PDT, ...) are not in the tz database: the
// hours behind UTC their name gives and, for those ending in a daylight name, one hour more from
// the first Sunday of April to the last of October at 02:00 (Java's "systemv" rules from 1987 on),
// the offset before a gap or an overlap as below.
int64_t SystemVOffsetSeconds(std::string_view zone, date::local_seconds local) {
  size_t digits = zone.find_first_of("0123456789");
  size_t digits_end = zone.find_first_not_of("0123456789", digits);
  int64_t standard = -std::stoll(std::string(zone.substr(digits, digits_end - digits))) * 3600;
  if (digits_end == std::string_view::npos) return standard;
  auto year = date::year_month_day(date::floor<date::days>(local)).year();
  auto start = date::local_days(year / date::April / date::Sunday[1]) + std::chrono::hours(3);
  auto end = date::local_days(year / date::October / date::Sunday[date::last]) +
             std::chrono::hours(2);
  return local >= start && local < end ? standard + 3600 : standard;
}

// The system's zone files list transitions up to 2037 and date/tz reads nothing after them,
// where Java keeps applying a zone's last rules: a later local time is moved to the latest year
// up to 2037 with the same calendar (leap or not, the same weekday on January 1st), whose
// transitions those rules placed on the same days.
date::local_seconds WithinTransitionsListed(date::local_seconds local) {
  constexpr int kLastListed = 2037;
  date::local_days day = date::floor<date::days>(local);
  date::year_month_day ymd(day);
  if (static_cast<int>(ymd.year()) <= kLastListed) return local;
  auto jan1 = date::weekday(date::local_days(ymd.year() / date::January / 1));
  for (int y = kLastListed;; --y) {
    date::year candidate(y);
    if (candidate.is_leap() == ymd.year().is_leap() &&
        date::weekday(date::local_days(candidate / date::January / 1)) == jan1) {
      return local - day + date::local_days(candidate / ymd.month() / ymd.day());
    }
  }
}

// The UTC offset, in seconds, of `zone` at the local time `local_ms` (milliseconds as if UTC):
// the offset before a gap or an overlap, as Java's ZonedDateTime.ofLocal takes it.
std::optional<int64_t> OffsetSecondsAtLocal(std::string_view zone, int64_t local_ms) {
  auto local = date::local_seconds(
      std::chrono::seconds(local_ms >= 0 ? local_ms / 1000 : -((-local_ms + 999) / 1000)));
  try {
    constexpr std::string_view kSystemV = "SystemV/";
    if (zone.substr(0, kSystemV.size()) == kSystemV) return SystemVOffsetSeconds(zone, local);
    return date::locate_zone(zone)->get_info(WithinTransitionsListed(local)).first.offset.count();
  } catch (const std::exception&) {
    // a zone Java knows and the system's database lacks, or a time out of its range
    return std::nullopt;
  }
}

}  // namespace

Result<cql::Timestamp> ParseTimestampText(std::string_view text) {
  auto parsed = cql::Timestamp::Parse(text);
  if (parsed.ok()) return parsed;
  // The zone is the whole text after a space that follows the date-time.
  for (size_t space = text.find(' '); space != std::string_view::npos;
       space = text.find(' ', space + 1)) {
    std::string_view head = text.substr(0, space);
    const ZoneText* zone = FindZoneText(text.substr(space + 1));
    if (zone == nullptr || !IsLocalDateTime(head)) continue;
    auto local = cql::Timestamp::Parse(std::string(head) + "Z");
    if (!local.ok()) continue;
    std::optional<int64_t> offset = OffsetSecondsAtLocal(zone->zone, local->millis);
    if (!offset) continue;
    return cql::Timestamp{local->millis - *offset * 1000};
  }
  return parsed;
}

}  // namespace postfork::node::cql3
