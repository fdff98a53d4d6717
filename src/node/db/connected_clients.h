// The client connections that system_views.clients lists, as Cassandra's ConnectedClient
// describes them. The transport registers a connection when its first request fixes the
// protocol version and updates the entry as the handshake and USE change it; system tables read
// copies. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace postfork::node {

// One connection's row of system_views.clients. Unset optionals are nulls.
struct ClientInfo {
  std::string address;  // the client's IP as text
  int32_t port = 0;
  std::string hostname;  // filled in by List: the address's host name, else the address
  std::optional<std::string> username;  // "anonymous" without authentication; the role after it
  std::string connection_stage = "established";  // established, authenticating or ready
  int32_t protocol_version = 0;
  std::optional<std::map<std::string, std::string>> client_options;  // the STARTUP options
  std::optional<std::string> driver_name;                             // STARTUP DRIVER_NAME
  std::optional<std::string> driver_version;  // STARTUP DRIVER_VERSION, when it named a driver
  int64_t request_count = 0;                  // requests received, this one included
  bool ssl_enabled = false;
  std::optional<std::string> ssl_protocol;      // TLSv1.3, ...
  std::optional<std::string> ssl_cipher_suite;  // its IANA name, as Java prints it
  std::optional<std::string> keyspace_name;     // the connection's USE
};

class ConnectedClients {
 public:
  // A registered connection: updates its row; the row goes when the registration does.
  class Registration {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    // Counts one request (every message the client sends). Cheap: one relaxed atomic add.
    void CountRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }
    // Changes the row under its lock; `f` gets a ClientInfo& (request_count is not kept there).
    template <typename F>
    void Update(F&& f) {
      std::lock_guard<std::mutex> lock(mu_);
      f(info_);
    }

   private:
    friend class ConnectedClients;
    Registration(ConnectedClients* owner, ClientInfo info) : owner_(owner), info_(std::move(info)) {}
    ConnectedClients* owner_;
    std::mutex mu_;
    ClientInfo info_;
    std::atomic<int64_t> requests_{0};
  };

  ConnectedClients() = default;
  ConnectedClients(const ConnectedClients&) = delete;
  ConnectedClients& operator=(const ConnectedClients&) = delete;

  // The registry must outlive the registration.
  std::unique_ptr<Registration> Register(ClientInfo info);
  // Every registered connection's row, with its host name resolved (getnameinfo: /etc/hosts or
  // DNS, as Java's InetAddress.getHostName; may block on DNS, so never call it on the network
  // thread).
  std::vector<ClientInfo> List() const;

 private:
  mutable std::mutex mu_;
  std::vector<Registration*> registered_;
};

}  // namespace postfork::node
