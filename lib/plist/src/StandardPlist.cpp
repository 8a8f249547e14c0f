// Standard plist reading through libplist 2.2, behind shape checks that keep libplist away
// from input it mishandles (see StandardParseOptions).
#include "kextkit/plist/StandardPlist.h"

#include <plist/plist.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kextkit/io/ByteReader.h"
#include "kextkit/plist/BinaryPlistFormat.h"
#include "kextkit/support/CheckedMath.h"
#include "kextkit/support/Format.h"

namespace kextkit::plist {

namespace {

using io::ByteReader;
using io::Bytes;

// ---- binary: container graph check ---------------------------------------------------

// Reads an unsigned big-endian integer of 1, 2, 4 or 8 bytes.
Expected<uint64_t> readSized(ByteReader& r, unsigned size, std::string_view field) {
  switch (size) {
    case 1: {
      KK_ASSIGN(uint8_t v, r.u8(field));
      return uint64_t{v};
    }
    case 2: {
      KK_ASSIGN(uint16_t v, r.u16be(field));
      return uint64_t{v};
    }
    case 4: {
      KK_ASSIGN(uint32_t v, r.u32be(field));
      return uint64_t{v};
    }
    default:
      return r.u64be(field);
  }
}

struct BinaryShape {
  Bytes data;
  unsigned offsetIntSize = 0, refSize = 0;
  uint64_t numObjects = 0, top = 0, tableOffset = 0;
};

struct ContainerInfo {
  bool isContainer = false;
  uint64_t refsAt = 0;    // file offset of the first object reference
  uint64_t refCount = 0;  // references (dicts: keys and values)
  uint64_t keyCount = 0;  // dicts: the first keyCount references are the keys
};

// Validates the trailer and the offset table, then walks every container reachable from the
// top object (each object once: shared references are memoized) and computes the nesting
// depth and the number of values libplist would build. Cycles, out-of-range references and
// container headers that do not fit are errors.
class BinaryChecker {
 public:
  BinaryChecker(Bytes data, const StandardParseOptions& o) : r_(data, 0, Endian::Big), opt_(o) {}

  Status run() {
    Bytes d = r_.data();
    if (d.size() < sizeof kBinaryPlistMagic + kCFBinaryPlistTrailerSize)
      return truncated("binary plist of " + std::to_string(d.size()) + " bytes is shorter than its magic and " +
                           std::to_string(kCFBinaryPlistTrailerSize) + "-byte trailer",
                       "CFBinaryPlistTrailer", 0);
    const uint64_t trailerAt = d.size() - kCFBinaryPlistTrailerSize;
    KK_ASSIGN(ByteReader t, r_.sub(trailerAt, kCFBinaryPlistTrailerSize, "CFBinaryPlistTrailer"));
    KK_TRY(t.skip(kTrailerOffsetIntSizeAt));
    KK_ASSIGN(uint8_t offsetIntSize, t.u8("CFBinaryPlistTrailer._offsetIntSize"));
    KK_ASSIGN(uint8_t refSize, t.u8("CFBinaryPlistTrailer._objectRefSize"));
    KK_ASSIGN(numObjects_, t.u64be("CFBinaryPlistTrailer._numObjects"));
    KK_ASSIGN(uint64_t top, t.u64be("CFBinaryPlistTrailer._topObject"));
    KK_ASSIGN(tableOffset_, t.u64be("CFBinaryPlistTrailer._offsetTableOffset"));
    auto validSize = [](unsigned s) { return s == 1 || s == 2 || s == 4 || s == 8; };
    if (!validSize(offsetIntSize))
      return malformed("expected 1, 2, 4 or 8, found " + std::to_string(offsetIntSize),
                       "CFBinaryPlistTrailer._offsetIntSize", trailerAt + kTrailerOffsetIntSizeAt);
    if (!validSize(refSize))
      return malformed("expected 1, 2, 4 or 8, found " + std::to_string(refSize),
                       "CFBinaryPlistTrailer._objectRefSize", trailerAt + kTrailerObjectRefSizeAt);
    offsetIntSize_ = offsetIntSize;
    refSize_ = refSize;
    if (numObjects_ == 0)
      return malformed("a binary plist needs at least one object, found 0", "CFBinaryPlistTrailer._numObjects",
                       trailerAt + kTrailerNumObjectsAt);
    if (top >= numObjects_)
      return malformed("top object " + std::to_string(top) + " is not below the object count " +
                           std::to_string(numObjects_),
                       "CFBinaryPlistTrailer._topObject", trailerAt + kTrailerTopObjectAt);
    auto tableLen = checkedMul(numObjects_, offsetIntSize_);
    if (tableOffset_ < sizeof kBinaryPlistMagic || !tableLen || !rangeFits(tableOffset_, *tableLen, trailerAt))
      return malformed("offset table of " + std::to_string(numObjects_) + " entries of " +
                           std::to_string(offsetIntSize_) + " bytes at " + std::to_string(tableOffset_) +
                           " does not fit between the header and the trailer",
                       "CFBinaryPlistTrailer._offsetTableOffset", trailerAt + kTrailerOffsetTableOffsetAt);
    // numObjects <= file size here (each entry takes at least one byte), so these are bounded.
    state_.assign(static_cast<size_t>(numObjects_), 0);
    height_.assign(static_cast<size_t>(numObjects_), 0);
    values_.assign(static_cast<size_t>(numObjects_), 0);
    keyChecked_.assign(static_cast<size_t>(numObjects_), 0);
    return walk(top);
  }

 private:
  Expected<uint64_t> objectOffset(uint64_t index) {
    uint64_t at = tableOffset_ + index * offsetIntSize_;  // fits: checked in run()
    KK_TRY(r_.seek(at, "offset table"));
    KK_ASSIGN(uint64_t off, readSized(r_, offsetIntSize_, "offset table entry"));
    if (off < sizeof kBinaryPlistMagic || off >= tableOffset_)
      return malformed("object " + std::to_string(index) + " offset " + std::to_string(off) +
                           " is outside the object area [8, " + std::to_string(tableOffset_) + ")",
                       "offset table entry", at);
    return off;
  }

  Expected<ContainerInfo> info(uint64_t index) {
    KK_ASSIGN(uint64_t off, objectOffset(index));
    KK_TRY(r_.seek(off, "object"));
    KK_ASSIGN(uint8_t marker, r_.u8("object marker"));
    ContainerInfo ci;
    uint8_t kind = marker & 0xF0;
    if (kind != kCFBinaryPlistMarkerArray && kind != kCFBinaryPlistMarkerSet && kind != kCFBinaryPlistMarkerDict)
      return ci;
    ci.isContainer = true;
    KK_ASSIGN(uint64_t count, readCount(marker, "container"));
    auto refs = checkedMul(count, kind == kCFBinaryPlistMarkerDict ? 2 : 1);
    auto bytes = refs ? checkedMul(*refs, refSize_) : std::nullopt;
    if (!bytes || !rangeFits(r_.position(), *bytes, tableOffset_))
      return malformed("container of " + std::to_string(count) + " entries at offset " + std::to_string(off) +
                           " does not fit before the offset table",
                       "object", off);
    ci.refsAt = r_.position();
    ci.refCount = *refs;
    if (kind == kCFBinaryPlistMarkerDict) ci.keyCount = count;
    return ci;
  }

  // The element count of the object whose marker was just read: its low nibble, or when that
  // is 0xf the integer object that follows (`what`: "container", "string").
  Expected<uint64_t> readCount(uint8_t marker, const std::string& what) {
    uint64_t count = marker & 0x0F;
    if (count != 0x0F) return count;
    const size_t at = r_.position();
    KK_ASSIGN(uint8_t intMarker, r_.u8(what + " count marker"));
    if ((intMarker & 0xF0) != kCFBinaryPlistMarkerInt || (intMarker & 0x0F) > 3)
      return malformed("expected an integer marker 0x10-0x13 for the " + what + " count, found " + hex(intMarker),
                       what + " count marker", at);
    return readSized(r_, 1u << (intMarker & 0x0F), what + " count");
  }

  // Dictionary keys must be strings without NUL characters. libplist 2.2 checks neither, and
  // then aborts on an assertion while the dictionary is read (both found by fuzzing). Each key
  // object is scanned once, however many dictionaries share it: a long key referenced by every
  // entry of a large dictionary would otherwise cost its length per reference.
  Status checkKey(uint64_t index) {
    if (index >= numObjects_) return {};  // visit() reports it
    if (keyChecked_[static_cast<size_t>(index)]) return {};
    keyChecked_[static_cast<size_t>(index)] = 1;
    KK_ASSIGN(uint64_t off, objectOffset(index));
    KK_TRY(r_.seek(off, "object"));
    KK_ASSIGN(uint8_t marker, r_.u8("object marker"));
    const uint8_t kind = marker & 0xF0;
    if (kind != kCFBinaryPlistMarkerASCIIString && kind != kCFBinaryPlistMarkerUnicode16String)
      return malformed("dictionary key (object " + std::to_string(index) + ") is not a string: marker " + hex(marker),
                       "object marker", off);
    KK_ASSIGN(uint64_t count, readCount(marker, "string"));
    const uint64_t unit = kind == kCFBinaryPlistMarkerASCIIString ? 1 : 2;
    auto bytes = checkedMul(count, unit);
    if (!bytes || !rangeFits(r_.position(), *bytes, tableOffset_))
      return malformed("dictionary key of " + std::to_string(count) + " characters does not fit before the offset table",
                       "object", off);
    KK_ASSIGN(Bytes chars, r_.bytes(static_cast<size_t>(*bytes), "dictionary key"));
    for (size_t i = 0; i < chars.size(); i += unit) {
      if (chars[i] == 0 && (unit == 1 || chars[i + 1] == 0))
        return malformed("dictionary key (object " + std::to_string(index) + ") holds a NUL character", "object", off);
    }
    return {};
  }

  struct Frame {
    uint64_t index;
    ContainerInfo ci;
    uint64_t next = 0;
    uint32_t height = 1;
    uint64_t values = 1;
  };

  // Visits `index` if new: leaves are done at once, containers get a frame.
  Status visit(uint64_t index, std::vector<Frame>& stack) {
    if (index >= numObjects_)
      return malformed("object reference " + std::to_string(index) + " is not below the object count " +
                           std::to_string(numObjects_),
                       "object reference");
    uint8_t& st = state_[static_cast<size_t>(index)];
    if (st == 1) return malformed("object " + std::to_string(index) + " contains itself (reference cycle)", "object");
    if (st == 2) return {};
    KK_ASSIGN(ContainerInfo ci, info(index));
    if (!ci.isContainer) {
      st = 2;
      height_[static_cast<size_t>(index)] = 0;
      values_[static_cast<size_t>(index)] = 1;
      return {};
    }
    if (stack.size() + 1 > opt_.maxDepth)
      return Error(ErrorCode::LimitExceeded,
                   "containers nested deeper than " + std::to_string(opt_.maxDepth) + " levels", "object");
    st = 1;
    stack.push_back(Frame{index, ci});
    return {};
  }

  Status walk(uint64_t top) {
    std::vector<Frame> stack;
    KK_TRY(visit(top, stack));
    while (!stack.empty()) {
      Frame& f = stack.back();
      if (f.next < f.ci.refCount) {
        KK_TRY(r_.seek(f.ci.refsAt + f.next * refSize_, "object reference"));
        KK_ASSIGN(uint64_t child, readSized(r_, refSize_, "object reference"));
        if (f.next < f.ci.keyCount) KK_TRY(checkKey(child));
        ++f.next;
        size_t before = stack.size();
        KK_TRY(visit(child, stack));
        if (stack.size() == before) accumulate(stack.back(), child);  // leaf or already done
        continue;
      }
      uint64_t done = f.index;
      state_[static_cast<size_t>(done)] = 2;
      height_[static_cast<size_t>(done)] = f.height;
      values_[static_cast<size_t>(done)] = f.values;
      stack.pop_back();
      if (!stack.empty()) accumulate(stack.back(), done);
    }
    if (values_[static_cast<size_t>(top)] > opt_.maxValues)
      return Error(ErrorCode::LimitExceeded,
                   "shared references expand to more than " + std::to_string(opt_.maxValues) + " values", "object");
    return {};
  }

  void accumulate(Frame& parent, uint64_t child) {
    uint32_t h = height_[static_cast<size_t>(child)] + 1;
    if (h > parent.height) parent.height = h;
    uint64_t v = parent.values + values_[static_cast<size_t>(child)];
    parent.values = v > opt_.maxValues ? opt_.maxValues + 1 : v;  // saturate
  }

  ByteReader r_;
  const StandardParseOptions& opt_;
  unsigned offsetIntSize_ = 0, refSize_ = 0;
  uint64_t numObjects_ = 0, tableOffset_ = 0;
  std::vector<uint8_t> state_;  // 0 unvisited, 1 on the stack, 2 done
  std::vector<uint32_t> height_;
  std::vector<uint64_t> values_;
  std::vector<uint8_t> keyChecked_;  // 1: already accepted as a dictionary key
};

// ---- XML: nesting check --------------------------------------------------------------

// Upper bound of the dict/array nesting libplist will build from XML. Element names are
// matched on a stack and an end tag pops only its own name, skipping comments, CDATA,
// <?...?>, <!...> and quoted attribute values as libplist 2.2 does, so the count never falls
// below libplist's. Unterminated constructs end the scan (libplist rejects them).
Status checkXmlNesting(std::string_view t, unsigned maxDepth) {
  std::vector<std::string_view> names;
  unsigned containers = 0;
  size_t i = 0;
  auto skipTo = [&](std::string_view close, size_t from) -> bool {
    size_t j = t.find(close, from);
    if (j == std::string_view::npos) return false;
    i = j + close.size();
    return true;
  };
  auto nameAt = [&](size_t from) {
    size_t j = from;
    while (j < t.size() && t[j] != '>' && t[j] != '/' && t[j] != ' ' && t[j] != '\t' && t[j] != '\n' && t[j] != '\r')
      ++j;
    return t.substr(from, j - from);
  };
  while ((i = t.find('<', i)) != std::string_view::npos) {
    std::string_view rest = t.substr(i);
    if (rest.starts_with("<!--")) {
      if (!skipTo("-->", i + 4)) return {};
    } else if (rest.starts_with("<![CDATA[")) {
      if (!skipTo("]]>", i + 9)) return {};
    } else if (rest.starts_with("<?")) {
      if (!skipTo("?>", i + 2)) return {};
    } else if (rest.starts_with("<!")) {
      if (!skipTo(">", i + 2)) return {};
    } else if (rest.starts_with("</")) {
      std::string_view name = nameAt(i + 2);
      if (!names.empty() && names.back() == name) {
        if (name == "dict" || name == "array") --containers;
        names.pop_back();
      }
      i += 2;
    } else {
      std::string_view name = nameAt(i + 1);
      size_t j = i + 1;
      char quote = 0;
      for (; j < t.size(); ++j) {
        char c = t[j];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '>') {
          break;
        }
      }
      if (j >= t.size()) return {};
      bool empty = t[j - 1] == '/';
      if (!empty) {
        names.push_back(name);
        if (name == "dict" || name == "array") {
          if (++containers > maxDepth)
            return Error(ErrorCode::LimitExceeded,
                         "containers nested deeper than " + std::to_string(maxDepth) + " levels", "",
                         static_cast<uint64_t>(i));
        }
      }
      i = j + 1;
    }
  }
  return {};
}

// ---- conversion ----------------------------------------------------------------------

struct PlistDeleter {
  void operator()(void* p) const {
    if (p) plist_free(static_cast<plist_t>(p));
  }
};
using PlistPtr = std::unique_ptr<void, PlistDeleter>;

struct Freer {
  void operator()(void* p) const { std::free(p); }
};

// Recursion is bounded by the nesting checks above; `depth` re-checks it.
Expected<Value> convert(plist_t node, unsigned depth, unsigned maxDepth) {
  switch (plist_get_node_type(node)) {
    case PLIST_BOOLEAN: {
      uint8_t b = 0;
      plist_get_bool_val(node, &b);
      return Value(b != 0);
    }
    case PLIST_UINT: {
      uint64_t v = 0;
      plist_get_uint_val(node, &v);
      return Value::integer(v, 64);
    }
    case PLIST_REAL: {
      double d = 0;
      plist_get_real_val(node, &d);
      return Value(Value::Real{d});
    }
    case PLIST_DATE: {
      int32_t sec = 0, usec = 0;
      plist_get_date_val(node, &sec, &usec);
      return Value(Value::Date{static_cast<double>(sec) + static_cast<double>(usec) / 1e6});
    }
    case PLIST_STRING: {
      // Not plist_get_string_val: libplist 2.2 asserts (aborts) in it when the string holds a
      // NUL byte, which both its XML and binary readers let through (found by fuzzing).
      uint64_t len = 0;
      const char* s = plist_get_string_ptr(node, &len);
      return Value(s ? std::string(s, static_cast<size_t>(len)) : std::string());
    }
    case PLIST_KEY: {
      char* s = nullptr;
      plist_get_key_val(node, &s);
      std::unique_ptr<char, Freer> hold(s);
      return Value(std::string(s ? s : ""));
    }
    case PLIST_DATA: {
      char* p = nullptr;
      uint64_t len = 0;
      plist_get_data_val(node, &p, &len);
      std::unique_ptr<char, Freer> hold(p);
      const auto* b = reinterpret_cast<const uint8_t*>(p);
      return Value(Data(b, b + (p ? len : 0)));
    }
    case PLIST_ARRAY: {
      if (depth + 1 > maxDepth)
        return Error(ErrorCode::LimitExceeded, "containers nested deeper than " + std::to_string(maxDepth) + " levels");
      Array a;
      uint32_t n = plist_array_get_size(node);
      a.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        KK_ASSIGN(Value v, convert(plist_array_get_item(node, i), depth + 1, maxDepth));
        a.push_back(std::move(v));
      }
      return Value(std::move(a));
    }
    case PLIST_DICT: {
      if (depth + 1 > maxDepth)
        return Error(ErrorCode::LimitExceeded, "containers nested deeper than " + std::to_string(maxDepth) + " levels");
      Dict d;
      plist_dict_iter it = nullptr;
      plist_dict_new_iter(node, &it);
      std::unique_ptr<void, Freer> holdIter(it);
      for (;;) {
        char* key = nullptr;
        plist_t child = nullptr;
        plist_dict_next_item(node, it, &key, &child);
        std::unique_ptr<char, Freer> holdKey(key);
        if (!child) break;
        KK_ASSIGN(Value v, convert(child, depth + 1, maxDepth));
        d.set(std::string(key ? key : ""), std::move(v));  // libplist keeps keys unique
      }
      return Value(std::move(d));
    }
    case PLIST_UID:
      return unsupported("keyed-archiver UID values are not supported");
    default:
      return malformed("libplist returned a value of unknown type");
  }
}

}  // namespace

Expected<Value> parseStandardPlist(std::span<const uint8_t> bytes, const StandardParseOptions& options) {
  uint64_t cap = options.maxInputSize < UINT32_MAX ? options.maxInputSize : UINT32_MAX;
  if (bytes.size() > cap)
    return Error(ErrorCode::LimitExceeded,
                 "plist of " + std::to_string(bytes.size()) + " bytes is larger than the limit of " +
                     std::to_string(cap) + " bytes");
  bool binary = bytes.size() >= sizeof kBinaryPlistMagic &&
                std::memcmp(bytes.data(), kBinaryPlistMagic, sizeof kBinaryPlistMagic) == 0;
  plist_t raw = nullptr;
  if (binary) {
    KK_TRY(BinaryChecker(bytes, options).run());
    plist_from_bin(reinterpret_cast<const char*>(bytes.data()), static_cast<uint32_t>(bytes.size()), &raw);
    if (!raw) return malformed("libplist rejected the binary property list (it gives no reason)");
  } else {
    std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    KK_TRY(checkXmlNesting(text, options.maxDepth));
    std::string copy(text);  // NUL-terminated, in case libplist looks one byte past the end
    plist_from_xml(copy.c_str(), static_cast<uint32_t>(copy.size()), &raw);
    if (!raw) return malformed("libplist rejected the XML property list (it gives no reason)");
  }
  PlistPtr hold(raw);
  return convert(raw, 0, options.maxDepth);
}

}  // namespace kextkit::plist
