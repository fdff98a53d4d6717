#include "node/transport/server.h"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <vector>

#include "node/transport/connection.h"

namespace postfork::node::transport {

Result<boost::asio::ip::tcp::acceptor> Listen(const boost::asio::any_io_executor& executor,
                                              const boost::asio::ip::tcp::endpoint& endpoint) {
  boost::asio::ip::tcp::acceptor acceptor(executor);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIoError, "cannot listen on " + endpoint.address().to_string() +
                                            ":" + std::to_string(endpoint.port()) + ": " +
                                            ec.message());
  }
  return acceptor;
}

Server::Server(boost::asio::ip::tcp::acceptor acceptor, cql3::QueryProcessor* processor,
               service::NodeMetrics* metrics, ServerLimits limits, auth::AuthService* auth,
               boost::asio::ssl::context* tls, boost::asio::thread_pool* requests,
               ConnectedClients* clients)
    : acceptor_(std::move(acceptor)),
      processor_(processor),
      metrics_(metrics),
      limits_(limits),
      auth_(auth),
      tls_(tls),
      requests_(requests),
      clients_(clients) {
  endpoint_ = acceptor_.local_endpoint();
}

Server::~Server() = default;

void Server::Start() { DoAccept(); }

void Server::DoAccept() {
  acceptor_.async_accept(
      [this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
        if (stopped_ || !accepting_) return;
        if (!ec) {
          auto c = std::make_shared<Connection>(this, std::move(socket), tls_);
          connections_.insert(c.get());
          c->Start();
        }
        DoAccept();
      });
}

void Server::StartMetrics(boost::asio::ip::tcp::acceptor acceptor) {
  metrics_acceptor_ = std::make_unique<boost::asio::ip::tcp::acceptor>(std::move(acceptor));
  DoAcceptMetrics();
}

namespace {

// One scrape: read the request head, answer with the text, close.
struct MetricsExchange : std::enable_shared_from_this<MetricsExchange> {
  explicit MetricsExchange(boost::asio::ip::tcp::socket s) : socket(std::move(s)), buf(16 * 1024) {}
  boost::asio::ip::tcp::socket socket;
  boost::asio::streambuf buf;
  std::string response;
};

}  // namespace

void Server::DoAcceptMetrics() {
  metrics_acceptor_->async_accept([this](const boost::system::error_code& ec,
                                         boost::asio::ip::tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
      auto x = std::make_shared<MetricsExchange>(std::move(socket));
      boost::asio::async_read_until(
          x->socket, x->buf, "\r\n\r\n", [this, x](const boost::system::error_code& rec, size_t) {
            if (rec) return;
            std::string text = metrics_->RenderPrometheus();
            x->response =
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nConnection: "
                "close\r\nContent-Length: " +
                std::to_string(text.size()) + "\r\n\r\n" + text;
            boost::asio::async_write(x->socket, boost::asio::buffer(x->response),
                                     [x](const boost::system::error_code&, size_t) {
                                       boost::system::error_code ignored;
                                       x->socket.shutdown(
                                           boost::asio::ip::tcp::socket::shutdown_both, ignored);
                                     });
          });
    }
    DoAcceptMetrics();
  });
}

void Server::PauseClients() {
  if (stopped_ || !accepting_) return;
  accepting_ = false;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::vector<Connection*> open(connections_.begin(), connections_.end());
  for (Connection* c : open) c->Close();
}

Status Server::ResumeClients() {
  if (stopped_) return Status(StatusCode::kClosed, "the node is stopping");
  if (accepting_) return Status::Ok();
  PF_ASSIGN_OR_RETURN(acceptor_, Listen(acceptor_.get_executor(), endpoint_));
  accepting_ = true;
  DoAccept();
  return Status::Ok();
}

void Server::Stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (metrics_acceptor_) metrics_acceptor_->close(ec);
  std::vector<Connection*> open(connections_.begin(), connections_.end());
  for (Connection* c : open) c->Close();
}

}  // namespace postfork::node::transport
