#pragma once
// UUIDv7 (RFC 9562 §5.7): 48-bit Unix-millisecond timestamp, version 7, 74 random bits.
// Used for artifact file names (`<uuidv7>.zip`), which are fixed once in a Version's spec, so
// time and randomness come from the Clock and Random ports and tests are repeatable.
// Thread affinity: pure functions (the ports passed in state their own).

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ports/clock.h"
#include "core/ports/random.h"
#include "core/result.h"

namespace od::core {

class Uuid {
 public:
  static Uuid v7(const Clock& clock, Random& random);
  static Uuid v7At(int64_t unix_ms, uint64_t rand_hi, uint64_t rand_lo);
  // Canonical lowercase 8-4-4-4-12 form only.
  static Result<Uuid> parse(std::string_view text);

  std::string str() const;
  int version() const { return bytes_[6] >> 4; }
  // The timestamp of a v7 UUID in Unix milliseconds.
  int64_t unixMillis() const;
  friend bool operator==(const Uuid&, const Uuid&) = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

// The artifact file name the reference builds: `<uuidv7>.<ext>`; ext "zip", "tar.gz", ...
// For modules, fileFormat "tar" is stored as ".tar.gz" (ARCHITECTURE decisions).
std::string artifactFileName(const Uuid& id, std::string_view extension);

}  // namespace od::core
