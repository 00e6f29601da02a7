#include <gtest/gtest.h>

#include <set>
#include <string>

#include "adapters/crypto/openssl_hasher.h"
#include "adapters/crypto/system_random.h"

namespace od::adapters::crypto {
namespace {

// FIPS 180-2 appendix B vectors.
TEST(OpenSslHasher, MatchesFips180Vectors) {
  OpenSslHasher hasher;
  EXPECT_EQ(hasher.sha256Of("abc").hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hasher.sha256Of("").hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hasher.sha256Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex(),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(OpenSslHasher, StreamedUpdatesEqualOneShot) {
  OpenSslHasher hasher;
  const std::string million_a(1000000, 'a');
  auto stream = hasher.sha256();
  for (size_t i = 0; i < million_a.size(); i += 4096) {
    stream->update(std::string_view(million_a).substr(i, 4096));
  }
  const auto digest = stream->finish();
  EXPECT_EQ(digest.hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(digest, hasher.sha256Of(million_a));
}

TEST(SystemRandom, DrawsDistinctValuesAcrossBufferRefills) {
  SystemRandom random;
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    seen.insert(random.next());
  }
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace od::adapters::crypto
