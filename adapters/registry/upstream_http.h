#pragma once
// The pieces every provider upstream request shares (the registry protocol source and the
// HashiCorp releases API source): the easy handle's protocols, timeouts, TLS and address filter,
// and the mapping of an answer that is not a 200 to core::Errc.
// Thread affinity: loop thread (easy handles go to the shared CurlMulti).

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/kube/curl_multi.h"
#include "core/result.h"

namespace od::adapters::registry {

struct UpstreamTransport {
  std::string user_agent = "opendepot";
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{30000};    // metadata, listings, SHA256SUMS
  std::chrono::milliseconds download_timeout{1800000}; // a whole provider zip
  std::chrono::milliseconds stall_timeout{60000};      // a download with no byte for this long
  bool allow_plain_http = false;
  std::vector<std::string> upstream_allow;             // HOST or HOST:PORT reachable although local
  std::string ca_file;
};

// What one transfer shares with curl's callbacks; lives as long as the transfer.
struct Leg {
  bool refused_address = false;  // set by the socket filter
};

// An easy handle for `url`: http(s) per allow_plain_http, redirects followed (at most 5),
// timeouts (download: the long one plus the stall limit), the CA file, and unless the URL's
// host or host:port is in upstream_allow, connections to non-public addresses refused (*leg
// notes it). REQUIRES: *leg outlives the transfer.
kube::CurlEasyPtr upstreamEasy(const UpstreamTransport& transport, const std::string& url, Leg* leg,
                               bool download);

// The error of a transfer that did not end in 200: Permission (a refused address, 401/403),
// Timeout, Invalid (a refused scheme), Corrupt (too many redirects, an oversized answer, other
// statuses), NotFound (404), Unavailable (429, 408, 5xx and network errors; Retry-After in the
// message).
core::Error upstreamError(const kube::TransferResult& r, const Leg& leg, std::string_view what);

// The first 120 bytes of a body, printable.
std::string bodyHint(const std::string& body);

}  // namespace od::adapters::registry
