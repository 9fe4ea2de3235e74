// trace_json.cpp: the strict JSON reader described in trace_json.hpp.
#include "trace_json.hpp"

#include <charconv>
#include <cstdint>
#include <system_error>

namespace greenring::cli::json {

namespace {

// Deeper nesting than this is refused rather than risking the stack; no trace needs more
// than a handful of levels.
constexpr std::size_t max_depth = 512;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string hex_byte(unsigned char c) {
    static constexpr char digits[] = "0123456789ABCDEF";
    return std::string("0x") + digits[c >> 4] + digits[c & 15];
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Length of the well-formed UTF-8 sequence starting at s[0] (Unicode table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s) {
    const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char lead = b(0);
    std::size_t length;
    unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (s.size() < length) return 0;
    if (b(1) < low || b(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if (b(i) < 0x80 || b(i) > 0xBF) return 0;
    return length;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// value

const value* value::get(std::string_view key) const {
    if (type != kind::object) return nullptr;
    for (auto it = members.rbegin(); it != members.rend(); ++it)
        if (it->first == key) return &it->second;
    return nullptr;
}

const std::string* value::get_string(std::string_view key) const {
    const value* v = get(key);
    return v != nullptr && v->type == kind::string ? &v->text : nullptr;
}

const value* value::get_number(std::string_view key) const {
    const value* v = get(key);
    return v != nullptr && v->type == kind::number ? v : nullptr;
}

// ---------------------------------------------------------------------------------------
// reader: errors

reader::reader(std::string_view text) : text_(text) {}

void reader::fail(const std::string& message) const { fail_at(pos_, message); }

void reader::fail_at(std::size_t offset, const std::string& message) const {
    // Line and column help with a hand-edited file; the byte offset is what tools use.
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
        const auto c = static_cast<unsigned char>(text_[i]);
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) {
            ++column;  // columns count characters, not the continuation bytes of UTF-8
        }
    }
    throw parse_error(offset, "byte " + std::to_string(offset) + " (line " +
                                  std::to_string(line) + ", column " + std::to_string(column) +
                                  "): " + message);
}

std::string reader::describe_here() const {
    if (pos_ >= text_.size()) return "end of input";
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c > 0x20 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
    if (c >= 0x80) {
        const std::size_t n = utf8_sequence(text_.substr(pos_));
        if (n > 0) return "'" + std::string(text_.substr(pos_, n)) + "'";
    }
    return "byte " + hex_byte(c);
}

// ---------------------------------------------------------------------------------------
// reader: tokens

void reader::skip_whitespace() {
    while (pos_ < text_.size()) {
        const char c = text_[pos_];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        ++pos_;
    }
}

char reader::peek() {
    skip_whitespace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
}

void reader::expect(char c, const char* context) {
    skip_whitespace();
    if (pos_ < text_.size() && text_[pos_] == c) {
        ++pos_;
        return;
    }
    fail(std::string("expected '") + c + "' " + context + ", found " + describe_here());
}

void reader::parse_literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) fail("invalid literal, expected '" +
                                                      std::string(word) + "'");
    pos_ += word.size();
}

void reader::parse_string(std::string* out) {
    const std::size_t start = pos_;
    ++pos_;  // the opening quote
    for (;;) {
        // The common case: a run of plain ASCII, appended at once.
        std::size_t run = pos_;
        while (run < text_.size()) {
            const auto c = static_cast<unsigned char>(text_[run]);
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            ++run;
        }
        if (out != nullptr) out->append(text_.data() + pos_, run - pos_);
        pos_ = run;
        if (pos_ >= text_.size()) fail_at(start, "unterminated string");

        const auto c = static_cast<unsigned char>(text_[pos_]);
        if (c == '"') {
            ++pos_;
            return;
        }
        if (c < 0x20)
            fail("control character " + hex_byte(c) + " inside a string (must be escaped)");
        if (c >= 0x80) {
            const std::size_t n = utf8_sequence(text_.substr(pos_));
            if (n == 0) fail("invalid UTF-8 (byte " + hex_byte(c) + ") inside a string");
            if (out != nullptr) out->append(text_.data() + pos_, n);
            pos_ += n;
            continue;
        }

        // A backslash escape.
        const std::size_t escape = pos_;
        if (pos_ + 1 >= text_.size()) fail_at(start, "unterminated string");
        const char e = text_[pos_ + 1];
        pos_ += 2;
        char simple = 0;
        switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': break;
            default:
                pos_ = escape;
                fail("invalid escape '\\" +
                     (static_cast<unsigned char>(e) > 0x20 && static_cast<unsigned char>(e) < 0x7F
                          ? std::string(1, e)
                          : hex_byte(static_cast<unsigned char>(e))) +
                     "' in a string (accepted: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        }
        if (simple != 0) {
            if (out != nullptr) *out += simple;
            continue;
        }

        auto read_hex4 = [&](std::size_t at) -> std::uint32_t {
            std::uint32_t unit = 0;
            for (std::size_t i = 0; i < 4; ++i) {
                const int d = at + i < text_.size() ? hex_digit(text_[at + i]) : -1;
                if (d < 0) fail_at(at - 2, "invalid \\u escape (expected 4 hex digits)");
                unit = unit * 16 + static_cast<std::uint32_t>(d);
            }
            return unit;
        };
        std::uint32_t cp = read_hex4(pos_);
        pos_ += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            fail_at(escape, "unpaired low surrogate escape in a string");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            // Must be followed by its low half: \uD83D\uDE00.
            if (text_.substr(pos_, 2) != "\\u")
                fail_at(escape, "unpaired high surrogate escape in a string");
            const std::uint32_t low = read_hex4(pos_ + 2);
            if (low < 0xDC00 || low > 0xDFFF)
                fail_at(escape, "unpaired high surrogate escape in a string");
            pos_ += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out != nullptr) append_utf8(*out, cp);
    }
}

void reader::parse_number(value* out) {
    const std::size_t start = pos_;
    auto digits = [&](const char* what) {
        if (pos_ >= text_.size() || !is_digit(text_[pos_]))
            fail(std::string("expected a digit ") + what + ", found " + describe_here());
        while (pos_ < text_.size() && is_digit(text_[pos_])) ++pos_;
    };
    bool negative_exponent = false;
    if (text_[pos_] == '-') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '0') {
        ++pos_;
        if (pos_ < text_.size() && is_digit(text_[pos_]))
            fail("leading zero in a number");
    } else {
        digits(text_[start] == '-' ? "after '-'" : "in a number");
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
        ++pos_;
        digits("after the decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
        ++pos_;
        if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) {
            negative_exponent = text_[pos_] == '-';
            ++pos_;
        }
        digits("in the exponent");
    }
    // Converted even when the value is skipped, so a document gets the same verdict
    // whichever parts of it the caller keeps.
    const std::string_view literal = text_.substr(start, pos_ - start);
    double number = 0;
    const auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), number);
    if (ec == std::errc::result_out_of_range) {
        // Too small is zero, as every JSON reader does; too large has no double at all.
        if (!negative_exponent) fail_at(start, "number out of range");
        number = literal.starts_with('-') ? -0.0 : 0.0;
    } else if (ec != std::errc() || end != literal.data() + literal.size()) {
        fail_at(start, "invalid number");  // not reached: the grammar was checked above
    }
    if (out == nullptr) return;
    out->type = kind::number;
    out->number = number;
    out->text.assign(literal);
}

template <bool keep>
void reader::parse_value(value* out, std::size_t depth) {
    skip_whitespace();
    if (pos_ >= text_.size()) fail("unexpected end of input, expected a value");
    const char c = text_[pos_];
    switch (c) {
        case '{': {
            if (depth >= max_depth) fail("nesting deeper than " + std::to_string(max_depth));
            ++pos_;
            if (keep) out->type = kind::object;
            if (peek() == '}') {
                ++pos_;
                return;
            }
            for (;;) {
                if (peek() != '"')
                    fail("expected a member name (a string), found " + describe_here());
                std::string key;
                parse_string(keep ? &key : nullptr);
                expect(':', "after a member name");
                if constexpr (keep) {
                    out->members.emplace_back(std::move(key), value{});
                    parse_value<true>(&out->members.back().second, depth + 1);
                } else {
                    parse_value<false>(nullptr, depth + 1);
                }
                const char next = peek();
                if (next == ',') {
                    ++pos_;
                    continue;
                }
                if (next == '}') {
                    ++pos_;
                    return;
                }
                fail("expected ',' or '}' after an object member, found " + describe_here());
            }
        }
        case '[': {
            if (depth >= max_depth) fail("nesting deeper than " + std::to_string(max_depth));
            ++pos_;
            if (keep) out->type = kind::array;
            if (peek() == ']') {
                ++pos_;
                return;
            }
            for (;;) {
                if constexpr (keep) {
                    out->items.emplace_back();
                    parse_value<true>(&out->items.back(), depth + 1);
                } else {
                    parse_value<false>(nullptr, depth + 1);
                }
                const char next = peek();
                if (next == ',') {
                    ++pos_;
                    continue;
                }
                if (next == ']') {
                    ++pos_;
                    return;
                }
                fail("expected ',' or ']' after an array element, found " + describe_here());
            }
        }
        case '"':
            if (keep) out->type = kind::string;
            parse_string(keep ? &out->text : nullptr);
            return;
        case 't':
        case 'f':
            parse_literal(c == 't' ? "true" : "false");
            if (keep) {
                out->type = kind::boolean;
                out->boolean = c == 't';
            }
            return;
        case 'n':
            parse_literal("null");
            if (keep) out->type = kind::null;
            return;
        default:
            if (c == '-' || is_digit(c)) {
                parse_number(keep ? out : nullptr);
                return;
            }
            if (pos_ == 0 && text_.starts_with("\xEF\xBB\xBF"))
                fail("byte order mark at the start (not allowed in JSON)");
            fail("expected a value, found " + describe_here());
    }
}

// ---------------------------------------------------------------------------------------
// reader: walking containers

void reader::begin_object() {
    skip_whitespace();
    if (pos_ >= text_.size() || text_[pos_] != '{')
        fail("expected an object ('{'), found " + describe_here());
    if (first_.size() >= max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    ++pos_;
    first_.push_back(true);
}

bool reader::next_member(std::string& key) {
    const char c = peek();
    const bool first = first_.back();
    first_.back() = false;
    if (c == '}') {
        ++pos_;
        first_.pop_back();
        return false;
    }
    if (!first) {
        if (c != ',') fail("expected ',' or '}' after an object member, found " + describe_here());
        ++pos_;
    }
    if (peek() != '"') fail("expected a member name (a string), found " + describe_here());
    key.clear();
    parse_string(&key);
    expect(':', "after a member name");
    return true;
}

void reader::begin_array() {
    skip_whitespace();
    if (pos_ >= text_.size() || text_[pos_] != '[')
        fail("expected an array ('['), found " + describe_here());
    if (first_.size() >= max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    ++pos_;
    first_.push_back(true);
}

bool reader::next_element() {
    const char c = peek();
    const bool first = first_.back();
    first_.back() = false;
    if (c == ']') {
        ++pos_;
        first_.pop_back();
        return false;
    }
    if (!first) {
        if (c != ',') fail("expected ',' or ']' after an array element, found " + describe_here());
        ++pos_;
        if (peek() == ']') fail("expected a value after ',', found ']' (trailing comma)");
    }
    return true;
}

value reader::read() {
    value v;
    parse_value<true>(&v, first_.size());
    return v;
}

void reader::skip() { parse_value<false>(nullptr, first_.size()); }

void reader::finish() {
    skip_whitespace();
    if (pos_ < text_.size())
        fail("unexpected " + describe_here() + " after the end of the JSON value");
}

value parse(std::string_view text) {
    reader r(text);
    value v = r.read();
    r.finish();
    return v;
}

}  // namespace greenring::cli::json
