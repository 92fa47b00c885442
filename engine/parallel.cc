#include "engine/parallel.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/cancel.h"

namespace dbsnap {

void run_parallel(
    std::size_t workers, std::size_t count,
    const std::function<ItemHandler(std::size_t worker, const std::atomic<bool>& stop)>& setup) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex error_mu;
  std::exception_ptr first_error;
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 0; w < workers; ++w) {
    threads.emplace_back([&, w] {
      try {
        ItemHandler handle = setup(w, stop);
        for (std::size_t i = next++; i < count && !stop; i = next++) {
          throw_if_cancelled();
          handle(i);
        }
      } catch (...) {
        std::lock_guard lock(error_mu);
        if (!first_error) first_error = std::current_exception();
        stop = true;
      }
    });
  }
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace dbsnap
