#include "worker/egress/subrequest_budget.h"

#include <algorithm>

namespace wsup::worker::egress {

SubrequestBudget::Ticket::Ticket(Ticket&& other) noexcept
    : budget_(other.budget_), id_(other.id_), state_(other.state_) {
  other.state_ = State::none;
  if (state_ == State::waiting)
    for (Waiting& waiting : budget_->waiting_)
      if (waiting.id == id_) waiting.ticket = this;
}

SubrequestBudget::Ticket& SubrequestBudget::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    budget_ = other.budget_;
    id_ = other.id_;
    state_ = other.state_;
    other.state_ = State::none;
    if (state_ == State::waiting)
      for (Waiting& waiting : budget_->waiting_)
        if (waiting.id == id_) waiting.ticket = this;
  }
  return *this;
}

void SubrequestBudget::Ticket::release() {
  if (state_ != State::waiting && state_ != State::running) return;
  const bool was_waiting = state_ == State::waiting;
  state_ = State::none;
  budget_->on_release(id_, was_waiting);
}

SubrequestBudget::SubrequestBudget(uint32_t max_total, uint32_t max_concurrent)
    : max_total_(max_total), max_concurrent_(std::max<uint32_t>(max_concurrent, 1)) {}

SubrequestBudget::Ticket SubrequestBudget::admit(std::function<void()> start) {
  if (admitted_ >= max_total_) return Ticket(this, 0, Ticket::State::refused);
  ++admitted_;
  const uint64_t id = next_id_++;
  if (running_ < max_concurrent_) {
    ++running_;
    Ticket ticket(this, id, Ticket::State::running);
    start();
    return ticket;
  }
  Ticket ticket(this, id, Ticket::State::waiting);
  waiting_.push_back(Waiting{id, std::move(start), nullptr});
  // The returned ticket is moved into place by the caller; its move constructor updates this.
  waiting_.back().ticket = &ticket;
  return ticket;
}

void SubrequestBudget::on_release(uint64_t id, bool was_waiting) {
  if (was_waiting) {
    std::erase_if(waiting_, [&](const Waiting& waiting) { return waiting.id == id; });
    return;
  }
  --running_;
  start_next();
}

void SubrequestBudget::start_next() {
  if (waiting_.empty() || running_ >= max_concurrent_) return;
  Waiting next = std::move(waiting_.front());
  waiting_.pop_front();
  ++running_;
  if (next.ticket != nullptr) next.ticket->state_ = Ticket::State::running;
  next.start();
}

std::string SubrequestBudget::refusal_message() const {
  return "Too many subrequests: this request may make at most " + std::to_string(max_total_) +
         " (limits.subrequests)";
}

}  // namespace wsup::worker::egress
