#pragma once
// Small helpers shared by the module and provider registry routes (http/registry only).
// Thread affinity: pure functions, any thread.

#include <string>
#include <string_view>

#include "http/message.h"

namespace od::http {

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string percentEncode(std::string_view s);

// "Terraform/1.11.0 (+https://...)" -> "Terraform/1.11.0", at most 128 bytes; empty without
// a User-Agent.
std::string clientProduct(const Request& request);

}  // namespace od::http
