// Prometheus text exposition format helpers, shared by the node's and the server's /metrics.
#pragma once

#include <string>
#include <string_view>

namespace postfork {

// `value` escaped for a label value between double quotes: backslash, double quote and line feed
// become \\, \" and \n, as the exposition format requires.
std::string PrometheusLabelValue(std::string_view value);

}  // namespace postfork
