#include "core/io/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>

#include "core/io/sentencepiece_plugin.h"
#include "core/util/error.h"

namespace gt {
namespace fs = std::filesystem;

struct SentencePieceTokenizer::Plugin {
  decltype(&gt_spm_load) load;
  decltype(&gt_spm_free) free;
  decltype(&gt_spm_size) size;
  decltype(&gt_spm_encode) encode;
  decltype(&gt_spm_decode) decode;
  decltype(&gt_spm_id_to_piece) idToPiece;
  decltype(&gt_spm_piece_to_id) pieceToId;
  decltype(&gt_spm_free_buffer) freeBuffer;
};

namespace {

constexpr const char* kPluginName = "libgt_sentencepiece.so";

// Looks beside the executable, in ../lib/greentrainer (installed), then the build tree.
std::vector<fs::path> pluginCandidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("GT_SENTENCEPIECE_PLUGIN")) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / kPluginName);
    out.push_back(exe.parent_path().parent_path() / "lib" / "greentrainer" / kPluginName);
  }
#ifdef GT_SENTENCEPIECE_PLUGIN_BUILD_PATH
  out.emplace_back(GT_SENTENCEPIECE_PLUGIN_BUILD_PATH);
#endif
  return out;
}

template <typename F>
F symbol(void* lib, const char* name, const std::string& path) {
  void* p = dlsym(lib, name);
  check(p != nullptr, path + ": missing symbol " + name);
  return reinterpret_cast<F>(p);
}

const SentencePieceTokenizer::Plugin* loadPlugin() {
  std::string tried;
  for (const auto& candidate : pluginCandidates()) {
    if (!fs::exists(candidate)) {
      tried += " " + candidate.string();
      continue;
    }
    void* lib = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
    if (!lib) throw Error(candidate.string() + ": cannot load (" + std::string(dlerror()) + ")");
    const std::string p = candidate.string();
    auto* plugin = new SentencePieceTokenizer::Plugin{
        symbol<decltype(&gt_spm_load)>(lib, "gt_spm_load", p),
        symbol<decltype(&gt_spm_free)>(lib, "gt_spm_free", p),
        symbol<decltype(&gt_spm_size)>(lib, "gt_spm_size", p),
        symbol<decltype(&gt_spm_encode)>(lib, "gt_spm_encode", p),
        symbol<decltype(&gt_spm_decode)>(lib, "gt_spm_decode", p),
        symbol<decltype(&gt_spm_id_to_piece)>(lib, "gt_spm_id_to_piece", p),
        symbol<decltype(&gt_spm_piece_to_id)>(lib, "gt_spm_piece_to_id", p),
        symbol<decltype(&gt_spm_free_buffer)>(lib, "gt_spm_free_buffer", p),
    };
    return plugin;
  }
  throw Error("SentencePiece support: " + std::string(kPluginName) + " not found (looked at" + tried + ")");
}

const SentencePieceTokenizer::Plugin& plugin() {
  static const SentencePieceTokenizer::Plugin* instance = loadPlugin();  // loaded once, never unloaded
  return *instance;
}

std::string takeError(const SentencePieceTokenizer::Plugin& p, char* error) {
  std::string s = error ? error : "unknown error";
  if (error) p.freeBuffer(error);
  return s;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const fs::path& modelFile) : plugin_(plugin()) {
  check(fs::is_regular_file(modelFile), modelFile.string() + ": SentencePiece model not found");
  char* error = nullptr;
  handle_ = plugin_.load(modelFile.c_str(), &error);
  if (!handle_) throw Error(modelFile.string() + ": not a SentencePiece model (" + takeError(plugin_, error) + ")");
  size_ = plugin_.size(static_cast<gt_spm*>(handle_));
}

SentencePieceTokenizer::~SentencePieceTokenizer() { plugin_.free(static_cast<gt_spm*>(handle_)); }

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  int32_t* ids = nullptr;
  size_t count = 0;
  char* error = nullptr;
  if (plugin_.encode(static_cast<gt_spm*>(handle_), text.data(), text.size(), &ids, &count, &error) != 0)
    throw Error("sentencepiece encode failed: " + takeError(plugin_, error));
  std::vector<int64_t> out(ids, ids + count);
  plugin_.freeBuffer(ids);
  return out;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids, bool) const {
  std::vector<int32_t> v;
  for (int64_t id : ids) {
    check(id >= 0 && id < size_, "decode: token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(size_) + ")");
    v.push_back(int32_t(id));
  }
  char* text = nullptr;
  size_t len = 0;
  char* error = nullptr;
  // Control pieces (<s>, </s>) decode to nothing, as sentencepiece does.
  if (plugin_.decode(static_cast<gt_spm*>(handle_), v.data(), v.size(), &text, &len, &error) != 0)
    throw Error("sentencepiece decode failed: " + takeError(plugin_, error));
  std::string out(text, len);
  plugin_.freeBuffer(text);
  return out;
}

std::string SentencePieceTokenizer::idToToken(int64_t id) const {
  check(id >= 0 && id < size_, "token id " + std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(size_) + ")");
  char* piece = nullptr;
  size_t len = 0;
  plugin_.idToPiece(static_cast<gt_spm*>(handle_), int32_t(id), &piece, &len);
  std::string out(piece, len);
  plugin_.freeBuffer(piece);
  return out;
}

int64_t SentencePieceTokenizer::tokenToId(const std::string& token) const {
  return plugin_.pieceToId(static_cast<gt_spm*>(handle_), token.c_str());
}

}  // namespace gt
