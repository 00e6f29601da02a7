// The handler as the worker role runs it: a Consumer on od:{ctl}:work, group "workers".
#include <gtest/gtest.h>

#include "events/consumer.h"
#include "tests/events/worker/worker_fixture.h"

namespace od::tests {
namespace {

using adapters::archive::testing::Container;

class ConsumerWiringTest : public WorkerTest {
 public:
  std::unique_ptr<events::Consumer> consumer() {
    events::ConsumerConfig c;
    c.stream = std::string(events::streams::kWork);
    c.group = "workers";
    c.consumer = "worker-0";
    c.block = std::chrono::milliseconds(0);
    return std::make_unique<events::Consumer>(events::Runtime{log_, clock_, random_, logger_}, *handler_,
                                              std::move(c));
  }
  size_t facts() { return log_.entries(std::string(events::streams::kFacts)).size(); }
  size_t acked() { return log_.acked(std::string(events::streams::kWork), "workers"); }
};

TEST_F(ConsumerWiringTest, RequestOnTheWorkStreamEndsAsFactsAndIsAcked) {
  TestVersion v;
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  log_.addNow(events::toAppendRecord(events::streams::kWork, request(v)));
  auto c = consumer();
  c->start();
  ASSERT_TRUE(drive([&] { return facts() == 2 && acked() == 1; }));
  auto entries = log_.entries(std::string(events::streams::kFacts));
  auto stored = events::decodeEnvelope(entries[0].fields);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->type, events::type::kArtifactStored);
  EXPECT_EQ(stored->key, kKey);
  EXPECT_EQ(stored->cause, "req-1");
  EXPECT_EQ(stored->corr, "corr-1");
  EXPECT_EQ(c->metrics().handled, 1u);
  EXPECT_EQ(workFiles(), 0u);
}

TEST_F(ConsumerWiringTest, RetryReleasedFromTheDueSetIsHandledAsTheNextAttempt) {
  TestVersion v;
  source_.failNext(core::makeError(core::Errc::Unavailable, "GitHub answered 502"));
  log_.addNow(events::toAppendRecord(events::streams::kWork, request(v)));
  auto c = consumer();
  c->start();
  ASSERT_TRUE(drive([&] { return facts() == 1 && acked() == 1; }));
  ASSERT_EQ(log_.due().size(), 1u);
  source_.serve("acme", "vpc", "1.2.3", githubArchive("vpc.zip", Container::Zip, "# vpc\n"));
  // The scheduler's job, done by hand: release the retry when it is due.
  clock_.setNow(log_.due()[0].due_at);
  std::optional<core::Result<size_t>> released;
  auto h = log_.releaseDue(clock_.now(), 16, [&](core::Result<size_t> r) { released.emplace(std::move(r)); });
  ASSERT_TRUE(drive([&] { return released.has_value(); }));
  ASSERT_EQ(released->value(), 1u);
  clock_.advance(std::chrono::milliseconds(1000));  // the consumer's idle poll
  ASSERT_TRUE(drive([&] { return facts() == 3 && acked() == 2; }));
  auto last = events::decodeEnvelope(log_.entries(std::string(events::streams::kFacts)).back().fields);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->type, events::type::kVersionSynced);
  EXPECT_EQ(events::decodeAs<events::VersionSynced>(*last)->attempt, 2);
}

}  // namespace
}  // namespace od::tests
