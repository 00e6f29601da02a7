#include "adapters/storage/fs/fs_object_store.h"

#include <algorithm>
#include <utility>

namespace od::adapters::storage {

core::Result<std::unique_ptr<FsObjectStore>> FsObjectStore::open(loop::EventLoop& loop, exec::WorkerPool& pool,
                                                                 FsObjectStoreOptions options) {
  OD_TRY(auto root, openFsRoot(options.root, options.chunk_bytes, std::move(options.write_fault)));
  return std::unique_ptr<FsObjectStore>(new FsObjectStore(loop, pool, std::move(root)));
}

template <typename R, typename Job, typename Done>
core::CancelablePtr FsObjectStore::run(Job job, Done done) {
  auto handle = pool_.submit(std::move(job), done);
  if (handle.ok()) {
    return std::move(*handle);
  }
  return exec::postCancelable(loop_, [done, error = handle.error()]() mutable { done(R(error)); });
}

core::CancelablePtr FsObjectStore::put(core::PutRequest request, Callback<core::PutResult> done) {
  return run<core::Result<core::PutResult>>(
      [root = root_, request = std::move(request)] { return putBlocking(*root, request); },
      [done = std::move(done)](core::Result<core::PutResult> r) { done(std::move(r)); });
}

core::CancelablePtr FsObjectStore::stat(std::string key, Callback<core::ObjectInfo> done) {
  return run<core::Result<core::ObjectInfo>>(
      [root = root_, key = std::move(key)] { return statBlocking(*root, key); },
      [done = std::move(done)](core::Result<core::ObjectInfo> r) { done(std::move(r)); });
}

core::CancelablePtr FsObjectStore::remove(std::string key, std::function<void(core::Status)> done) {
  return run<core::Status>([root = root_, key = std::move(key)] { return removeBlocking(*root, key); },
                           [done = std::move(done)](core::Status s) { done(std::move(s)); });
}

core::CancelablePtr FsObjectStore::sweepTempFiles(std::chrono::seconds older_than, Callback<size_t> done) {
  return run<core::Result<size_t>>([root = root_, older_than] { return storage::sweepTempFiles(*root, older_than); },
                                   [done = std::move(done)](core::Result<size_t> r) { done(std::move(r)); });
}

core::Result<std::string> FsObjectStore::presign(std::string_view, std::chrono::seconds) const {
  return core::makeError(core::Errc::Invalid, "presigned URLs are not supported by filesystem storage");
}

namespace {

// The loop-side state of one get(): the range still to deliver and the current step.
struct GetChain : std::enable_shared_from_this<GetChain> {
  loop::EventLoop* loop = nullptr;
  exec::WorkerPool* pool = nullptr;
  std::shared_ptr<const FsRoot> root;
  core::ChunkSink sink;
  std::function<void(core::Status)> done;
  uint64_t next = 0;
  uint64_t length = 0;  // 0: to the end
  uint64_t end = 0;
  core::CancelablePtr step;
  bool cancelled = false;

  void finish(core::Status status);
  void start(std::string key);
  void onOpened(core::Result<OpenedObject> opened);
  void readNext(UniqueFd fd);
  template <typename Job, typename Done>
  void submit(Job job, Done on_done);
};

struct ChunkRead {
  UniqueFd fd;
  core::Result<std::string> bytes;
};

class GetHandle final : public core::Cancelable {
 public:
  explicit GetHandle(std::shared_ptr<GetChain> chain) : chain_(std::move(chain)) {}
  ~GetHandle() override { cancel(); }
  void cancel() override {
    chain_->cancelled = true;
    chain_->step.reset();
  }

 private:
  std::shared_ptr<GetChain> chain_;
};

void GetChain::finish(core::Status status) {
  if (!cancelled) {
    cancelled = true;  // nothing more after done()
    auto callback = std::move(done);
    callback(std::move(status));
  }
}

template <typename Job, typename Done>
void GetChain::submit(Job job, Done on_done) {
  auto handle = pool->submit(std::move(job), std::move(on_done));
  if (handle.ok()) {
    step = std::move(*handle);
    return;
  }
  step = exec::postCancelable(*loop, [self = shared_from_this(), error = handle.error()] { self->finish(error); });
}

void GetChain::start(std::string key) {
  submit([root = root, key = std::move(key)] { return openForRead(*root, key); },
         [self = shared_from_this()](core::Result<OpenedObject> opened) { self->onOpened(std::move(opened)); });
}

void GetChain::onOpened(core::Result<OpenedObject> opened) {
  if (!opened.ok()) {
    return finish(opened.error());
  }
  const uint64_t size = opened->size;
  if (next > size) {
    return finish(core::makeError(core::Errc::Invalid, "offset " + std::to_string(next) +
                                                           " is past the end of the object (" +
                                                           std::to_string(size) + " bytes)"));
  }
  end = length == 0 ? size : std::min(size, next + length);
  if (next >= end) {
    return finish(core::okStatus());
  }
  readNext(std::move(opened->fd));
}

void GetChain::readNext(UniqueFd fd) {
  const auto n = static_cast<size_t>(std::min<uint64_t>(root->chunk_bytes, end - next));
  submit(
      [fd = std::move(fd), offset = next, n]() mutable {
        auto bytes = readAt(fd.get(), offset, n);
        return ChunkRead{std::move(fd), std::move(bytes)};
      },
      [self = shared_from_this()](ChunkRead chunk) {
        if (!chunk.bytes.ok()) {
          return self->finish(chunk.bytes.error());
        }
        if (chunk.bytes->empty()) {
          return self->finish(core::makeError(core::Errc::Corrupt, "stored object shrank while being read"));
        }
        self->next += chunk.bytes->size();
        if (!self->sink(*chunk.bytes) || self->next >= self->end) {
          return self->finish(core::okStatus());
        }
        if (!self->cancelled) {
          self->readNext(std::move(chunk.fd));
        }
      });
}

}  // namespace

core::CancelablePtr FsObjectStore::get(std::string key, uint64_t offset, uint64_t length, core::ChunkSink sink,
                                       std::function<void(core::Status)> done) {
  auto chain = std::make_shared<GetChain>();
  chain->loop = &loop_;
  chain->pool = &pool_;
  chain->root = root_;
  chain->sink = std::move(sink);
  chain->done = std::move(done);
  chain->next = offset;
  chain->length = length;
  chain->start(std::move(key));
  return std::make_unique<GetHandle>(std::move(chain));
}

}  // namespace od::adapters::storage
