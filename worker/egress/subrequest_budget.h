// One incoming request's allowance of subrequests, for the fetch() glue: at most `max_total`
// over the request's life (limits.subrequests; past it fetch() rejects), at most
// `max_concurrent` running at once (limits.concurrent_subrequests; the rest wait in order).
//
//   SubrequestBudget budget(config.limits.subrequests, config.limits.concurrent_subrequests);
//   SubrequestBudget::Ticket ticket = budget.admit([&] { sub = client.fetch(...); });
//   if (ticket.refused()) ... reject with budget.refusal_message() ...
//   // the start function runs now, or later from inside another ticket's release
//   ticket.release();   // (or destroy it) when that subrequest has ended or was aborted;
//                       // a ticket still waiting is taken out of the queue and never starts
//
// Single-threaded, like the loop it serves. The budget must outlive its tickets.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>

namespace wsup::worker::egress {

class SubrequestBudget {
 public:
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    ~Ticket() { release(); }

    bool refused() const { return state_ == State::refused; }
    bool running() const { return state_ == State::running; }
    bool waiting() const { return state_ == State::waiting; }
    // The subrequest ended: its place goes to the next waiting one. Idempotent.
    void release();

   private:
    friend class SubrequestBudget;
    enum class State { none, refused, waiting, running };
    Ticket(SubrequestBudget* budget, uint64_t id, State state)
        : budget_(budget), id_(id), state_(state) {}

    SubrequestBudget* budget_ = nullptr;
    uint64_t id_ = 0;
    State state_ = State::none;
  };

  SubrequestBudget(uint32_t max_total, uint32_t max_concurrent);
  SubrequestBudget(const SubrequestBudget&) = delete;
  SubrequestBudget& operator=(const SubrequestBudget&) = delete;

  // Counts one subrequest against the total, then runs `start` now (a place is free) or once
  // a running one releases its ticket. Refused when the total is used up.
  Ticket admit(std::function<void()> start);

  // "Too many subrequests: this request may make at most 50 (limits.subrequests)".
  std::string refusal_message() const;
  uint32_t admitted() const { return admitted_; }
  uint32_t running() const { return running_; }
  size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiting {
    uint64_t id;
    std::function<void()> start;
    Ticket* ticket;  // updated when the ticket moves
  };
  void on_release(uint64_t id, bool was_waiting);
  void start_next();

  const uint32_t max_total_;
  const uint32_t max_concurrent_;
  uint32_t admitted_ = 0;
  uint32_t running_ = 0;
  uint64_t next_id_ = 1;
  std::deque<Waiting> waiting_;
};

}  // namespace wsup::worker::egress
