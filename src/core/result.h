// Result<T>: expected failures travel as values (STYLE.md section 3).
//
// g++ 12 in C++23 mode has std::expected. clang 14 (used only for the libFuzzer builds)
// does not expose it with libstdc++ 12, so a minimal stand-in with the same surface is
// provided there. Project code spells it sluice::Result<T> and sluice::unexpected(e).
#pragma once

#include <string>
#include <utility>

#if __has_include(<expected>)
#include <expected>
#endif

namespace sluice {

#if defined(__cpp_lib_expected)
template <class T, class E>
using expected = std::expected<T, E>;
template <class E>
using unexpected_t = std::unexpected<E>;
template <class E>
constexpr auto unexpected(E&& e) {
  return std::unexpected<std::decay_t<E>>(std::forward<E>(e));
}
#else
template <class E>
struct unexpected_t {
  E error;
};
template <class E>
constexpr auto unexpected(E&& e) {
  return unexpected_t<std::decay_t<E>>{std::forward<E>(e)};
}

template <class T, class E>
class expected {
 public:
  expected() requires std::is_default_constructible_v<T> : ok_(true), val_() {}
  template <class U = T>
  expected(U&& v) : ok_(true), val_(std::forward<U>(v)) {}  // NOLINT: implicit like std
  template <class G>
  expected(unexpected_t<G> u) : ok_(false), err_(std::move(u.error)) {}  // NOLINT
  expected(const expected& o) : ok_(o.ok_) {
    if (ok_) new (&val_) T(o.val_); else new (&err_) E(o.err_);
  }
  expected(expected&& o) noexcept : ok_(o.ok_) {
    if (ok_) new (&val_) T(std::move(o.val_)); else new (&err_) E(std::move(o.err_));
  }
  expected& operator=(expected o) {
    this->~expected();
    new (this) expected(std::move(o));
    return *this;
  }
  ~expected() {
    if (ok_) val_.~T(); else err_.~E();
  }
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  T& value() & { return val_; }
  const T& value() const& { return val_; }
  T&& value() && { return std::move(val_); }
  T& operator*() & { return val_; }
  const T& operator*() const& { return val_; }
  T* operator->() { return &val_; }
  const T* operator->() const { return &val_; }
  E& error() & { return err_; }
  const E& error() const& { return err_; }
  template <class U>
  T value_or(U&& d) const { return ok_ ? val_ : static_cast<T>(std::forward<U>(d)); }

 private:
  bool ok_;
  union {
    T val_;
    E err_;
  };
};

template <class E>
class expected<void, E> {
 public:
  expected() : ok_(true) {}
  template <class G>
  expected(unexpected_t<G> u) : ok_(false), err_(std::move(u.error)) {}  // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  void operator*() const {}
  E& error() & { return err_; }
  const E& error() const& { return err_; }

 private:
  bool ok_;
  E err_{};
};
#endif

// The common error of fallible, non-hot-path operations: a human-readable message.
struct Error {
  std::string message;
};

template <class T>
using Result = expected<T, Error>;

inline auto fail(std::string message) { return unexpected(Error{std::move(message)}); }

}  // namespace sluice
