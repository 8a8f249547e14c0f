// Kext version grammar, after OSKextVersion.c in XNU and IOKitUser (behaviour, quirks
// included; the structure is our own).
#include "kextkit/kext/KextVersion.h"

#include <array>

namespace kextkit::kext {

namespace {

struct EraRules {
  std::array<int, 3> digits;       // maximum digits of major, minor, revision
  std::array<int64_t, 3> multiplier;
};

constexpr int64_t kStageMult = 1000;
constexpr int kStageLevelDigits = 3;
constexpr int64_t kStageLevelMax = 255;
constexpr int64_t kMajorMax = 9999;

constexpr EraRules rulesFor(VersionEra era) {
  return era == VersionEra::Classic ? EraRules{{4, 2, 2}, {100000000, 1000000, 10000}}
                                    : EraRules{{4, 4, 4}, {1000000000000, 100000000, 10000}};
}

// Apple's parser walks a NUL-terminated string; past the end of the view reads as NUL.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  char peek(size_t k = 0) const { return pos_ + k < s_.size() ? s_[pos_ + k] : '\0'; }
  void advance(size_t n = 1) { pos_ += n; }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

bool isDigit(char c) { return c >= '0' && c <= '9'; }
// The parse ends at these (Apple's __vers_isspace plus NUL).
bool isEnd(char c) { return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isStageLetter(char c) { return c == 'd' || c == 'a' || c == 'b' || c == 'f'; }

// Reads a stage letter that must be followed by a digit; Invalid otherwise.
VersionStage readStage(Cursor& c) {
  char first = c.peek();
  VersionStage stage = VersionStage::Invalid;
  switch (first) {
    case 'd': stage = VersionStage::Development; break;
    case 'a': stage = VersionStage::Alpha; break;
    case 'b': stage = VersionStage::Beta; break;
    case 'f': stage = VersionStage::Candidate; break;
    default: return VersionStage::Invalid;
  }
  if (isDigit(c.peek(1))) {
    c.advance(1);
    return stage;
  }
  if (first == 'f' && c.peek(1) == 'c' && isDigit(c.peek(2))) {
    c.advance(2);
    return stage;
  }
  return VersionStage::Invalid;
}

}  // namespace

OSKextVersion composeVersion(const VersionParts& p, VersionEra era) {
  const EraRules rules = rulesFor(era);
  const int64_t fieldMax[3] = {kMajorMax, era == VersionEra::Classic ? 99 : 9999,
                               era == VersionEra::Classic ? 99 : 9999};
  const int64_t fields[3] = {p.major, p.minor, p.revision};
  for (int k = 0; k < 3; ++k)
    if (fields[k] < 0 || fields[k] > fieldMax[k]) return kVersionInvalid;
  if (p.stageLevel < 0 || p.stageLevel > kStageLevelMax) return kVersionInvalid;
  switch (p.stage) {
    case VersionStage::Development:
    case VersionStage::Alpha:
    case VersionStage::Beta:
    case VersionStage::Candidate:
    case VersionStage::Release: break;
    default: return kVersionInvalid;
  }
  return p.major * rules.multiplier[0] + p.minor * rules.multiplier[1] + p.revision * rules.multiplier[2] +
         static_cast<int64_t>(p.stage) * kStageMult + p.stageLevel;
}

OSKextVersion parseVersionCString(std::string_view text, VersionEra era) {
  const EraRules rules = rulesFor(era);
  Cursor c(text);
  VersionParts parts;
  int64_t* fields[3] = {&parts.major, &parts.minor, &parts.revision};

  if (!isDigit(c.peek())) return kVersionInvalid;  // also rejects the empty string
  bool atStage = false;
  bool done = false;
  // Fields: major, minor, revision. A '.' before a field is full moves to the next field; a
  // full field may be followed by one '.' (skipped) and must not be followed by a digit.
  for (int f = 0; f < 3 && !atStage && !done; ++f) {
    int digits = 0;
    bool jumped = false;
    while (digits < rules.digits[f]) {
      char ch = c.peek();
      if (isEnd(ch)) {
        done = true;
        break;
      }
      if (isDigit(ch)) {
        *fields[f] = *fields[f] * 10 + (ch - '0');
        c.advance();
        ++digits;
      } else if (isStageLetter(ch)) {
        atStage = true;
        break;
      } else if (ch == '.' && f < 2) {  // the revision field takes no '.'
        c.advance();
        jumped = true;
        break;
      } else {
        return kVersionInvalid;
      }
    }
    if (done || atStage || jumped) continue;
    if (c.peek() == '.')
      c.advance();
    else if (isDigit(c.peek()))
      return kVersionInvalid;  // too many digits
  }

  if (!done) {
    // Release stage (or nothing) after the numeric fields.
    if (isEnd(c.peek())) {
      parts.stage = VersionStage::Release;
    } else {
      parts.stage = readStage(c);
      if (parts.stage == VersionStage::Invalid) return kVersionInvalid;
      int digits = 0;
      while (digits < kStageLevelDigits) {
        char ch = c.peek();
        if (isEnd(ch)) break;  // readStage() guaranteed at least one digit
        if (!isDigit(ch)) return kVersionInvalid;
        parts.stageLevel = parts.stageLevel * 10 + (ch - '0');
        c.advance();
        ++digits;
      }
      if (digits == kStageLevelDigits && !isEnd(c.peek())) return kVersionInvalid;
      if (parts.stageLevel > kStageLevelMax) return kVersionInvalid;
    }
  }
  if (parts.stage == VersionStage::Candidate && parts.stageLevel == 0) return kVersionInvalid;
  return parts.major * rules.multiplier[0] + parts.minor * rules.multiplier[1] +
         parts.revision * rules.multiplier[2] + static_cast<int64_t>(parts.stage) * kStageMult + parts.stageLevel;
}

OSKextVersion parseVersion(std::string_view text, VersionEra era) {
  // CFStringGetCString(..., kCFStringEncodingASCII) into a 20-byte buffer.
  if (text.size() >= kVersionMaxLength) return kVersionInvalid;
  for (char ch : text)
    if (static_cast<unsigned char>(ch) > 0x7f) return kVersionInvalid;
  return parseVersionCString(text, era);
}

bool decomposeVersion(OSKextVersion v, VersionEra era, VersionParts& out) {
  if (v <= 0) return false;
  const EraRules rules = rulesFor(era);
  VersionParts p;
  p.major = v / rules.multiplier[0];
  if (p.major > kMajorMax) return false;
  int64_t rest = v - p.major * rules.multiplier[0];
  p.minor = rest / rules.multiplier[1];
  rest -= p.minor * rules.multiplier[1];
  p.revision = rest / rules.multiplier[2];
  rest -= p.revision * rules.multiplier[2];
  int64_t stage = rest / kStageMult;
  p.stageLevel = rest - stage * kStageMult;
  if (p.stageLevel > kStageLevelMax) return false;
  switch (stage) {
    case 1: p.stage = VersionStage::Development; break;
    case 3: p.stage = VersionStage::Alpha; break;
    case 5: p.stage = VersionStage::Beta; break;
    case 7: p.stage = VersionStage::Candidate; break;
    case 9: p.stage = VersionStage::Release; break;
    default: return false;
  }
  out = p;
  return true;
}

std::string versionToString(OSKextVersion v, VersionEra era) {
  if (v < 0) return "(invalid)";
  if (v == 0) return "(missing)";
  VersionParts p;
  if (!decomposeVersion(v, era, p)) return "(invalid)";
  std::string s = std::to_string(p.major) + "." + std::to_string(p.minor);  // minor always shown
  if (p.revision) s += "." + std::to_string(p.revision);
  switch (p.stage) {
    case VersionStage::Development: s += "d"; break;
    case VersionStage::Alpha: s += "a"; break;
    case VersionStage::Beta: s += "b"; break;
    case VersionStage::Candidate: s += "f"; break;
    default: break;
  }
  if (p.stage != VersionStage::Release) s += std::to_string(p.stageLevel);
  return s;
}

bool isCompatibleVersion(OSKextVersion version, OSKextVersion compatibleVersion, OSKextVersion requested) {
  return compatibleVersion > 0 && compatibleVersion <= requested && requested <= version;
}

}  // namespace kextkit::kext
