#include "worker/loop_rescue.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <v8-isolate.h>

namespace wsup::worker {
namespace {

enum class Role : uint8_t { other, loop, spare_maker };
// Which thread this is, for the fatal paths (read in signal handlers: a plain thread_local).
thread_local Role t_role = Role::other;

// One pending loss per strandable role: a stranded thread fills its slot, then flags it.
struct LossSlot {
  std::atomic<bool> pending{false};  // release by the stranded thread, acquire by the rescuer
  v8::Isolate* isolate = nullptr;    // published by `pending`
  char reason[256] = {};
};
LossSlot g_loop_loss;
LossSlot g_maker_loss;

// The rescuer sleeps on this word (a futex) until a strand, or the end, bumps it. Release on
// the bump, acquire on the read: a rescuer that sees the new value sees the slot filled before.
std::atomic<uint32_t> g_wakeups{0};
std::atomic<unsigned> g_strands{0};  // relaxed: a count for logs and tests
// Set while a LoopRescue exists; acquire in the fatal paths pairs with the constructor's release.
std::atomic<LoopRescue*> g_rescue{nullptr};

uint32_t* futex_word() {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  return reinterpret_cast<uint32_t*>(&g_wakeups);
}

void wake_rescuer() noexcept {
  g_wakeups.fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, futex_word(), FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
}

void wait_for_wakeup(uint32_t seen) {
  ::syscall(SYS_futex, futex_word(), FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
}

void on_fatal_signal(int signal_number) {
  LoopRescue::strand_current_thread(
      "a fatal error in V8 (its message is on the worker's stderr just before)");
  // Not a thread that may be stranded: end as the signal would have ended the process.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);  // delivered when this handler returns
}

}  // namespace

LoopRescue::LoopRescue(boost::asio::io_context& loop, TakeOver take_over, MakerLost maker_lost)
    : loop_(loop), take_over_(std::move(take_over)), maker_lost_(std::move(maker_lost)) {
  start_rescuer();
  g_rescue.store(this, std::memory_order_release);
}

LoopRescue::~LoopRescue() {
  g_rescue.store(nullptr, std::memory_order_release);
  stopping_.store(true, std::memory_order_release);
  wake_rescuer();
  std::lock_guard lock(threads_mutex_);
  for (std::thread& rescuer : rescuers_) rescuer.join();
}

void LoopRescue::start_rescuer() {
  std::lock_guard lock(threads_mutex_);
  rescuers_.emplace_back([this] { stand_by(); });
}

int LoopRescue::run(std::function<int()> after) {
  after_ = std::move(after);
  t_role = Role::loop;
  loop_.run();
  t_role = Role::other;
  return after_();
}

void LoopRescue::stand_by() {
  ::pthread_setname_np(::pthread_self(), "wsup-rescuer");
  while (true) {
    const uint32_t seen = g_wakeups.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_acquire)) return;
    if (g_maker_loss.pending.exchange(false, std::memory_order_acquire)) {
      maker_lost_(IsolateLoss{g_maker_loss.isolate, false, g_maker_loss.reason});
      continue;
    }
    if (g_loop_loss.pending.exchange(false, std::memory_order_acquire)) {
      // From here on this is the loop thread; another rescuer stands by for the next strand.
      start_rescuer();
      t_role = Role::loop;
      try {
        take_over_(IsolateLoss{g_loop_loss.isolate, true, g_loop_loss.reason});
        loop_.run();
        const int code = after_();
        std::fflush(nullptr);
        std::_Exit(code);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "wsup-worker: after a stranded loop thread: %s\n", error.what());
        std::_Exit(1);
      }
    }
    wait_for_wakeup(seen);
  }
}

void LoopRescue::mark_spare_maker_thread() {
  t_role = Role::spare_maker;
}

void LoopRescue::strand_current_thread(const char* reason) noexcept {
  if (g_rescue.load(std::memory_order_acquire) == nullptr || t_role == Role::other) return;
  v8::Isolate* isolate = v8::Isolate::TryGetCurrent();
  if (isolate == nullptr) return;
  LossSlot& slot = t_role == Role::loop ? g_loop_loss : g_maker_loss;
  slot.isolate = isolate;
  size_t length = 0;
  for (; reason != nullptr && reason[length] != '\0' && length + 1 < sizeof(slot.reason); ++length)
    slot.reason[length] = reason[length];
  slot.reason[length] = '\0';
  slot.pending.store(true, std::memory_order_release);
  g_strands.fetch_add(1, std::memory_order_relaxed);
  t_role = Role::other;  // a second failure on this thread (there should be none) is not rescued
  wake_rescuer();
  // Stranded: sleep here for good. Signals may still interrupt the sleep; none ends it.
  while (true) ::pause();
}

void LoopRescue::install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTRAP, &action, nullptr);
  ::sigaction(SIGILL, &action, nullptr);
}

unsigned LoopRescue::strands() {
  return g_strands.load(std::memory_order_relaxed);
}

}  // namespace wsup::worker
