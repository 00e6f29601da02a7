#pragma once
// The ObjectStore contract as a typed test suite (house style §10, Eventuous
// StoreAppendTests<T>): any store (filesystem now, S3/Azure/GCS later) instantiates it with a
// Factory that provides
//   core::ObjectStore& store();       the store under test, empty at start
//   loop::EventLoop& loop();          the loop its callbacks come back on
//   std::string stagingDir();         a writable directory for staged put() sources
// and stays alive for the whole test. Usage:
//   using Stores = ::testing::Types<MyFactory>;
//   INSTANTIATE_TYPED_TEST_SUITE_P(My, ObjectStoreContract, Stores);

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "adapters/crypto/openssl_hasher.h"
#include "adapters/loop/event_loop.h"
#include "core/ports/object_store.h"

namespace od::tests::storage {

template <typename Factory>
class ObjectStoreContract : public ::testing::Test {
 public:
  core::ObjectStore& store() { return factory_.store(); }

  core::PutRequest stage(const std::string& key, const std::string& bytes) {
    const auto path = factory_.stagingDir() + "/staged-" + std::to_string(++staged_);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    return core::PutRequest{key, path, hasher_.sha256Of(bytes), bytes.size()};
  }
  template <typename T>
  T wait(std::optional<T>& slot) {
    EXPECT_TRUE(factory_.loop().runUntil([&] { return slot.has_value(); }, std::chrono::seconds(20)));
    return std::move(*slot);
  }
  core::Result<core::PutResult> put(const std::string& key, const std::string& bytes) {
    std::optional<core::Result<core::PutResult>> got;
    auto h = store().put(stage(key, bytes), [&](core::Result<core::PutResult> r) { got.emplace(std::move(r)); });
    return wait(got);
  }
  core::Result<core::ObjectInfo> stat(const std::string& key) {
    std::optional<core::Result<core::ObjectInfo>> got;
    auto h = store().stat(key, [&](core::Result<core::ObjectInfo> r) { got.emplace(std::move(r)); });
    return wait(got);
  }
  core::Result<std::string> get(const std::string& key, uint64_t offset = 0, uint64_t length = 0) {
    std::string body;
    std::optional<core::Status> got;
    auto h = store().get(
        key, offset, length, [&](std::string_view chunk) { body.append(chunk); return true; },
        [&](core::Status s) { got.emplace(std::move(s)); });
    auto status = wait(got);
    if (!status.ok()) {
      return status.error();
    }
    return body;
  }
  core::Status remove(const std::string& key) {
    std::optional<core::Status> got;
    auto h = store().remove(key, [&](core::Status s) { got.emplace(std::move(s)); });
    return wait(got);
  }
  std::string sha(const std::string& bytes) { return hasher_.sha256Of(bytes).base64(); }

 protected:
  Factory factory_;
  adapters::crypto::OpenSslHasher hasher_;
  int staged_ = 0;
};

TYPED_TEST_SUITE_P(ObjectStoreContract);

TYPED_TEST_P(ObjectStoreContract, PutCreatesAndStatReportsSizeAndChecksum) {
  auto r = this->put("mods/vpc/a.zip", "hello");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->created);
  auto info = this->stat("mods/vpc/a.zip");
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->size, 5u);
  ASSERT_TRUE(info->sha256.has_value());
  EXPECT_EQ(info->sha256->base64(), this->sha("hello"));
}

TYPED_TEST_P(ObjectStoreContract, PutOfSameBytesAgainIsNotCreated) {
  ASSERT_TRUE(this->put("k.zip", "same").ok());
  auto again = this->put("k.zip", "same");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_FALSE(again->created);
}

TYPED_TEST_P(ObjectStoreContract, PutOfDifferentBytesConflictsAndKeepsTheStoredObject) {
  ASSERT_TRUE(this->put("k.zip", "first").ok());
  auto other = this->put("k.zip", "second");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, core::Errc::Conflict);
  EXPECT_EQ(*this->get("k.zip"), "first");
}

TYPED_TEST_P(ObjectStoreContract, PutRefusesASourceNotMatchingItsChecksum) {
  auto request = this->stage("bad.zip", "actual bytes");
  request.sha256 = this->hasher_.sha256Of("other bytes");
  std::optional<core::Result<core::PutResult>> got;
  auto h = this->store().put(request, [&](core::Result<core::PutResult> r) { got.emplace(std::move(r)); });
  auto r = this->wait(got);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::Corrupt);
  EXPECT_EQ(this->stat("bad.zip").error().code, core::Errc::NotFound);
}

TYPED_TEST_P(ObjectStoreContract, GetStreamsTheWholeObject) {
  std::string big;
  for (int i = 0; i < 700 * 1024; ++i) {
    big += static_cast<char>('a' + i % 23);
  }
  ASSERT_TRUE(this->put("big.bin", big).ok());
  EXPECT_EQ(*this->get("big.bin"), big);
}

TYPED_TEST_P(ObjectStoreContract, GetHonoursOffsetAndLength) {
  ASSERT_TRUE(this->put("r.bin", "0123456789").ok());
  EXPECT_EQ(*this->get("r.bin", 3, 4), "3456");
  EXPECT_EQ(*this->get("r.bin", 7, 0), "789");
  EXPECT_EQ(*this->get("r.bin", 8, 100), "89");
  EXPECT_EQ(*this->get("r.bin", 10, 0), "");
}

TYPED_TEST_P(ObjectStoreContract, SinkCanStopEarly) {
  ASSERT_TRUE(this->put("s.bin", std::string(600 * 1024, 'x')).ok());
  int chunks = 0;
  std::optional<core::Status> got;
  auto h = this->store().get(
      "s.bin", 0, 0, [&](std::string_view) { return ++chunks < 1; }, [&](core::Status s) { got.emplace(s); });
  EXPECT_TRUE(this->wait(got).ok());
  EXPECT_EQ(chunks, 1);
}

TYPED_TEST_P(ObjectStoreContract, MissingKeysAreNotFound) {
  EXPECT_EQ(this->stat("nope/x.zip").error().code, core::Errc::NotFound);
  EXPECT_EQ(this->get("nope/x.zip").error().code, core::Errc::NotFound);
}

TYPED_TEST_P(ObjectStoreContract, RemoveIsIdempotentAndFreesTheKey) {
  ASSERT_TRUE(this->put("d/x.zip", "one").ok());
  EXPECT_TRUE(this->remove("d/x.zip").ok());
  EXPECT_TRUE(this->remove("d/x.zip").ok());
  EXPECT_TRUE(this->remove("never/was.zip").ok());
  EXPECT_EQ(this->stat("d/x.zip").error().code, core::Errc::NotFound);
  auto again = this->put("d/x.zip", "two");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->created);
  EXPECT_EQ(*this->get("d/x.zip"), "two");
}

TYPED_TEST_P(ObjectStoreContract, KeysThatCouldEscapeAreInvalid) {
  const std::vector<std::string> keys{"",   "/abs", "../x", "a/../../x", "a//b", "./a", "a/.", "a\\b",
                                      std::string("a\0b", 3), std::string(1025, 'k'), std::string(256, 'c')};
  for (const auto& key : keys) {
    auto r = this->put(key, "x");
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().code, core::Errc::Invalid) << key;
    EXPECT_EQ(this->stat(key).error().code, core::Errc::Invalid) << key;
    EXPECT_EQ(this->get(key).error().code, core::Errc::Invalid) << key;
    EXPECT_EQ(this->remove(key).error().code, core::Errc::Invalid) << key;
  }
}

TYPED_TEST_P(ObjectStoreContract, CancelledCallsNeverCallBack) {
  bool called = false;
  {
    auto h = this->store().put(this->stage("c.zip", "x"), [&](core::Result<core::PutResult>) { called = true; });
  }
  // The put itself may still happen; only the callback is gone. A later call completes.
  auto r = this->stat("c.zip");
  (void)r;
  EXPECT_FALSE(called);
}

REGISTER_TYPED_TEST_SUITE_P(ObjectStoreContract, PutCreatesAndStatReportsSizeAndChecksum,
                            PutOfSameBytesAgainIsNotCreated, PutOfDifferentBytesConflictsAndKeepsTheStoredObject,
                            PutRefusesASourceNotMatchingItsChecksum, GetStreamsTheWholeObject,
                            GetHonoursOffsetAndLength, SinkCanStopEarly, MissingKeysAreNotFound,
                            RemoveIsIdempotentAndFreesTheKey, KeysThatCouldEscapeAreInvalid,
                            CancelledCallsNeverCallBack);

}  // namespace od::tests::storage
