#include "adapters/main/single_active.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <deque>

#include "tests/fakes/fake_clock.h"

namespace od::adapters::main {
namespace {

using namespace std::chrono_literals;

// A lease whose answers the test scripts: each call takes the next one (true = held,
// false = not held, an error = Valkey unreachable). Answers are delivered at once.
class ScriptedLease final : public kube::Lease {
 public:
  std::deque<core::Result<bool>> answers;
  std::vector<std::string> calls;
  core::CancelablePtr acquire(std::string, std::string, std::chrono::milliseconds,
                              HeldCallback done) override {
    return answer("acquire", std::move(done));
  }
  core::CancelablePtr renew(std::string, std::string, std::chrono::milliseconds,
                            HeldCallback done) override {
    return answer("renew", std::move(done));
  }
  core::CancelablePtr release(std::string, std::string, std::function<void(core::Status)> done) override {
    calls.push_back("release");
    done(core::Status());
    return nullptr;
  }

 private:
  core::CancelablePtr answer(const char* what, HeldCallback done) {
    calls.push_back(what);
    core::Result<bool> a = answers.empty() ? core::Result<bool>(true) : answers.front();
    if (!answers.empty()) {
      answers.pop_front();
    }
    done(std::move(a));
    return nullptr;
  }
};

class SingleActiveTest : public ::testing::Test {
 protected:
  SingleActiveTest()
      : clock_(core::Clock::TimePoint(std::chrono::seconds(1700000000))),
        log_("test", std::make_shared<spdlog::sinks::null_sink_mt>()),
        gate_(lease_, clock_, log_, "status", "me", 15s, [this] { ++leads_; }, [this] { ++losses_; }) {}
  ScriptedLease lease_;
  fakes::FakeClock clock_;
  spdlog::logger log_;
  int leads_ = 0;
  int losses_ = 0;
  SingleActive gate_;
};

TEST_F(SingleActiveTest, LeadsWhenHeldAndRenewsEveryThirdOfTheTtl) {
  gate_.start();
  EXPECT_TRUE(gate_.leading());
  EXPECT_EQ(leads_, 1);
  clock_.advance(5s);
  clock_.advance(5s);
  EXPECT_EQ(lease_.calls, (std::vector<std::string>{"acquire", "renew", "renew"}));
  EXPECT_EQ(losses_, 0);
}

TEST_F(SingleActiveTest, StandsByWhileAnotherHoldsItAndLeadsWhenFree) {
  lease_.answers = {false, false, true};
  gate_.start();
  EXPECT_FALSE(gate_.leading());
  clock_.advance(5s);
  EXPECT_FALSE(gate_.leading());
  clock_.advance(5s);
  EXPECT_TRUE(gate_.leading());
  EXPECT_EQ(leads_, 1);
}

TEST_F(SingleActiveTest, ABriefOutageDoesNotStopTheRole) {
  gate_.start();
  const auto unreachable = core::makeError(core::Errc::Unavailable, "not connected");
  lease_.answers = {unreachable, unreachable, true};
  clock_.advance(5s);    // renewal fails: retried after ttl/10
  clock_.advance(1500ms);  // fails again, 6.5 s after the last good one (< ttl/2)
  clock_.advance(1500ms);  // succeeds
  EXPECT_TRUE(gate_.leading());
  EXPECT_EQ(losses_, 0);
  EXPECT_EQ(leads_, 1);
}

TEST_F(SingleActiveTest, RenewalsFailingForHalfTheTtlStopTheRole) {
  gate_.start();
  const auto unreachable = core::makeError(core::Errc::Unavailable, "not connected");
  for (int i = 0; i < 10; ++i) {
    lease_.answers.push_back(unreachable);
  }
  clock_.advance(5s);
  for (int i = 0; i < 3 && gate_.leading(); ++i) {
    clock_.advance(1500ms);
  }
  EXPECT_FALSE(gate_.leading());
  EXPECT_EQ(losses_, 1);
  // It stops before the key (ttl after the last good renewal) could be taken by another.
  EXPECT_LT(clock_.now() - core::Clock::TimePoint(std::chrono::seconds(1700000000)), 15s);
}

TEST_F(SingleActiveTest, LosingTheKeyStopsAtOnceAndWinningItAgainRestarts) {
  gate_.start();
  lease_.answers = {false, true};
  clock_.advance(5s);
  EXPECT_FALSE(gate_.leading());
  EXPECT_EQ(losses_, 1);
  clock_.advance(5s);
  EXPECT_TRUE(gate_.leading());
  EXPECT_EQ(leads_, 2);
  EXPECT_EQ(gate_.losses(), 1u);
}

TEST_F(SingleActiveTest, StopReleasesTheLease) {
  gate_.start();
  gate_.stop();
  EXPECT_FALSE(gate_.leading());
  EXPECT_EQ(losses_, 1);
  EXPECT_EQ(lease_.calls.back(), "release");
  EXPECT_TRUE(gate_.released());
  EXPECT_EQ(clock_.pendingTimers(), 0u);
}

}  // namespace
}  // namespace od::adapters::main
