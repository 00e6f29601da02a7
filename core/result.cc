#include "core/result.h"

namespace od::core {

std::string_view errcName(Errc code) {
  switch (code) {
    case Errc::Invalid: return "invalid";
    case Errc::NotFound: return "not found";
    case Errc::Conflict: return "conflict";
    case Errc::Unavailable: return "unavailable";
    case Errc::Timeout: return "timeout";
    case Errc::Corrupt: return "corrupt";
    case Errc::Permission: return "permission denied";
    case Errc::Internal: return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  std::string out(errcName(code));
  out.append(": ");
  out.append(message);
  return out;
}

}  // namespace od::core
