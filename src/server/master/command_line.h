// The server's settings from the command line, a TOML file (--config) and the environment.
#pragma once

#include <optional>

#include "postfork/server/app.h"

namespace postfork::server::master {

// Fills `options` (and the app's own flags). Returns an exit status when the process should
// exit now (--help, or a usage error already printed), nullopt to go on.
std::optional<int> ParseCommandLine(App& app, int argc, char** argv, ServerOptions& options);

}  // namespace postfork::server::master
