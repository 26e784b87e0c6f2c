// C interface of gt_sentencepiece, a small plugin that wraps libsentencepiece.
//
// Why a plugin: Debian's libsentencepiece carries its own copy of protobuf-lite 3.14 and exports
// its symbols, while LibTorch loads libprotobuf 3.21. Linked into one process they interpose on
// each other and the process crashes at start-up. The plugin is dlopen'ed with RTLD_LOCAL |
// RTLD_DEEPBIND, so sentencepiece binds to its own protobuf and nothing else sees it.
#pragma once
#include <stddef.h>
#include <stdint.h>

extern "C" {

typedef struct gt_spm gt_spm;

// Returns NULL and sets *error (free with gt_spm_free_buffer) on failure.
gt_spm* gt_spm_load(const char* path, char** error);
void gt_spm_free(gt_spm* spm);
int gt_spm_size(const gt_spm* spm);
// Outputs are malloc'ed; free with gt_spm_free_buffer. Return 0 on success.
int gt_spm_encode(const gt_spm* spm, const char* text, size_t len, int32_t** ids, size_t* count, char** error);
int gt_spm_decode(const gt_spm* spm, const int32_t* ids, size_t count, char** text, size_t* len, char** error);
int gt_spm_id_to_piece(const gt_spm* spm, int32_t id, char** piece, size_t* len);
int32_t gt_spm_piece_to_id(const gt_spm* spm, const char* piece);  // -1 when unknown
void gt_spm_free_buffer(void* p);
}
