// Hand-written recursive-descent parser for the CQL this node accepts (Cassandra 4.1's grammar,
// restricted to the statements in ast.h). Errors are SyntaxError (0x2000) statuses whose message
// starts with Cassandra's "line L:C" position.
#pragma once

#include <string_view>

#include "node/cql3/ast.h"
#include "postfork/base/status.h"

namespace postfork::node::cql3 {

// Parses exactly one statement (an optional trailing ';' is allowed). Never throws; any input,
// however malformed, yields a statement or a SyntaxError status. Nesting is bounded.
Result<ParsedStatement> ParseStatement(std::string_view text);

}  // namespace postfork::node::cql3
