// env_spec.hpp: the GREENRING_* environment variables, the values each accepts, and
// their validation. Header-only and shared: the launcher checks the environment before
// it starts a program, and the preload library checks it again when it is loaded with
// LD_PRELOAD directly, so both must agree on one table.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace greenring::envspec {

enum class kind {
    choice,        // one of a fixed list of words
    unsigned_int,  // decimal digits only, within [min, max]
    path,          // any non-empty string
    size,          // bytes, plain or with a k/K/m/M suffix, within [min, max]
};

struct variable {
    const char* name;
    kind type;
    const char* const* choices;  // nullptr-terminated, for kind::choice
    std::uint64_t min;
    std::uint64_t max;
    // Completes "accepted values are ..."; choices are listed from `choices` instead so
    // that the message can never drift from what is accepted.
    const char* accepted;
};

inline constexpr std::uint64_t min_stack_size = std::uint64_t{16} * 1024;
inline constexpr std::uint64_t max_stack_size = std::uint64_t{1} << 30;
// The runtime stores depths and milliseconds in an int.
inline constexpr std::uint64_t max_int = 2147483647;

inline constexpr const char* threads_values[] = {"green", "native", nullptr};
inline constexpr const char* sched_values[] = {"fifo", "random", "pct", nullptr};
inline constexpr const char* log_values[] = {"error", "warn", "info", "debug", "trace",
                                             nullptr};
inline constexpr const char* flag_values[] = {"0", "1", nullptr};

inline constexpr variable variables[] = {
    {"GREENRING_THREADS", kind::choice, threads_values, 0, 0, nullptr},
    {"GREENRING_SCHED", kind::choice, sched_values, 0, 0, nullptr},
    {"GREENRING_SEED", kind::unsigned_int, nullptr, 0, UINT64_MAX,
     "unsigned integers 0..18446744073709551615"},
    {"GREENRING_DEPTH", kind::unsigned_int, nullptr, 1, max_int, "integers 1..2147483647"},
    {"GREENRING_TRACE", kind::path, nullptr, 0, 0, "non-empty file paths"},
    {"GREENRING_STATS", kind::choice, flag_values, 0, 0, nullptr},
    {"GREENRING_BLOCK_MS", kind::unsigned_int, nullptr, 1, max_int,
     "integers 1..2147483647 (milliseconds)"},
    {"GREENRING_STRICT", kind::choice, flag_values, 0, 0, nullptr},
    {"GREENRING_STACK_SIZE", kind::size, nullptr, min_stack_size, max_stack_size,
     "sizes 16384..1073741824 bytes, plain or with a suffix k/K/m/M such as 64k, 1M"},
    {"GREENRING_LOG", kind::choice, log_values, 0, 0, nullptr},
    {"GREENRING_NO_INHERIT", kind::choice, flag_values, 0, 0, nullptr},
    // Read by the launcher only, but a typo'd empty value should still be caught.
    {"GREENRING_PRELOAD", kind::path, nullptr, 0, 0,
     "non-empty paths of libgreenring-preload.so"},
};

constexpr const variable* find(std::string_view name) noexcept {
    for (const variable& v : variables)
        if (name == v.name) return &v;
    return nullptr;
}

// Stricter than strtoull on purpose: no sign, no blanks, no base prefix, no overflow, so
// "-1" or " 5" is an error instead of a surprising number.
inline bool parse_unsigned(std::string_view text, std::uint64_t& out) noexcept {
    if (text.empty()) return false;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, out, 10);
    return ec == std::errc{} && ptr == end;
}

// Returns the size in bytes, or nullopt when malformed or outside the accepted range.
inline std::optional<std::uint64_t> parse_stack_size(std::string_view text) noexcept {
    std::uint64_t unit = 1;
    if (!text.empty()) {
        switch (text.back()) {
        case 'k': case 'K': unit = 1024; break;
        case 'm': case 'M': unit = 1024 * 1024; break;
        default: break;
        }
        if (unit != 1) text.remove_suffix(1);
    }
    std::uint64_t n = 0;
    if (!parse_unsigned(text, n) || n > max_stack_size / unit) return std::nullopt;
    n *= unit;
    if (n < min_stack_size) return std::nullopt;
    return n;
}

// Allocation-free so the preload library can call it from its constructor, before it is
// safe to enter malloc (which may itself be interposed).
inline bool accepts(const variable& v, const char* value) noexcept {
    if (value == nullptr) return false;
    std::string_view text(value);
    switch (v.type) {
    case kind::choice:
        for (const char* const* c = v.choices; *c != nullptr; ++c)
            if (text == *c) return true;
        return false;
    case kind::unsigned_int: {
        std::uint64_t n = 0;
        return parse_unsigned(text, n) && n >= v.min && n <= v.max;
    }
    case kind::path:
        return !text.empty();
    case kind::size:
        return parse_stack_size(text).has_value();
    }
    return false;
}

namespace detail {

// Appends into a fixed buffer, always NUL-terminated, silently truncating.
struct writer {
    char* buf;
    std::size_t size;
    std::size_t len = 0;

    writer(char* b, std::size_t n) noexcept : buf(b), size(n) {
        if (size != 0) buf[0] = '\0';
    }

    void put(char c) noexcept {
        if (len + 1 < size) buf[len++] = c;
        if (size != 0) buf[len] = '\0';
    }
    void put(std::string_view s) noexcept {
        for (char c : s) put(c);
    }
    // Values come from users: a newline or escape sequence in one must not break the
    // promise that every error is a single readable line.
    void put_escaped(std::string_view s, std::size_t limit) noexcept {
        static constexpr char hex[] = "0123456789abcdef";
        std::size_t shown = 0;
        for (char ch : s) {
            if (shown++ == limit) {
                put("...");
                return;
            }
            auto c = static_cast<unsigned char>(ch);
            if (c < 0x20 || c == 0x7f) {
                put("\\x");
                put(hex[c >> 4]);
                put(hex[c & 15]);
            } else {
                put(ch);
            }
        }
    }
};

}  // namespace detail

// Writes the accepted values of `v` ("green, native" or the description) into buf.
inline void describe_accepted(const variable& v, char* buf, std::size_t size) noexcept {
    detail::writer w{buf, size};
    if (v.type == kind::choice) {
        for (const char* const* c = v.choices; *c != nullptr; ++c) {
            if (c != v.choices) w.put(", ");
            w.put(*c);
        }
    } else {
        w.put(v.accepted);
    }
}

// Writes "NAME=value: accepted values are ..." into buf when the value is rejected and
// returns false; returns true (buf untouched) when it is accepted. Unknown names are
// rejected: callers that tolerate other GREENRING_* names should check find() first.
inline bool check(const char* name, const char* value, char* buf, std::size_t size) noexcept {
    const variable* v = find(name != nullptr ? name : "");
    if (v != nullptr && accepts(*v, value)) return true;
    detail::writer w{buf, size};
    w.put_escaped(name != nullptr ? name : "(null)", 100);
    w.put('=');
    w.put_escaped(value != nullptr ? value : "", 200);
    if (v == nullptr) {
        w.put(": not a greenring variable (accepted names are ");
        bool first = true;
        for (const variable& known : variables) {
            if (!first) w.put(", ");
            first = false;
            w.put(known.name);
        }
        w.put(')');
        return false;
    }
    w.put(": accepted values are ");
    char accepted[256];
    describe_accepted(*v, accepted, sizeof accepted);
    w.put(accepted);
    return false;
}

// The convenient form for code that may allocate: nullopt when valid, else the message.
inline std::optional<std::string> validate(const char* name, const char* value) {
    char buf[1024];
    if (check(name, value, buf, sizeof buf)) return std::nullopt;
    return std::string(buf);
}

// Checks every variable of the table that is set in the current environment; returns
// false with the first error in buf. Allocation-free like check().
inline bool check_environment(char* buf, std::size_t size) noexcept {
    for (const variable& v : variables) {
        const char* value = std::getenv(v.name);
        if (value != nullptr && !check(v.name, value, buf, size)) return false;
    }
    return true;
}

inline std::optional<std::string> validate_environment() {
    char buf[1024];
    if (check_environment(buf, sizeof buf)) return std::nullopt;
    return std::string(buf);
}

}  // namespace greenring::envspec
