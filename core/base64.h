#pragma once
// Base64 (RFC 4648 §4, padded) and base64url (§5, unpadded) encoding and strict decoding,
// and lowercase hex. Decoders reject anything that is not canonical.
// Thread affinity: pure functions.

#include <string>
#include <string_view>

#include "core/result.h"

namespace od::core {

std::string base64Encode(std::string_view bytes);
Result<std::string> base64Decode(std::string_view text);
std::string base64UrlEncode(std::string_view bytes);
Result<std::string> base64UrlDecode(std::string_view text);
std::string hexEncode(std::string_view bytes);
// The value of one hex digit (either case), or -1 when `c` is not one.
int hexDigitValue(char c);
Result<std::string> hexDecode(std::string_view text);

}  // namespace od::core
