#include <boost/asio/ip/address.hpp>

#include "postfork/driver/options.h"

namespace postfork::driver {

Result<ProtocolVersion> ParseProtocolVersion(std::string_view text) {
  if (text == "negotiate") return ProtocolVersion::kNegotiate;
  if (text == "4" || text == "v4") return ProtocolVersion::kV4;
  if (text == "5" || text == "v5") return ProtocolVersion::kV5;
  return Status(StatusCode::kInvalidArgument,
                "protocol_version: '" + std::string(text) + "' is not negotiate, 4 or 5");
}

Status SessionOptions::Validate() const {
  auto bad = [](std::string what) { return Status(StatusCode::kInvalidArgument, std::move(what)); };
  if (contact_points.empty()) return bad("contact_points: at least one address is required");
  for (auto& cp : contact_points) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(cp, ec);
    if (ec) return bad("contact_points: '" + cp + "' is not an IP address");
  }
  if (port == 0) return bad("port: must be 1..65535");
  if (keyspace.size() > 48) return bad("keyspace: longer than 48 characters");
  if (credentials && credentials->username.empty()) return bad("credentials: username is empty");
  if (compression == cql::Compression::kSnappy)
    return bad("compression: snappy is not offered by this driver; use lz4 or none");
  if (connect_timeout.count() <= 0) return bad("connect_timeout: must be positive");
  if (request_timeout.count() < 0) return bad("request_timeout: must be >= 0 (0 disables)");
  if (connections_per_host < 1 || connections_per_host > 64)
    return bad("connections_per_host: must be 1..64");
  if (max_streams_per_connection < 1 || max_streams_per_connection > 32768)
    return bad("max_streams_per_connection: must be 1..32768");
  if (schema_agreement_wait.count() < 0)
    return bad("schema_agreement_wait: must be >= 0 (0 disables)");
  if (heartbeat_interval.count() < 0) return bad("heartbeat_interval: must be >= 0 (0 disables)");
  if (reconnection.base_delay.count() <= 0 || reconnection.max_delay < reconnection.base_delay)
    return bad("reconnection: need 0 < base_delay <= max_delay");
  if (page_size <= 0) return bad("page_size: must be positive");
  if (tls.enabled && (tls.cert_file.empty() != tls.key_file.empty()))
    return bad("tls: cert_file and key_file go together");
  return Status::Ok();
}

}  // namespace postfork::driver
