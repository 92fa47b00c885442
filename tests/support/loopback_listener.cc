#include "tests/support/loopback_listener.h"

#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace dbsnap::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct LoopbackListener::State {
  Serve serve;
  asio::io_context ioc;  // never run: sockets are used synchronously
  std::optional<tcp::acceptor> acceptor;
  int listen_fd = -1;
  int port = 0;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::set<int> client_fds;  // open connections, to shut down on stop
  std::vector<std::thread> connections;
  std::thread accepting;

  void accept_loop() {
    while (!stop) {
      boost::system::error_code ec;
      tcp::socket socket = acceptor->accept(ec);
      if (ec) continue;  // stop is set when the listener was shut down
      std::lock_guard lock(mutex);
      int fd = socket.release(ec);
      if (ec) continue;
      client_fds.insert(fd);
      connections.emplace_back([this, fd] { run(fd); });
    }
  }

  void run(int fd) {
    tcp::socket socket(ioc, tcp::v4(), fd);
    // Unregisters the fd before the socket closes it, so shutdown on stop
    // never hits a reused descriptor.
    struct Unregister {
      State& state;
      int fd;
      ~Unregister() {
        std::lock_guard lock(state.mutex);
        state.client_fds.erase(fd);
      }
    } unregister{*this, fd};
    serve(socket);
  }
};

LoopbackListener::LoopbackListener(Serve serve) : state_(std::make_unique<State>()) {
  state_->serve = std::move(serve);
  auto& acceptor = state_->acceptor.emplace(state_->ioc);
  tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
  acceptor.open(local.protocol());
  acceptor.bind(local);
  acceptor.listen();
  state_->listen_fd = acceptor.native_handle();
  state_->port = acceptor.local_endpoint().port();
  state_->accepting = std::thread([state = state_.get()] { state->accept_loop(); });
}

LoopbackListener::~LoopbackListener() {
  state_->stop = true;
  ::shutdown(state_->listen_fd, SHUT_RDWR);  // wakes the blocking accept
  state_->accepting.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(state_->mutex);
    for (int fd : state_->client_fds) ::shutdown(fd, SHUT_RDWR);
    connections.swap(state_->connections);
  }
  for (std::thread& t : connections) t.join();
}

int LoopbackListener::port() const { return state_->port; }

asio::io_context& LoopbackListener::context() { return state_->ioc; }

}  // namespace dbsnap::test
