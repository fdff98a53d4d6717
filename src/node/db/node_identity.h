// Who this node says it is in system.local (and what drivers use to reach it).
#pragma once

#include <cstdint>
#include <string>

namespace postfork::node {

struct NodeIdentity {
  // The address clients connect to: system.local rpc_address, listen_address, broadcast_address.
  std::string listen_address = "127.0.0.1";   // Default: 127.0.0.1 (IPv4 or IPv6 text)
  int32_t native_port = 9042;                 // Default: 9042 (rpc_port)
  int32_t storage_port = 7000;                // Default: 7000 (listen_port, broadcast_port)
  std::string cluster_name = "Test Cluster";  // Default: 'Test Cluster' (cassandra.yaml)
  std::string data_center = "datacenter1";
  std::string rack = "rack1";
  std::string release_version = "4.1.5";  // drivers pick their schema parser by it
  std::string cql_version = "3.4.6";
  std::string native_protocol_version = "4";  // we speak v4 only
  int32_t num_tokens = 16;
};

}  // namespace postfork::node
