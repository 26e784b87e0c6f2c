#include "core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace gt {
namespace {

// A header longer than this is certainly not a real checkpoint (the reference implementation caps it at 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t bytes;
};

const std::vector<DtypeInfo>& dtypes() {
  static const std::vector<DtypeInfo> table = {
      {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2}, {"BF16", torch::kBFloat16, 2},
      {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},   {"U8", torch::kUInt8, 1},
      {"BOOL", torch::kBool, 1},   {"F64", torch::kFloat64, 8}, {"I16", torch::kInt16, 2},
      {"I8", torch::kInt8, 1},
  };
  return table;
}

const DtypeInfo* findDtype(const std::string& name) {
  for (const auto& d : dtypes())
    if (name == d.name) return &d;
  return nullptr;
}

}  // namespace

torch::ScalarType safetensorsDtype(const std::string& name) {
  const DtypeInfo* d = findDtype(name);
  check(d != nullptr, "unknown safetensors dtype '" + name + "' (expected F32, F16, BF16, I64, I32, U8 or BOOL)");
  return d->type;
}

std::string safetensorsDtypeName(torch::ScalarType type) {
  for (const auto& d : dtypes())
    if (d.type == type) return d.name;
  throw Error(std::string("dtype ") + c10::toString(type) + " cannot be stored in safetensors");
}

struct SafetensorsFile::Mapping {
  void* data = nullptr;
  size_t size = 0;
  ~Mapping() {
    if (data && data != MAP_FAILED) munmap(data, size);
  }
};

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : path_(path), mapping_(std::make_shared<Mapping>()) {
  const std::string file = path.string();
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  check(fd >= 0, file + ": cannot open (" + std::strerror(errno) + ")");
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(file + ": not a regular file");
  }
  const uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  if (fileSize < 8) {
    ::close(fd);
    throw Error(file + ": truncated: " + std::to_string(fileSize) + " bytes, expected at least 8 for the header length");
  }
  // Private, copy-on-write mapping: a stray in-place op cannot corrupt the file.
  mapping_->size = fileSize;
  mapping_->data = mmap(nullptr, fileSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  ::close(fd);
  check(mapping_->data != MAP_FAILED, file + ": mmap failed (" + std::strerror(errno) + ")");
  const auto* bytes = static_cast<const uint8_t*>(mapping_->data);

  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | bytes[i];
  check(headerLen <= kMaxHeaderBytes, file + ": header length " + std::to_string(headerLen) + " exceeds the 100 MB limit");
  check(8 + headerLen <= fileSize, file + ": header length " + std::to_string(headerLen) + " runs past the end of the file (" +
                                       std::to_string(fileSize) + " bytes)");
  dataStart_ = 8 + headerLen;
  const uint64_t dataSize = fileSize - dataStart_;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8), reinterpret_cast<const char*>(bytes + 8 + headerLen));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(file + ": malformed header JSON: " + e.what());
  }
  check(header.is_object(), file + ": header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      check(v.is_object(), file + ": __metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        check(m.value().is_string(), file + ": __metadata__['" + m.key() + "'] must be a string");
        metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = file + ": tensor '" + name + "'";
    check(v.is_object() && v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"),
          where + ": expected an object with dtype, shape and data_offsets");
    check(v["dtype"].is_string(), where + ": dtype must be a string");
    SafetensorsEntry e;
    e.name = name;
    e.dtype = v["dtype"].get<std::string>();
    const DtypeInfo* d = findDtype(e.dtype);
    check(d != nullptr, where + ": unknown dtype '" + e.dtype + "' (expected F32, F16, BF16, I64, I32, U8 or BOOL)");
    check(v["shape"].is_array(), where + ": shape must be an array");
    uint64_t elements = 1;
    for (const auto& s : v["shape"]) {
      check(s.is_number_integer() && s.get<int64_t>() >= 0, where + ": shape entries must be non-negative integers");
      e.shape.push_back(s.get<int64_t>());
      const uint64_t dim = static_cast<uint64_t>(e.shape.back());
      check(dim == 0 || elements <= UINT64_MAX / dim, where + ": shape product overflows");
      elements *= dim;
    }
    const auto& off = v["data_offsets"];
    check(off.is_array() && off.size() == 2 && off[0].is_number_unsigned() && off[1].is_number_unsigned(),
          where + ": data_offsets must be two non-negative integers");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    check(e.begin <= e.end, where + ": data_offsets begin " + std::to_string(e.begin) + " > end " + std::to_string(e.end));
    check(e.end <= dataSize, where + ": data_offsets end " + std::to_string(e.end) + " runs past the end of the file (data section is " +
                                 std::to_string(dataSize) + " bytes)");
    const uint64_t expected = elements * static_cast<uint64_t>(d->bytes);
    check(e.end - e.begin == expected, where + ": byte length " + std::to_string(e.end - e.begin) + " does not match shape " +
                                           v["shape"].dump() + " of " + e.dtype + " (" + std::to_string(expected) + " bytes)");
    entries_.emplace(name, std::move(e));
  }

  // No two tensors may share bytes.
  std::vector<const SafetensorsEntry*> ordered;
  for (const auto& [_, e] : entries_) ordered.push_back(&e);
  std::sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
  for (size_t i = 1; i < ordered.size(); ++i) {
    check(ordered[i]->begin >= ordered[i - 1]->end || ordered[i - 1]->begin == ordered[i - 1]->end,
          file + ": tensor '" + ordered[i]->name + "' overlaps tensor '" + ordered[i - 1]->name + "' (bytes " +
              std::to_string(ordered[i]->begin) + " < " + std::to_string(ordered[i - 1]->end) + ")");
  }
}

SafetensorsFile::~SafetensorsFile() = default;

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<const SafetensorsEntry*> ordered;
  for (const auto& [_, e] : entries_) ordered.push_back(&e);
  std::stable_sort(ordered.begin(), ordered.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
  std::vector<std::string> out;
  for (auto* e : ordered) out.push_back(e->name);
  return out;
}

const SafetensorsEntry& SafetensorsFile::entry(const std::string& name) const {
  auto it = entries_.find(name);
  check(it != entries_.end(), path_.string() + ": no tensor named '" + name + "'");
  return it->second;
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const SafetensorsEntry& e = entry(name);
  auto* base = static_cast<uint8_t*>(mapping_->data) + dataStart_ + e.begin;
  auto keepAlive = mapping_;
  auto options = torch::TensorOptions().dtype(safetensorsDtype(e.dtype)).device(torch::kCPU);
  if (e.end == e.begin) return torch::empty(e.shape, options);
  return torch::from_blob(base, e.shape, [keepAlive](void*) {}, options);
}

void writeSafetensors(const std::filesystem::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, torch::Tensor>> sorted;
  for (const auto& [name, t] : tensors) {
    check(name != "__metadata__", path.string() + ": '__metadata__' is not a valid tensor name");
    sorted.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 1; i < sorted.size(); ++i)
    check(sorted[i].first != sorted[i - 1].first, path.string() + ": duplicate tensor name '" + sorted[i].first + "'");

  nlohmann::ordered_json header;
  if (!metadata.empty()) {
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const auto& [name, t] : sorted) {
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", safetensorsDtypeName(t.scalar_type())}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  while ((8 + text.size()) % 8 != 0) text.push_back(' ');  // align the data section

  writeFileAtomically(path, [&](std::ostream& out) {
    uint64_t n = text.size();
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    out.write(len, 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [_, t] : sorted)
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  });
}

}  // namespace gt
