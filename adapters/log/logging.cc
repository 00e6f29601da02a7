#include "adapters/log/logging.h"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>

#include "core/json_writer.h"
#include "core/problems.h"

namespace od::adapters::log {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        msg.time.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char ts[40];
    const size_t n = std::strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(ts + n, sizeof(ts) - n, ".%03lldZ", static_cast<long long>(ms % 1000));
    core::JsonWriter w;
    const auto level = spdlog::level::to_string_view(msg.level);
    w.beginObject()
        .member("ts", std::string_view(ts))
        .member("level", std::string_view(level.data(), level.size()))
        .member("logger", std::string_view(msg.logger_name.data(), msg.logger_name.size()))
        .member("msg", std::string_view(msg.payload.data(), msg.payload.size()))
        .endObject();
    dest.append(w.str().data(), w.str().data() + w.str().size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> makeJsonFormatter() { return std::make_unique<JsonFormatter>(); }

core::Status setupLogging(const LogOptions& options) {
  core::Problems problems;
  const auto level = spdlog::level::from_str(options.level);
  if (level == spdlog::level::off && options.level != "off") {
    problems.add("logLevel", "must be one of trace, debug, info, warn, error, got '" + options.level + "'");
  }
  if (options.format != "text" && options.format != "json") {
    problems.add("logFormat", "must be text or json, got '" + options.format + "'");
  }
  if (!problems.empty()) {
    return problems.toError();
  }
  try {
    spdlog::init_thread_pool(options.queue_size, 1);
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    if (options.format == "json") {
      sink->set_formatter(makeJsonFormatter());
    } else {
      sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(
          "%Y-%m-%dT%H:%M:%S.%eZ %l %n %v", spdlog::pattern_time_type::utc));
    }
    for (const auto& name : componentNames()) {
      spdlog::drop(name);
      auto l = std::make_shared<spdlog::async_logger>(
          name, sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
      l->set_level(level);
      spdlog::register_logger(l);
    }
  } catch (const spdlog::spdlog_ex& e) {
    return core::makeError(core::Errc::Internal, std::string("logging setup failed: ") + e.what());
  }
  return core::okStatus();
}

spdlog::logger& logger(const std::string& component) {
  if (auto l = spdlog::get(component)) {
    return *l;
  }
  return *spdlog::default_logger_raw();
}

}  // namespace od::adapters::log
