// A byte trie mapping strings to integer values, walked from a position of a text to report
// every key that is a prefix there. Used for the Unigram model's common-prefix search and for
// finding added tokens (leftmost-longest) in one left-to-right pass.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace gt {

class ByteTrie {
 public:
  ByteTrie() { nodes_.emplace_back(); root_.fill(-1); }

  void insert(const std::string& key, int64_t value) {
    int32_t node = 0;
    for (size_t i = 0; i < key.size(); ++i) {
      const auto b = static_cast<unsigned char>(key[i]);
      int32_t next = i == 0 ? root_[b] : child(node, b);
      if (next < 0) {
        next = int32_t(nodes_.size());
        nodes_.emplace_back();
        if (i == 0) root_[b] = next;
        else nodes_[size_t(node)].children.emplace(b, next);
      }
      node = next;
    }
    nodes_[size_t(node)].value = value;
  }

  // Calls onPrefix(length, value) for each key that starts at text[pos], shortest first.
  template <typename F>
  void forEachPrefix(const std::string& text, size_t pos, F&& onPrefix) const {
    if (pos >= text.size()) return;
    int32_t node = root_[static_cast<unsigned char>(text[pos])];
    size_t i = pos + 1;
    while (node >= 0) {
      if (nodes_[size_t(node)].value >= 0) onPrefix(i - pos, nodes_[size_t(node)].value);
      if (i >= text.size()) break;
      node = child(node, static_cast<unsigned char>(text[i++]));
    }
  }

  bool empty() const { return nodes_.size() == 1; }

 private:
  struct Node {
    std::unordered_map<unsigned char, int32_t> children;
    int64_t value = -1;
  };
  int32_t child(int32_t node, unsigned char b) const {
    const auto& c = nodes_[size_t(node)].children;
    auto it = c.find(b);
    return it == c.end() ? -1 : it->second;
  }
  std::array<int32_t, 256> root_;
  std::vector<Node> nodes_;
};

}  // namespace gt
