// Internal: the key path of the value being read or written, for Error::field.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace kextkit::plist::detail {

/// A stack of dictionary keys and array indices rendered as "Key.Sub[2].Leaf". Keys are
/// views: each must outlive its pop().
class KeyPath {
 public:
  void pushKey(std::string_view key) { segs_.push_back(Seg{key, 0, false}); }
  void pushIndex(size_t i) { segs_.push_back(Seg{{}, i, true}); }
  void pop() { segs_.pop_back(); }
  std::string str() const {
    std::string out;
    for (const Seg& s : segs_) {
      if (s.isIndex) {
        out += '[';
        out += std::to_string(s.index);
        out += ']';
      } else {
        if (!out.empty()) out += '.';
        out += s.key;
      }
    }
    return out;
  }

 private:
  struct Seg {
    std::string_view key;
    size_t index;
    bool isIndex;
  };
  std::vector<Seg> segs_;
};

}  // namespace kextkit::plist::detail
