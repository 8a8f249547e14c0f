// Parser for the IOKit XML dialect, following XNU OSUnserializeXML.y and IOKitUser
// IOCFUnserialize.yacc: the same lexer (getTag/getString/getNumber/getCFEncodedData) and the
// same grammar, written as recursive descent with explicit limits.
#include <cstdio>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "KeyPath.h"
#include "kextkit/plist/Base64.h"
#include "kextkit/plist/IOKitXml.h"

namespace kextkit::plist {

namespace {

// getTag's fixed buffers: names and values are copied into char[32] and the lexer fails once
// 31 characters have been stored, so at most 30 fit; at most 31 attributes fit in [32].
constexpr size_t kTagMaxLength = 32;      // TAG_MAX_LENGTH
constexpr size_t kTagMaxAttributes = 32;  // TAG_MAX_ATTRIBUTES
// Estimated memory of one Value beyond its string or data bytes, for maxMaterializedBytes.
constexpr uint64_t kValueCost = 64;

bool isSpace(char c) { return c == ' ' || c == '\t'; }
bool isAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isLowerHexAlpha(char c) { return c >= 'a' && c <= 'f'; }
bool isAlphaNumeric(char c) { return isAlpha(c) || isDigit(c) || c == '-'; }

// A character for messages: 'x' when printable, '\r' style escapes, else "byte 0xNN".
std::string quoteChar(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  switch (c) {
    case '\0': return "end of text";
    case '\r': return "'\\r'";
    case '\n': return "'\\n'";
    case '\t': return "'\\t'";
    default: break;
  }
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
  return buf;
}

// strtol(s, NULL, 0) then the assignment to `int` Apple's parser makes (object->idref,
// object->size): leading isspace skipped, optional sign, 0x/0X hex, leading 0 octal, stops at
// the first invalid character, saturates on overflow, then keeps the low 32 bits.
int32_t strtolBase0ToInt(std::string_view s, bool isUnsigned) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) ++i;
  bool neg = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  unsigned base = 10;
  if (i + 1 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') && i + 2 < s.size() &&
      (isDigit(s[i + 2]) || (s[i + 2] >= 'a' && s[i + 2] <= 'f') || (s[i + 2] >= 'A' && s[i + 2] <= 'F'))) {
    base = 16;
    i += 2;
  } else if (i < s.size() && s[i] == '0') {
    base = 8;
  }
  uint64_t v = 0;
  bool overflow = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    unsigned d;
    if (isDigit(c)) d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'z') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'Z') d = static_cast<unsigned>(c - 'A' + 10);
    else break;
    if (d >= base) break;
    if (v > (UINT64_MAX - d) / base) overflow = true;
    else v = v * base + d;
  }
  uint64_t result;
  if (isUnsigned) {  // strtoul: saturates at ULONG_MAX, then negates modulo 2^64
    result = overflow ? UINT64_MAX : (neg ? 0 - v : v);
  } else {           // strtol: saturates at LONG_MAX / LONG_MIN
    if (!neg) result = (overflow || v > uint64_t{INT64_MAX}) ? uint64_t{INT64_MAX} : v;
    else result = (overflow || v > uint64_t{INT64_MAX} + 1) ? uint64_t{INT64_MAX} + 1 : 0 - v;
  }
  return static_cast<int32_t>(static_cast<uint32_t>(result));
}

// Cursor over the document. Invariant: pos_ <= text_.size() at all times; cur() returns '\0'
// at the end, which is exactly how Apple's lexer sees the end of its NUL-terminated buffer
// (the caller cuts the text at its first NUL). next() never moves past the end.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  char cur() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  char next() {
    if (pos_ < text_.size()) ++pos_;
    return cur();
  }
  size_t pos() const { return pos_; }
  /// Moves to `pos` (at most the end of the text).
  void seek(size_t pos) { pos_ = pos < text_.size() ? pos : text_.size(); }
  std::string_view text() const { return text_; }
  std::string_view slice(size_t from, size_t to) const { return text_.substr(from, to - from); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

enum class TagType { Start, End, Empty, Ignore };

struct Attribute {
  std::string name, value;
};

struct Tag {
  TagType type = TagType::Start;
  std::string name;
  std::vector<Attribute> attrs;
  size_t begin = 0, end = 0;  // [begin, end) of the tag text
};

enum class Tok {
  EndOfText, DictOpen, DictClose, DictEmpty, ArrayOpen, ArrayClose, ArrayEmpty,
  SetOpen, SetClose, SetEmpty, Key, String, Integer, Data, Bool, Idref,
};

struct Token {
  Tok kind = Tok::EndOfText;
  size_t begin = 0, end = 0;  // text of the (opening) tag, for messages
  int32_t id = -1;            // ID="n"; only n >= 0 is remembered, as in Apple's parser
  int32_t idref = -1;
  std::string idrefText;      // IDREF attribute as written, for messages
  std::string text;           // key, string
  Integer integer;
  Data data;
  bool boolean = false;
};

struct Parsed {
  Value value;
  uint64_t cost = 0;    // estimated bytes, see IOKitParseOptions::maxMaterializedBytes
  unsigned height = 0;  // container nesting inside the value (0 for scalars)
};

class Parser {
 public:
  Parser(std::string_view text, const IOKitParseOptions& options) : c_(text), opt_(options) {}

  Expected<Value> run() {
    KK_ASSIGN(Token first, lex());
    KK_ASSIGN(Parsed root, parseValue(std::move(first), 0));
    if (opt_.rejectTrailingContent) {
      KK_ASSIGN(Token after, lex());
      if (after.kind != Tok::EndOfText)
        return fail(ErrorCode::Malformed, after.begin, "unexpected " + show(after) + " after the root value");
    }
    return std::move(root.value);
  }

 private:
  // ---- errors -------------------------------------------------------------------------

  Error fail(ErrorCode code, size_t offset, std::string msg) const {
    size_t line = 1;
    std::string_view t = c_.text();
    for (size_t i = 0; i < offset && i < t.size(); ++i)
      if (t[i] == '\n') ++line;
    msg += " near line ";
    msg += std::to_string(line);
    return Error(code, std::move(msg), path_.str(), offset);
  }
  Error malformedAt(size_t offset, std::string msg) const { return fail(ErrorCode::Malformed, offset, std::move(msg)); }

  // Source text of a tag, shortened, for messages ("<string IDREF=\"1\"/>").
  std::string tagText(size_t begin, size_t end) const {
    std::string_view s = c_.slice(begin, end);
    if (s.size() > 48) return std::string(s.substr(0, 45)) + "...";
    return std::string(s);
  }
  std::string show(const Token& t) const {
    if (t.kind == Tok::EndOfText) return "end of text";
    return tagText(t.begin, t.end);
  }

  // ---- lexer: getTag ------------------------------------------------------------------

  // Reads the tag at the cursor (which the caller has positioned on '<' or a stray
  // character). Mirrors getTag in OSUnserializeXML.y including its limits and quirks: no
  // space is allowed before '>' or '/>', `</name/>` is an empty tag, attribute values may hold
  // any character but '"', comments end at the first "--" which must be followed by '>'.
  // Fills `tag` (a member reused from tag to tag, so its buffers are allocated once).
  Status getTag(Tag& tag) {
    tag.type = TagType::Start;
    tag.name.clear();
    tag.attrs.clear();
    tag.begin = c_.pos();
    char c = c_.cur();
    if (c != '<') {
      if (c == '\r')
        return malformedAt(c_.pos(), "expected '<', found '\\r' (CR line endings are not allowed in the IOKit dialect)");
      return malformedAt(c_.pos(), "expected '<', found " + quoteChar(c));
    }
    c = c_.next();
    if (c == '!') {
      c = c_.next();
      bool isComment = false;
      if (c == '-') {
        c = c_.next();
        isComment = c == '-';
      }
      if (!isComment && !isAlpha(c))
        return malformedAt(c_.pos(), "expected '--' or a letter after '<!', found " + quoteChar(c));
      while (c && (c = c_.next()) != 0) {
        if (isComment) {
          if (c != '-') continue;
          c = c_.next();
          if (c != '-') continue;
          c = c_.next();
        }
        if (c == '>') {
          c_.next();
          tag.type = TagType::Ignore;
          tag.end = c_.pos();
          return {};
        }
        if (isComment) return malformedAt(c_.pos(), "expected '>' after '--' in a comment, found " + quoteChar(c));
      }
      return malformedAt(tag.begin, isComment ? "unterminated comment" : "unterminated <!...> declaration");
    }
    if (c == '?') {
      while ((c = c_.next()) != 0) {
        if (c != '?') continue;
        c = c_.next();
        if (c == '>') {
          c_.next();
          tag.type = TagType::Ignore;
          tag.end = c_.pos();
          return {};
        }
      }
      return malformedAt(tag.begin, "unterminated <?...?> processing instruction");
    }
    if (c == '/') {
      c = c_.next();
      tag.type = TagType::End;
    }
    if (!isAlpha(c))
      return malformedAt(c_.pos(), std::string("expected a tag name after '") +
                                       (tag.type == TagType::End ? "</" : "<") + "', found " + quoteChar(c));
    const size_t nameStart = c_.pos();
    while (isAlphaNumeric(c)) {
      c = c_.next();
      if (c_.pos() - nameStart >= kTagMaxLength - 1)
        return malformedAt(tag.begin, "tag name longer than " + std::to_string(kTagMaxLength - 2) + " characters");
    }
    tag.name.assign(c_.slice(nameStart, c_.pos()));
    while (c != '>' && c != '/') {
      while (isSpace(c)) c = c_.next();
      if (c == 0) return malformedAt(tag.begin, "unterminated tag <" + tag.name + ": end of text before '>'");
      Attribute a;
      size_t attrStart = c_.pos();
      while (isAlphaNumeric(c)) {
        if (c_.pos() + 1 - attrStart >= kTagMaxLength - 1)
          return malformedAt(attrStart, "attribute name longer than " + std::to_string(kTagMaxLength - 2) +
                                            " characters in <" + tag.name + ">");
        c = c_.next();
      }
      a.name.assign(c_.slice(attrStart, c_.pos()));
      while (isSpace(c)) c = c_.next();
      if (c != '=') {
        if (a.name.empty())
          return malformedAt(c_.pos(), "expected attribute name=\"value\" in <" + tag.name + ">, found " + quoteChar(c) +
                                           " (no space is allowed before '>' or '/>')");
        return malformedAt(c_.pos(), "expected '=' after attribute " + a.name + " in <" + tag.name + ">, found " +
                                         quoteChar(c));
      }
      c = c_.next();
      while (isSpace(c)) c = c_.next();
      if (c != '"')
        return malformedAt(c_.pos(), "expected '\"' to open the value of attribute " + a.name + " in <" + tag.name +
                                         ">, found " + quoteChar(c));
      c = c_.next();
      const size_t valueStart = c_.pos();
      while (c != '"') {
        if (c == 0) return malformedAt(attrStart, "unterminated value of attribute " + a.name + " in <" + tag.name + ">");
        if (c_.pos() + 1 - valueStart >= kTagMaxLength - 1)
          return malformedAt(attrStart, "value of attribute " + a.name + " in <" + tag.name + "> longer than " +
                                            std::to_string(kTagMaxLength - 2) + " characters");
        c = c_.next();
      }
      a.value.assign(c_.slice(valueStart, c_.pos()));
      c = c_.next();  // closing quote
      tag.attrs.push_back(std::move(a));
      if (tag.attrs.size() >= kTagMaxAttributes)
        return malformedAt(tag.begin, "more than " + std::to_string(kTagMaxAttributes - 1) + " attributes in <" +
                                          tag.name + ">");
    }
    if (c == '/') {
      c = c_.next();
      tag.type = TagType::Empty;
    }
    if (c != '>') return malformedAt(c_.pos(), "expected '>' to close <" + tag.name + ">, found " + quoteChar(c));
    c_.next();
    tag.end = c_.pos();
    return {};
  }

  // The end tag that must follow the content of key/string/integer/data.
  Status expectEndTag(const std::string& name) {
    size_t at = c_.pos();
    Tag& t = endTag_;
    KK_TRY(getTag(t));
    if (t.type == TagType::End && t.name == name) return {};
    std::string found = t.type == TagType::Ignore ? "a comment or declaration" : tagText(t.begin, t.end);
    return malformedAt(at, "expected </" + name + ">, found " + found);
  }

  // ---- lexer: content -----------------------------------------------------------------

  // getString: everything up to the next '<', with only &lt; &gt; &amp; decoded.
  Expected<std::string> getString(const std::string& tagName, size_t tagBegin) {
    size_t start = c_.pos();
    size_t lt = c_.text().find('<', start);
    if (lt == std::string_view::npos) {
      c_.seek(lt);
      return malformedAt(tagBegin, "unterminated <" + tagName + ">: end of text before </" + tagName + ">");
    }
    c_.seek(lt);
    std::string_view raw = c_.slice(start, lt);
    if (raw.find('&') == std::string_view::npos) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      std::string_view rest = raw.substr(i);
      if (rest.starts_with("&lt;")) {
        out += '<';
        i += 3;
      } else if (rest.starts_with("&gt;")) {
        out += '>';
        i += 3;
      } else if (rest.starts_with("&amp;")) {
        out += '&';
        i += 4;
      } else {
        size_t n = 1;
        while (n < rest.size() && n < 10 && rest[n - 1] != ';') ++n;
        return malformedAt(start + i, "unknown entity \"" + std::string(rest.substr(0, n)) + "\" in <" + tagName +
                                          ">: only &lt; &gt; &amp; are allowed");
      }
    }
    return out;
  }

  // getNumber: 0x + lowercase hex, else decimal with an optional '-'; wraps modulo 2^64.
  Expected<uint64_t> getNumber() {
    uint64_t n = 0;
    bool hexMode = false;
    char c = c_.cur();
    if (c == '0') {
      c = c_.next();
      if (c == 'x') {
        hexMode = true;
        c = c_.next();
      }
    }
    if (!hexMode) {
      bool negate = false;
      if (c == '-') {
        negate = true;
        c = c_.next();
      }
      while (isDigit(c)) {
        n = n * 10 + static_cast<uint64_t>(c - '0');
        c = c_.next();
      }
      if (negate) n = 0 - n;
    } else {
      while (isDigit(c) || isLowerHexAlpha(c)) {
        n = n * 16 + static_cast<uint64_t>(isDigit(c) ? c - '0' : c - 'a' + 10);
        c = c_.next();
      }
    }
    if (c != '<') {
      if (hexMode && c >= 'A' && c <= 'F')
        return malformedAt(c_.pos(), "uppercase hex digit " + quoteChar(c) +
                                         " in <integer>: only lowercase a-f are accepted after 0x");
      if (c == 0) return malformedAt(c_.pos(), "unterminated <integer>: end of text before </integer>");
      return malformedAt(c_.pos(), "malformed <integer>: expected decimal digits with an optional '-', or 0x and "
                                   "lowercase hex digits, found " + quoteChar(c));
    }
    return n;
  }

  // getCFEncodedData, plus the strictBase64 option. A byte whose low 7 bits are 0 ends Apple's
  // loop as end of buffer, which then fails to find </data>.
  Expected<Data> getBase64Data(size_t tagBegin) {
    size_t start = c_.pos();
    char c = c_.cur();
    while (c != '<') {
      if ((static_cast<unsigned char>(c) & 0x7f) == 0) {
        if (c == 0) return malformedAt(tagBegin, "unterminated <data>: end of text before </data>");
        return malformedAt(c_.pos(), quoteChar(c) + " in <data>: Apple's decoder reads it as the end of the text");
      }
      c = c_.next();
    }
    std::string_view raw = c_.slice(start, c_.pos());
    Base64Decoded d = decodeBase64Lenient(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
    if (opt_.strictBase64 && d.skippedJunk)
      return malformedAt(start, "invalid base64 in <data>: " + std::to_string(d.skippedJunk) +
                                    " character(s) outside the base64 alphabet");
    if (opt_.strictBase64 && d.danglingChars)
      return malformedAt(start, "invalid base64 in <data>: incomplete final group of " +
                                    std::to_string(d.danglingChars) + " character(s)");
    return std::move(d.bytes);
  }

  // getHexData (XNU only; IOKitUser's IOCFUnserialize has no format="hex"). Pairs of
  // lowercase hex digits, blanks and newlines between pairs. Where XNU silently returns
  // empty data on a bad digit, this parser reports the error.
  Expected<Data> getHexData() {
    Data out;
    char c = c_.cur();
    while (c != '<') {
      if (isSpace(c)) {
        while ((c = c_.next()) != 0 && isSpace(c)) {
        }
      }
      if (c == '\n') {
        c = c_.next();
        continue;
      }
      auto nibble = [](char x) -> int {
        if (isDigit(x)) return x - '0';
        if (isLowerHexAlpha(x)) return x - 'a' + 10;
        return -1;
      };
      int hi = nibble(c);
      if (hi < 0)
        return malformedAt(c_.pos(), "malformed <data format=\"hex\">: expected lowercase hex digit pairs, found " +
                                         quoteChar(c));
      c = c_.next();
      int lo = nibble(c);
      if (lo < 0)
        return malformedAt(c_.pos(), "malformed <data format=\"hex\">: expected lowercase hex digit pairs, found " +
                                         quoteChar(c));
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
      c = c_.next();
    }
    return out;
  }

  // ---- lexer: yylex -------------------------------------------------------------------

  Expected<Token> lex() {
    for (;;) {
      char c = c_.cur();
      while (isSpace(c) || c == '\n') c = c_.next();
      Token tok;
      tok.begin = c_.pos();
      if (c == 0) {
        tok.kind = Tok::EndOfText;
        return tok;
      }
      Tag& tag = tag_;
      KK_TRY(getTag(tag));
      if (tag.type == TagType::Ignore) continue;
      tok.end = tag.end;
      // Apple checks ID/IDREF attributes before looking at the tag name.
      for (const Attribute& a : tag.attrs) {
        if (a.name.size() < 2 || a.name[0] != 'I' || a.name[1] != 'D') continue;
        if (a.name == "IDREF") {
          if (tag.type != TagType::Empty)
            return malformedAt(tag.begin, "IDREF on a non-empty tag " + tagText(tag.begin, tag.end) +
                                              ": a reference must be an empty tag like <" + tag.name + " IDREF=\"" +
                                              a.value + "\"/>");
          tok.kind = Tok::Idref;
          tok.idref = strtolBase0ToInt(a.value, false);
          tok.idrefText = a.value;
          return tok;
        }
        if (a.name != "ID")
          return malformedAt(tag.begin, "unknown attribute " + a.name + " in <" + tag.name +
                                            ">: only ID and IDREF may start with \"ID\"");
        tok.id = strtolBase0ToInt(a.value, false);
      }
      const std::string& n = tag.name;
      auto container = [&](Tok open, Tok close, Tok empty) {
        tok.kind = tag.type == TagType::Empty ? empty : tag.type == TagType::Start ? open : close;
      };
      if (n == "plist") continue;
      if (n == "dict") {
        container(Tok::DictOpen, Tok::DictClose, Tok::DictEmpty);
        return tok;
      }
      if (n == "array") {
        container(Tok::ArrayOpen, Tok::ArrayClose, Tok::ArrayEmpty);
        return tok;
      }
      if (n == "set") {
        container(Tok::SetOpen, Tok::SetClose, Tok::SetEmpty);
        return tok;
      }
      // For key, string, integer and data Apple reads content after a start OR an end tag
      // (only the empty form is special), so `</string>x</string>` lexes as a string.
      if (n == "key") {
        if (tag.type == TagType::Empty)
          return malformedAt(tag.begin, "<key/> has no content: a key must be written <key>name</key>");
        tok.kind = Tok::Key;
        KK_ASSIGN(tok.text, getString(n, tag.begin));
        KK_TRY(expectEndTag(n));
        return tok;
      }
      if (n == "string") {
        tok.kind = Tok::String;
        if (tag.type == TagType::Empty) return tok;
        KK_ASSIGN(tok.text, getString(n, tag.begin));
        KK_TRY(expectEndTag(n));
        return tok;
      }
      if (n == "integer") {
        tok.kind = Tok::Integer;
        unsigned width = 64;
        const Attribute* size = nullptr;  // the last size= wins, as in Apple's loop
        for (const Attribute& a : tag.attrs)
          if (a.name == "size") size = &a;
        if (size) {
          int32_t w = strtolBase0ToInt(size->value, true);
          if (w != 8 && w != 16 && w != 32 && w != 64)
            return malformedAt(tag.begin, "<integer> size=\"" + size->value + "\" is not 8, 16, 32 or 64");
          width = static_cast<unsigned>(w);
        }
        uint64_t bits = 0;
        if (tag.type != TagType::Empty) {
          KK_ASSIGN(bits, getNumber());
          KK_TRY(expectEndTag(n));
        }
        // OSNumber keeps only `width` bits.
        if (width < 64) bits &= (uint64_t{1} << width) - 1;
        tok.integer = Integer{bits, width};
        return tok;
      }
      if (n == "data") {
        tok.kind = Tok::Data;
        if (tag.type == TagType::Empty) return tok;
        bool hexFormat = false;
        for (const Attribute& a : tag.attrs)
          if (a.name == "format" && a.value == "hex") hexFormat = true;
        if (hexFormat) {
          KK_ASSIGN(tok.data, getHexData());
        } else {
          KK_ASSIGN(tok.data, getBase64Data(tag.begin));
        }
        KK_TRY(expectEndTag(n));
        return tok;
      }
      if (n == "true" || n == "false") {
        if (tag.type != TagType::Empty)
          return malformedAt(tag.begin, "<" + n + "> must be the empty tag <" + n + "/>");
        tok.kind = Tok::Bool;
        tok.boolean = n == "true";
        return tok;
      }
      if (n == "real" || n == "date")
        return malformedAt(tag.begin, "unknown tag <" + n + ">: the IOKit dialect has no <" + n + ">");
      return malformedAt(tag.begin, "unknown tag <" + n + ">");
    }
  }

  // ---- grammar ------------------------------------------------------------------------

  Status charge(uint64_t cost, size_t offset) {
    materialized_ += cost;
    if (materialized_ > opt_.maxMaterializedBytes)
      return fail(ErrorCode::LimitExceeded, offset,
                  "values would take more than " + std::to_string(opt_.maxMaterializedBytes) +
                      " bytes (IDREF copies included)");
    return {};
  }

  Status countObject(size_t offset) {
    if (opt_.kernelStrict && ++objects_ > kKernelMaxObjects)
      return fail(ErrorCode::LimitExceeded, offset,
                  "more than " + std::to_string(kKernelMaxObjects) + " objects (kernel limit)");
    return {};
  }

  // rememberObject: a later ID with the same number replaces the earlier one.
  Status remember(int32_t id, const Parsed& p, size_t offset) {
    if (id < 0) return {};
    KK_TRY(charge(p.cost, offset));
    ids_.insert_or_assign(id, p);
    return {};
  }

  Status enterContainer(unsigned level, size_t offset) {
    if (level > opt_.maxDepth)
      return fail(ErrorCode::LimitExceeded, offset,
                  "containers nested deeper than " + std::to_string(opt_.maxDepth) + " levels");
    return {};
  }

  // `depth` is the number of containers enclosing this value.
  Expected<Parsed> parseValue(Token tok, unsigned depth) {
    Parsed p;
    switch (tok.kind) {
      case Tok::DictOpen: {
        KK_TRY(enterContainer(depth + 1, tok.begin));
        KK_ASSIGN(p, parseDict(tok, depth + 1));
        break;
      }
      case Tok::ArrayOpen:
      case Tok::SetOpen: {
        KK_TRY(enterContainer(depth + 1, tok.begin));
        KK_ASSIGN(p, parseArray(tok, depth + 1));
        break;
      }
      case Tok::DictEmpty:
      case Tok::ArrayEmpty:
      case Tok::SetEmpty:
        KK_TRY(enterContainer(depth + 1, tok.begin));
        p.value = tok.kind == Tok::DictEmpty ? Value(Dict{}) : Value(Array{});
        p.cost = kValueCost;
        p.height = 1;
        KK_TRY(charge(p.cost, tok.begin));
        break;
      case Tok::String:
        p.cost = kValueCost + tok.text.size();
        p.value = Value(std::move(tok.text));
        KK_TRY(charge(p.cost, tok.begin));
        break;
      case Tok::Integer:
        p.cost = kValueCost;
        p.value = Value(tok.integer);
        KK_TRY(charge(p.cost, tok.begin));
        break;
      case Tok::Data:
        p.cost = kValueCost + tok.data.size();
        p.value = Value(std::move(tok.data));
        KK_TRY(charge(p.cost, tok.begin));
        break;
      case Tok::Bool:
        // buildBoolean never remembers an ID: booleans are shared singletons.
        KK_TRY(countObject(tok.begin));
        KK_TRY(charge(kValueCost, tok.begin));
        return Parsed{Value(tok.boolean), kValueCost, 0};
      case Tok::Idref: {
        auto it = ids_.find(tok.idref);
        if (it == ids_.end())
          return malformedAt(tok.begin, "forward reference: IDREF=\"" + tok.idrefText + "\" names no earlier ID");
        if (opt_.kernelStrict && ++idrefUses_ > kKernelMaxIdrefUses)
          return fail(ErrorCode::LimitExceeded, tok.begin,
                      "more than " + std::to_string(kKernelMaxIdrefUses) + " IDREF uses (kernel limit)");
        if (depth + it->second.height > opt_.maxDepth)
          return fail(ErrorCode::LimitExceeded, tok.begin,
                      "IDREF=\"" + tok.idrefText + "\" nests containers deeper than " +
                          std::to_string(opt_.maxDepth) + " levels");
        KK_TRY(charge(it->second.cost, tok.begin));
        KK_TRY(countObject(tok.begin));
        return it->second;
      }
      case Tok::EndOfText:
      case Tok::Key:
      case Tok::DictClose:
      case Tok::ArrayClose:
      case Tok::SetClose:
        return malformedAt(tok.begin, "expected a value, found " + show(tok));
    }
    KK_TRY(countObject(tok.begin));
    KK_TRY(remember(tok.id, p, tok.begin));
    return p;
  }

  Expected<Parsed> parseDict(const Token& open, unsigned level) {
    Dict dict;
    // Repeated keys: small dicts (nearly all) are searched in place; a hash index of key ->
    // position is built once a dict outgrows that, so large ones stay linear to build.
    constexpr size_t kLinearKeys = 24;
    std::unordered_map<std::string, size_t> index;
    Parsed p;
    p.cost = kValueCost;
    p.height = 1;
    KK_TRY(charge(kValueCost, open.begin));
    for (;;) {
      KK_ASSIGN(Token t, lex());
      if (t.kind == Tok::DictClose) break;
      if (t.kind != Tok::Key) return malformedAt(t.begin, "expected <key> or </dict>, found " + show(t));
      if (t.id >= 0) {  // buildSymbol/buildString remember a key's ID like any string's
        Parsed keyValue{Value(t.text), kValueCost + t.text.size(), 0};
        KK_TRY(remember(t.id, keyValue, t.begin));
      }
      std::string key = std::move(t.text);
      size_t keyOffset = t.begin;
      path_.pushKey(key);
      KK_ASSIGN(Token vt, lex());
      if (vt.kind == Tok::DictClose || vt.kind == Tok::Key || vt.kind == Tok::EndOfText)
        return malformedAt(vt.begin, "key \"" + key + "\" has no value: expected a value, found " + show(vt));
      KK_ASSIGN(Parsed v, parseValue(std::move(vt), level));
      path_.pop();
      p.cost += v.cost + key.size();
      KK_TRY(charge(key.size(), keyOffset));
      if (v.height + 1 > p.height) p.height = v.height + 1;
      Value* existing = nullptr;
      if (dict.size() < kLinearKeys) {
        existing = dict.find(key);
      } else {
        if (index.empty())
          for (auto e = dict.begin(); e != dict.end(); ++e) index.emplace(e->first, static_cast<size_t>(e - dict.begin()));
        auto [it, inserted] = index.try_emplace(key, dict.size());
        if (!inserted) existing = &(dict.begin() + static_cast<std::ptrdiff_t>(it->second))->second;
      }
      if (existing == nullptr) {
        dict.append(std::move(key), std::move(v.value));
      } else {
        if (opt_.kernelStrict) return malformedAt(keyOffset, "duplicate dictionary key \"" + key + "\"");
        *existing = std::move(v.value);  // last one wins
      }
    }
    p.value = Value(std::move(dict));
    return p;
  }

  Expected<Parsed> parseArray(const Token& open, unsigned level) {
    bool isSet = open.kind == Tok::SetOpen;
    Tok closeKind = isSet ? Tok::SetClose : Tok::ArrayClose;
    Array arr;
    Parsed p;
    p.cost = kValueCost;
    p.height = 1;
    KK_TRY(charge(kValueCost, open.begin));
    for (;;) {
      path_.pushIndex(arr.size());  // so errors while lexing an element name it
      KK_ASSIGN(Token t, lex());
      path_.pop();
      if (t.kind == closeKind) break;
      if (t.kind == Tok::EndOfText || t.kind == Tok::Key || t.kind == Tok::DictClose || t.kind == Tok::ArrayClose ||
          t.kind == Tok::SetClose)
        return malformedAt(t.begin, std::string("expected a value or ") + (isSet ? "</set>" : "</array>") +
                                        ", found " + show(t));
      path_.pushIndex(arr.size());
      KK_ASSIGN(Parsed v, parseValue(std::move(t), level));
      path_.pop();
      p.cost += v.cost;
      if (v.height + 1 > p.height) p.height = v.height + 1;
      arr.push_back(std::move(v.value));
    }
    p.value = Value(std::move(arr));
    return p;
  }

  Cursor c_;
  const IOKitParseOptions& opt_;
  Tag tag_, endTag_;  // the tag lex() reads, and the end tag after content
  std::unordered_map<int32_t, Parsed> ids_;
  detail::KeyPath path_;
  uint64_t materialized_ = 0;
  uint32_t objects_ = 0;
  uint32_t idrefUses_ = 0;
};

}  // namespace

Expected<Value> parseIOKitXml(std::string_view text, const IOKitParseOptions& options) {
  // Apple parses a NUL-terminated C string: nothing after the first NUL exists for it.
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  return Parser(text, options).run();
}

}  // namespace kextkit::plist
