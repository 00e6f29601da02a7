#pragma once
// Result<T> and Error: the one way fallible operations report failure (house style §3).
// core/, events/, projections/ and http/ never throw; they return these.
// Thread affinity: plain values, usable from any thread.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace od::core {

enum class Errc { Invalid, NotFound, Conflict, Unavailable, Timeout, Corrupt, Permission, Internal };

std::string_view errcName(Errc code);

struct Error {
  Errc code = Errc::Internal;
  std::string message;

  // True only for failures that may pass by themselves (controller-runtime's TerminalError split).
  bool retryable() const { return code == Errc::Unavailable || code == Errc::Timeout; }
  // "invalid: spec.versions[0].version: ..." — for logs and statuses.
  std::string describe() const;
};

inline Error makeError(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->checked(); }

  const Error& error() const {
    if (ok()) {
      std::fprintf(stderr, "od: Result::error() called on a value\n");
      std::abort();
    }
    return std::get<1>(v_);
  }
  Error&& takeError() && { return std::move(const_cast<Error&>(error())); }

 private:
  T& checked() {
    if (!ok()) {
      std::fprintf(stderr, "od: Result::value() called on error: %s\n", std::get<1>(v_).message.c_str());
      std::abort();
    }
    return std::get<0>(v_);
  }
  std::variant<T, Error> v_;
};

// Result<void>: success carries nothing.
struct Unit {};
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(implicit)
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    if (ok()) {
      std::fprintf(stderr, "od: Result<void>::error() called on success\n");
      std::abort();
    }
    return *error_;
  }
  Error&& takeError() && { return std::move(const_cast<Error&>(error())); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;
inline Status okStatus() { return Status(); }

}  // namespace od::core

// OD_TRY(var, expr): evaluates expr (a Result<T>); on error returns the error from the
// enclosing function, otherwise declares `var` holding the value. The only control-flow macro.
#define OD_CONCAT_INNER(a, b) a##b
#define OD_CONCAT(a, b) OD_CONCAT_INNER(a, b)
#define OD_TRY(var, expr)                                     \
  auto OD_CONCAT(od_try_, __LINE__) = (expr);                 \
  if (!OD_CONCAT(od_try_, __LINE__).ok()) {                   \
    return std::move(OD_CONCAT(od_try_, __LINE__)).takeError(); \
  }                                                           \
  var = std::move(OD_CONCAT(od_try_, __LINE__)).value()

// OD_CHECK: an invariant that must hold in release builds; never for external input.
#define OD_CHECK(cond)                                                                 \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "od: check failed: %s at %s:%d\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)
#ifdef NDEBUG
#define OD_ASSERT(cond) ((void)0)
#else
#define OD_ASSERT(cond) OD_CHECK(cond)
#endif
