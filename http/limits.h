#pragma once
// Limits: the request-size limits of the HTTP edge (reliability-security.md §2, B01/B02/B09).
// Each breach answers a clear 4xx in the registry's {"errors":[...]} shape and closes the
// connection. Thread affinity: plain value, copied into each parser.

#include <cstddef>
#include <cstdint>

namespace od::http {

struct Limits {
  size_t max_request_line = 8 * 1024;  // bytes of the request line; more → 414
  size_t max_header_line = 8 * 1024;   // bytes of one header field line; more → 431
  size_t max_header_bytes = 32 * 1024;  // bytes of all header field lines; more → 431
  size_t max_header_count = 100;       // header fields; more → 431
  uint64_t max_body = 1024 * 1024;     // bytes of a request body; more → 413
};

}  // namespace od::http
