#include "tests/events/worker/worker_fixture.h"

#include <thread>

namespace od::tests {

namespace fs = std::filesystem;
namespace at = adapters::archive::testing;

std::string TestVersion::spec() const {
  core::JsonWriter w;
  w.beginObject().member("type", type).member("version", version).member("fileName", file_name);
  w.key("moduleConfigRef").beginObject().member("name", config_name).member("provider", "aws");
  w.member("repoOwner", repo_owner).member("fileFormat", file_format);
  if (repo_url) {
    w.member("repoUrl", *repo_url);
  }
  if (immutable) {
    w.member("immutable", *immutable);
  }
  if (authenticated) {
    w.key("githubClientConfig").beginObject().member("useAuthenticatedClient", true).endObject();
  }
  if (!directory.empty()) {
    w.key("storageConfig").beginObject().key("fileSystem").beginObject();
    w.member("directoryPath", directory).endObject().endObject();
  }
  w.endObject().endObject();
  return w.take();
}

WorkerTest::WorkerTest() {
  std::string templ = ::testing::TempDir() + "/od-worker-test-XXXXXX";
  dir_ = ::mkdtemp(templ.data());
  work_dir_ = dir_ + "/work";
  storage_root_ = dir_ + "/data";
  sources_dir_ = dir_ + "/sources";
  fs::create_directories(sources_dir_);
  EXPECT_TRUE(events::prepareWorkDir(work_dir_, std::chrono::hours(1)).ok());
  packager_ = std::make_unique<adapters::archive::ArchivePackager>(
      loop_, pool_, adapters::archive::PackagerOptions{work_dir_, {}, 64 * 1024, {}}, hasher_);
  adapters::storage::FsObjectStoreOptions options;
  options.root = storage_root_;
  auto store = adapters::storage::FsObjectStore::open(loop_, pool_, std::move(options));
  EXPECT_TRUE(store.ok());
  store_ = std::move(*store);
  makeHandler(config());
}

WorkerTest::~WorkerTest() {
  handler_.reset();
  store_.reset();
  packager_.reset();
  pool_.shutdown();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

events::VersionSyncConfig WorkerTest::config() const {
  events::VersionSyncConfig c;
  c.work_dir = work_dir_;
  c.storage_root = storage_root_;
  c.retry = events::BackoffPolicy{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), 0.5};
  c.max_attempts = 3;
  return c;
}

void WorkerTest::makeHandler(events::VersionSyncConfig config) {
  handler_ = std::make_unique<events::VersionSyncHandler>(events::Runtime{log_, clock_, random_, logger_}, source_,
                                                          *packager_, *store_, std::move(config));
}

events::Envelope WorkerTest::request(const TestVersion& v, int64_t generation, int64_t attempt,
                                     const std::string& id) const {
  events::VersionSyncRequested data{generation, v.spec(), attempt, events::SyncReason::New};
  return events::makeEnvelope(data, events::EnvelopeMeta{id, kKey, "corr-1", "", 1704067200000});
}

bool WorkerTest::drive(const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto timerReady = [&] {
    auto next = clock_.nextDue();
    return next.has_value() && *next <= clock_.now();
  };
  while (std::chrono::steady_clock::now() < deadline) {
    clock_.runReady();
    if (done()) {
      return true;
    }
    if (!timerReady()) {
      loop_.runUntil([&] { return done() || timerReady(); }, std::chrono::milliseconds(50));
    }
  }
  return done();
}

core::Result<std::vector<core::AppendRecord>> WorkerTest::run(const events::Envelope& event) {
  std::optional<core::Result<std::vector<core::AppendRecord>>> got;
  core::StreamEntry raw{"1704067200000-0", events::encodeEnvelope(event)};
  auto handle = handler_->handle(event, raw, [&](core::Result<std::vector<core::AppendRecord>> r) {
    EXPECT_FALSE(got.has_value()) << "done called twice";
    got.emplace(std::move(r));
  });
  EXPECT_TRUE(drive([&] { return got.has_value(); }));
  if (!got) {
    return core::makeError(core::Errc::Timeout, "the handler never called back");
  }
  return std::move(*got);
}

std::string WorkerTest::githubArchive(const std::string& name, at::Container container, const std::string& main_tf) {
  const std::string path = sources_dir_ + "/" + name;
  const std::string wrapper = "acme-terraform-aws-vpc-0123abc/";
  EXPECT_TRUE(at::writeArchive(path, container,
                               {at::dir(wrapper), at::file(wrapper + "main.tf", main_tf),
                                at::file(wrapper + "variables.tf", "variable \"cidr\" {}\n"),
                                at::file(wrapper + "modules/subnet/main.tf", "# subnet\n")}));
  return path;
}

std::vector<std::string> WorkerTest::namesIn(const std::string& archive) const {
  std::vector<std::string> out;
  for (const auto& e : at::readArchive(archive)) {
    out.push_back(e.name);
  }
  return out;
}

size_t WorkerTest::workFiles() const {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(work_dir_)) {
    (void)e;
    ++n;
  }
  return n;
}

std::string typeOf(const core::AppendRecord& record) {
  auto envelope = events::decodeEnvelope(record.fields);
  return envelope.ok() ? envelope->type : "<undecodable>";
}

}  // namespace od::tests
