// A request's subrequest allowance: the total, the concurrency queue and its order, tickets
// released or dropped while waiting.
#include "worker/egress/subrequest_budget.h"

#include <gtest/gtest.h>

#include <vector>

namespace wsup::worker::egress {
namespace {

TEST(SubrequestBudgetTest, RunsUpToTheConcurrencyAndQueuesTheRestInOrder) {
  SubrequestBudget budget(10, 2);
  std::vector<int> started;
  std::vector<SubrequestBudget::Ticket> tickets;
  for (int i = 0; i < 4; ++i) tickets.push_back(budget.admit([&, i] { started.push_back(i); }));
  EXPECT_EQ(started, (std::vector<int>{0, 1}));
  EXPECT_TRUE(tickets[0].running());
  EXPECT_TRUE(tickets[2].waiting());
  EXPECT_EQ(budget.waiting(), 2u);
  tickets[1].release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(tickets[2].running()) << "the moved-into-place ticket learns it runs";
  tickets[3] = SubrequestBudget::Ticket();  // dropped while waiting: never starts
  tickets[0].release();
  tickets[2].release();
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(budget.running(), 0u);
  EXPECT_EQ(budget.waiting(), 0u);
}

TEST(SubrequestBudgetTest, RefusesPastTheTotalWithAMessageNamingTheLimit) {
  SubrequestBudget budget(3, 6);
  int started = 0;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(budget.admit([&] { ++started; }).refused());
  SubrequestBudget::Ticket fourth = budget.admit([&] { ++started; });
  EXPECT_TRUE(fourth.refused());
  EXPECT_EQ(started, 3);
  EXPECT_EQ(budget.refusal_message(),
            "Too many subrequests: this request may make at most 3 (limits.subrequests)");
}

TEST(SubrequestBudgetTest, ReleaseIsIdempotentAndDestructionReleases) {
  SubrequestBudget budget(10, 1);
  int started = 0;
  {
    SubrequestBudget::Ticket first = budget.admit([&] { ++started; });
    SubrequestBudget::Ticket second = budget.admit([&] { ++started; });
    EXPECT_EQ(started, 1);
    first.release();
    first.release();
    EXPECT_EQ(started, 2);
    EXPECT_EQ(budget.running(), 1u);
  }
  EXPECT_EQ(budget.running(), 0u);
}

}  // namespace
}  // namespace wsup::worker::egress
