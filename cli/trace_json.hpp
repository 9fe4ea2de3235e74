// trace_json.hpp: a small, strict JSON reader (RFC 8259 / ECMA-404, nothing more and
// nothing less) for the trace tools. It is a pull reader: the caller walks the outer
// structure member by member and element by element and builds a value only for what it
// needs, so a trace with millions of events never exists as one tree in memory.
//
// Strict means: no comments, no trailing commas, no single quotes, no leading zeros, no
// NaN/Infinity, no control characters or invalid UTF-8 inside strings, no unpaired
// surrogate escapes, no byte order mark, nothing after the top-level value. A number too
// large for a double (1e999) is refused too, as RFC 8259 section 9 allows; one too small
// is read as zero. Every error names the byte offset (0-based) where the input stopped
// making sense.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace greenring::cli::json {

// A malformed document. what() is one line: "byte N (line L, column C): message".
class parse_error : public std::runtime_error {
public:
    parse_error(std::size_t offset, const std::string& message)
        : std::runtime_error(message), offset_(offset) {}
    std::size_t offset() const { return offset_; }

private:
    std::size_t offset_;
};

enum class kind { null, boolean, number, string, array, object };

// One parsed value. Numbers keep their literal text as well, so a 64-bit integer (a seed)
// can be shown exactly even where a double would round it.
struct value {
    kind type = kind::null;
    bool boolean = false;
    double number = 0;
    std::string text;  // a string's contents (UTF-8), or a number's literal
    std::vector<value> items;                            // array
    std::vector<std::pair<std::string, value>> members;  // object, in document order

    bool is_string() const { return type == kind::string; }
    bool is_number() const { return type == kind::number; }
    bool is_object() const { return type == kind::object; }
    bool is_array() const { return type == kind::array; }

    // The member named key of an object (the last one when a name repeats), or nullptr
    // when this is not an object or has no such member.
    const value* get(std::string_view key) const;
    // get(key) when it is a string / number, else nullptr.
    const std::string* get_string(std::string_view key) const;
    const value* get_number(std::string_view key) const;
};

// Walks one JSON document held in memory (the caller keeps the text alive).
//
//   reader r(text);
//   r.begin_object();
//   std::string key;
//   while (r.next_member(key)) {
//       if (key == "items") { r.begin_array(); while (r.next_element()) use(r.read()); }
//       else r.skip();
//   }
//   r.finish();
class reader {
public:
    explicit reader(std::string_view text);

    // The first byte of the next value, after whitespace: one of { [ " t f n - 0-9, or
    // '\0' at the end of the input. Lets the caller check a type before descending.
    char peek();
    std::size_t offset() const { return pos_; }

    void begin_object();                    // consumes '{'
    bool next_member(std::string& key);     // the next "key": or false after '}'
    void begin_array();                     // consumes '['
    bool next_element();                    // true before each element, false after ']'

    value read();  // the next value, whole
    void skip();   // the next value, checked but not kept
    void finish(); // only whitespace may follow the top-level value

    // Throws parse_error at the given offset (default: the current one).
    [[noreturn]] void fail(const std::string& message) const;
    [[noreturn]] void fail_at(std::size_t offset, const std::string& message) const;

private:
    template <bool keep>
    void parse_value(value* out, std::size_t depth);
    void parse_string(std::string* out);
    void parse_number(value* out);
    void parse_literal(std::string_view word);
    void skip_whitespace();
    void expect(char c, const char* context);
    std::string describe_here() const;

    std::string_view text_;
    std::size_t pos_ = 0;
    // One entry per container opened with begin_object/begin_array: true until its first
    // member or element has been seen.
    std::vector<bool> first_;
};

// Parses a whole document into one value (small documents, tests).
value parse(std::string_view text);

}  // namespace greenring::cli::json
