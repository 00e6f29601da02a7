// Scale: 100,000 module versions (1,000 modules x 100 versions, each observed and synced)
// fold and build into one snapshot. Asserts the result; prints time and memory growth (the
// acceptance figures — under 5 s and 300 MB — are measured here and reported, not asserted,
// since sanitizer builds run the same test).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "projections/read_model/read_model.h"
#include "tests/projections/read_model/read_model_events.h"

namespace od::proj {
namespace {

long rssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// Sanitizer builds run the same folds 50x slower: they check correctness on a tenth of the
// modules and a fifth of the versions; the figures come from the normal build.
#ifdef __SANITIZE_ADDRESS__
constexpr int kModules = 100;
constexpr int kVersionsPerModule = 20;
#else
constexpr int kModules = 1000;
constexpr int kVersionsPerModule = 100;
#endif

TEST(ReadModelScale, HundredThousandVersionsFoldAndBuild) {
  // The envelopes are made first, so that the figures cover folding and building only.
  std::vector<events::Envelope> envelopes;
  envelopes.reserve(static_cast<size_t>(kModules) * (2 * kVersionsPerModule + 1));
  testing::VersionFixture v;
  for (int m = 0; m < kModules; ++m) {
    v.module = "module-" + std::to_string(m);
    envelopes.push_back(testing::moduleObserved("team", v.module, "aws", "m" + std::to_string(m)));
    for (int i = 0; i < kVersionsPerModule; ++i) {
      v.name = v.module + "-1-" + std::to_string(i) + "-0";
      v.uid = "u-" + std::to_string(m) + "-" + std::to_string(i);
      v.version = "1." + std::to_string(i) + ".0";
      v.file_name = "0190a1b2-c3d4-7e5f-" + std::to_string(1000 + m) + "-" + std::to_string(100000 + i) + ".zip";
      envelopes.push_back(v.observed());
      envelopes.push_back(v.synced(testing::checksumOf(static_cast<char>('a' + i % 26)), 4096));
    }
  }
  const long rss_before = rssKib();
  const auto start = std::chrono::steady_clock::now();
  ReadModel model{ReadModelOptions{"/data"}};
  for (const events::Envelope& e : envelopes) {
    ASSERT_TRUE(model.apply(e).ok());
  }
  SnapshotPtr snapshot = model.build();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const long rss_after = rssKib();
  std::printf("read model scale: %d versions folded and built in %.2f s; RSS grew %.1f MB (now %.1f MB)\n",
              kModules * kVersionsPerModule, seconds, (rss_after - rss_before) / 1024.0,
              rss_after / 1024.0);
  EXPECT_EQ(snapshot->moduleCount(), static_cast<size_t>(kModules));
  EXPECT_EQ(snapshot->versionCount(), static_cast<size_t>(kModules * kVersionsPerModule));
  const ModuleView* last = snapshot->findModule("team", "module-" + std::to_string(kModules - 1), "aws");
  ASSERT_NE(last, nullptr);
  const std::string newest = "1." + std::to_string(kVersionsPerModule - 1) + ".0";
  EXPECT_NE(last->find(newest), nullptr);
  EXPECT_EQ(last->versions_body.rfind(R"({"modules":[{"versions":[{"version":")" + newest + "\"},", 0), 0u);

  // one more synced fact rebuilds one module only
  const auto again = std::chrono::steady_clock::now();
  ASSERT_TRUE(model.apply(v.synced(testing::checksumOf('z'), 1)).ok());
  SnapshotPtr next = model.build();
  std::printf("read model scale: incremental publish of one module in %.1f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - again).count());
  EXPECT_EQ(next->findModule("team", "module-0", "aws"), snapshot->findModule("team", "module-0", "aws"));
}

}  // namespace
}  // namespace od::proj
