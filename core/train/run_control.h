// Thread-safe control of a running training: cancel, pause/resume, and a new rho that takes
// effect at the next selection.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace gt {

class RunControl {
 public:
  void cancel() {
    cancelled_ = true;
    wake_.notify_all();
  }
  bool cancelled() const { return cancelled_; }

  void setPaused(bool paused) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      paused_ = paused;
    }
    wake_.notify_all();
  }
  bool paused() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return paused_;
  }
  // Blocks while paused (returns at once when cancelled).
  void waitWhilePaused() {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return !paused_ || cancelled_; });
  }

  void setRho(double rho) {
    std::lock_guard<std::mutex> lock(mutex_);
    pendingRho_ = rho;
  }
  // The rho requested since the last call, if any.
  std::optional<double> takeRho() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto r = pendingRho_;
    pendingRho_.reset();
    return r;
  }

 private:
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool paused_ = false;
  std::optional<double> pendingRho_;
};

}  // namespace gt
