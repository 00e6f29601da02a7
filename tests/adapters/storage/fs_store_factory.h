#pragma once
// Test helper: a filesystem ObjectStore with its own loop, pool, root and staging directory
// (the Factory of the ObjectStore contract).

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "adapters/exec/worker_pool.h"
#include "adapters/loop/event_loop.h"
#include "adapters/storage/fs/fs_object_store.h"

namespace od::adapters::storage {

inline std::string makeTempDir(const std::string& prefix) {
  std::string templ = ::testing::TempDir() + "/" + prefix + "XXXXXX";
  return ::mkdtemp(templ.data());
}

// Owns a loop, a pool, a root and a staging directory (the contract's Factory).
class FsStoreFactory {
 public:
  explicit FsStoreFactory(FsObjectStoreOptions options = {}, exec::WorkerPoolOptions pool = {4, 64})
      : dir_(makeTempDir("od-fs-store-")), pool_(loop_, pool) {
    std::filesystem::create_directories(dir_ + "/staging");
    if (options.root.empty()) {
      options.root = dir_ + "/root";
    }
    root_ = options.root;
    options.chunk_bytes = 64 * 1024;
    auto store = FsObjectStore::open(loop_, pool_, std::move(options));
    EXPECT_TRUE(store.ok()) << store.error().message;
    store_ = std::move(*store);
  }
  ~FsStoreFactory() {
    store_.reset();
    pool_.shutdown();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  core::ObjectStore& store() { return *store_; }
  loop::EventLoop& loop() { return loop_; }
  std::string stagingDir() { return dir_ + "/staging"; }
  const std::string& root() const { return root_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string root_;
  loop::EventLoop loop_;
  exec::WorkerPool pool_;
  std::unique_ptr<FsObjectStore> store_;
};


}  // namespace od::adapters::storage
