// The gt_sentencepiece plugin (see sentencepiece_plugin.h). Links libsentencepiece only.
#include "core/io/sentencepiece_plugin.h"

#include <sentencepiece_processor.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct gt_spm {
  sentencepiece::SentencePieceProcessor sp;
};

namespace {
char* copyString(const std::string& s, size_t* len = nullptr) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  if (len) *len = s.size();
  return out;
}
}  // namespace

extern "C" {

__attribute__((visibility("default"))) gt_spm* gt_spm_load(const char* path, char** error) {
  auto* spm = new gt_spm();
  const auto status = spm->sp.Load(path);
  if (!status.ok()) {
    if (error) *error = copyString(status.ToString());
    delete spm;
    return nullptr;
  }
  return spm;
}

__attribute__((visibility("default"))) void gt_spm_free(gt_spm* spm) { delete spm; }

__attribute__((visibility("default"))) int gt_spm_size(const gt_spm* spm) { return spm->sp.GetPieceSize(); }

__attribute__((visibility("default"))) int gt_spm_encode(const gt_spm* spm, const char* text, size_t len, int32_t** ids, size_t* count,
                                                         char** error) {
  std::vector<int> v;
  const auto status = spm->sp.Encode(std::string(text, len), &v);
  if (!status.ok()) {
    if (error) *error = copyString(status.ToString());
    return 1;
  }
  *ids = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * (v.size() + 1)));
  for (size_t i = 0; i < v.size(); ++i) (*ids)[i] = v[i];
  *count = v.size();
  return 0;
}

__attribute__((visibility("default"))) int gt_spm_decode(const gt_spm* spm, const int32_t* ids, size_t count, char** text, size_t* len,
                                                         char** error) {
  std::vector<int> v(ids, ids + count);
  std::string out;
  const auto status = spm->sp.Decode(v, &out);
  if (!status.ok()) {
    if (error) *error = copyString(status.ToString());
    return 1;
  }
  *text = copyString(out, len);
  return 0;
}

__attribute__((visibility("default"))) int gt_spm_id_to_piece(const gt_spm* spm, int32_t id, char** piece, size_t* len) {
  *piece = copyString(spm->sp.IdToPiece(id), len);
  return 0;
}

__attribute__((visibility("default"))) int32_t gt_spm_piece_to_id(const gt_spm* spm, const char* piece) {
  const int id = spm->sp.PieceToId(piece);
  return (id == spm->sp.unk_id() && spm->sp.IdToPiece(id) != piece) ? -1 : id;
}

__attribute__((visibility("default"))) void gt_spm_free_buffer(void* p) { std::free(p); }
}
