// A TCP listener on 127.0.0.1 at a free port that serves each connection on
// a thread of its own: the socket half of the test servers at the HTTP
// boundary (HttpReceiver, S3FaultProxy), which add what they answer.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>

namespace dbsnap::test {

class LoopbackListener {
 public:
  // Called on the connection's own thread with its (blocking) socket; the
  // connection closes when it returns. May run concurrently for several
  // connections.
  using Serve = std::function<void(boost::asio::ip::tcp::socket&)>;

  // Starts accepting at once. Throws boost::system::system_error if it
  // cannot listen.
  explicit LoopbackListener(Serve serve);
  // Stops accepting, shuts down the open connections (so blocked reads
  // return) and joins every thread.
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int port() const;
  // An io_context for other synchronous sockets (never run).
  boost::asio::io_context& context();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace dbsnap::test
