// od_crash_consumer: one consumer process for the crash test (crash_test.cc). It runs the
// events/ consumer-group runner on ValkeyEventLog: group G on stream S, and for every input
// event appends one result event to stream R whose id is derived from the input id (so a
// redelivery appends nothing new), then the runner acks. Short, configurable timeouts let
// the test kill things and still finish in seconds.
//
// usage: od_crash_consumer PORT STREAM GROUP RESULT_STREAM CONSUMER MIN_IDLE_MS CLAIM_MS

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "adapters/crypto/system_random.h"
#include "adapters/loop/event_loop.h"
#include "adapters/loop/libev_clock.h"
#include "adapters/valkey/valkey_event_log.h"
#include "events/codec.h"
#include "events/consumer.h"
#include "events/envelope.h"

namespace od {
namespace {

using std::chrono::milliseconds;

class ResultHandler final : public events::Handler {
 public:
  explicit ResultHandler(std::string result_stream) : result_stream_(std::move(result_stream)) {}

  core::CancelablePtr handle(const events::Envelope& event, const core::StreamEntry& /*raw*/,
                             Done done) override {
    events::Envelope result;
    result.type = std::string(events::type::kVersionSynced);
    result.v = events::knownSchemaVersion(result.type).value_or(1);
    result.id = events::eventId({"crash-result", event.id});
    result.key = event.key;
    result.corr = event.corr;
    result.cause = event.id;
    result.ts = event.ts;
    result.data = "{}";
    done(std::vector<core::AppendRecord>{events::toAppendRecord(result_stream_, result)});
    return core::completedHandle();
  }

 private:
  std::string result_stream_;
};

int run(int argc, char** argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s PORT STREAM GROUP RESULT CONSUMER MIN_IDLE_MS CLAIM_MS\n",
                 argv[0]);
    return 2;
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
  auto logger = spdlog::stderr_color_mt("crash");
  logger->set_level(spdlog::level::warn);

  adapters::loop::EventLoop loop;
  adapters::loop::LibevClock clock(loop);
  adapters::crypto::SystemRandom random;
  adapters::valkey::ValkeyOptions options;
  options.port = std::atoi(argv[1]);
  options.command_timeout = milliseconds(1500);
  options.connect_timeout = milliseconds(500);
  options.reconnect_backoff_min = milliseconds(20);
  options.reconnect_backoff_max = milliseconds(300);
  adapters::valkey::ValkeyEventLog log(loop, options, *logger);

  events::ConsumerConfig config;
  config.stream = argv[2];
  config.group = argv[3];
  config.consumer = argv[5];
  config.batch_size = 64;
  config.max_in_flight = 64;
  config.block = milliseconds(200);
  config.min_idle = milliseconds(std::atoi(argv[6]));
  config.claim_interval = milliseconds(std::atoi(argv[7]));
  config.max_deliveries = 50;
  config.log_backoff = events::BackoffPolicy{milliseconds(20), milliseconds(300), 0.5};
  ResultHandler handler(argv[4]);
  events::Consumer consumer(events::Runtime{log, clock, random, *logger}, handler, config);
  consumer.start();
  loop.run();
  return 0;
}

}  // namespace
}  // namespace od

int main(int argc, char** argv) { return od::run(argc, argv); }
