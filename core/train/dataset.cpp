#include "core/train/dataset.h"

#include "core/io/byte_level.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// Spreadsheet exports often start with a UTF-8 byte-order mark: it is not part of the first column's name.
void skipByteOrderMark(std::istream& in) {
  char bom[3];
  if (in.read(bom, 3) && bom[0] == '\xEF' && bom[1] == '\xBB' && bom[2] == '\xBF') return;
  in.clear();
  in.seekg(0);
}

// Checks a record's header or fields: valid UTF-8 (JSON Lines rows get this from the parser), unique column names.
void checkText(const std::vector<std::string>& fields, const std::string& where, bool header) {
  for (size_t i = 0; i < fields.size(); ++i) {
    check(utf8Lossy(fields[i]) == fields[i], where + ": " + (header ? "column name " : "field ") + std::to_string(i + 1) +
                                                 " is not valid UTF-8 (save the file as UTF-8)");
    if (header)
      for (size_t j = 0; j < i; ++j) check(fields[j] != fields[i], where + ": column '" + fields[i] + "' appears twice in the header");
  }
}

// One CSV record (RFC 4180: quoted fields, "" escapes, newlines inside quotes).
bool readCsvRecord(std::istream& in, char sep, std::vector<std::string>& fields, int64_t& line, bool quoting) {
  fields.clear();
  std::string field;
  bool inQuotes = false, any = false;
  char c;
  while (in.get(c)) {
    any = true;
    if (inQuotes) {
      if (c == '"') {
        if (in.peek() == '"') {
          in.get(c);
          field.push_back('"');
        } else {
          inQuotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
    } else if (quoting && c == '"' && field.empty()) {
      inQuotes = true;
    } else if (c == sep) {
      fields.push_back(field);
      field.clear();
    } else if (c == '\n') {
      ++line;
      if (!field.empty() && field.back() == '\r') field.pop_back();
      fields.push_back(field);
      return true;
    } else {
      field.push_back(c);
    }
  }
  if (!any) return false;
  check(!inQuotes, "unterminated quoted field");
  if (!field.empty() && field.back() == '\r') field.pop_back();
  fields.push_back(field);
  return true;
}

std::vector<Example> readDelimited(const DatasetSpec& spec, char sep) {
  const std::string file = spec.path.string();
  std::ifstream in(spec.path, std::ios::binary);
  check(static_cast<bool>(in), file + ": cannot read dataset");
  skipByteOrderMark(in);
  std::vector<std::string> header, fields;
  int64_t line = 1;
  const bool quoting = sep == ',';
  try {
    check(readCsvRecord(in, sep, header, line, quoting), file + ": empty dataset (no header row)");
  } catch (const Error& e) {
    throw Error(file + ": " + e.what());
  }
  checkText(header, file + ":1", true);
  auto column = [&](const std::string& name, bool required) {
    auto it = std::find(header.begin(), header.end(), name);
    check(it != header.end() || !required, file + ": no column '" + name + "' in the header (columns: " + [&] {
      std::string s;
      for (const auto& h : header) s += (s.empty() ? "" : ", ") + h;
      return s;
    }() + ")");
    return it == header.end() ? -1 : int(it - header.begin());
  };
  const int src = column(spec.sourceField, true), tgt = column(spec.targetField, true);
  const int splitCol = spec.split.empty() ? -1 : column(spec.splitField, true);
  std::vector<Example> out;
  while (true) {
    const int64_t rowLine = line;
    bool ok;
    try {
      ok = readCsvRecord(in, sep, fields, line, quoting);
    } catch (const Error& e) {
      throw Error(file + ":" + std::to_string(rowLine) + ": " + e.what());
    }
    if (!ok) break;
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    check(fields.size() == header.size(), file + ":" + std::to_string(rowLine) + ": expected " + std::to_string(header.size()) +
                                              " fields, found " + std::to_string(fields.size()));
    checkText(fields, file + ":" + std::to_string(rowLine), false);
    if (splitCol >= 0 && fields[size_t(splitCol)] != spec.split) continue;
    out.push_back({fields[size_t(src)], fields[size_t(tgt)]});
  }
  return out;
}

using JsonRow = nlohmann::ordered_json;

// Each row of a JSONL dataset, which must be an object, with "file:line".
void forEachDatasetRow(const std::filesystem::path& path, const std::function<void(const JsonRow&, const std::string&)>& row) {
  std::ifstream in(path, std::ios::binary);
  check(static_cast<bool>(in), path.string() + ": cannot read dataset");
  forEachJsonLine(in, path.string(), [&](const JsonLine& line) {
    check(line.value.is_object(), line.where + ": expected a JSON object per line");
    row(line.value, line.where);
  });
}

std::vector<Example> readJsonl(const DatasetSpec& spec) {
  std::vector<Example> out;
  forEachDatasetRow(spec.path, [&](const JsonRow& row, const std::string& where) {
    for (const auto& field : {spec.sourceField, spec.targetField}) {
      check(row.contains(field), where + ": missing field '" + field + "'");
      check(row[field].is_string(), where + ": field '" + field + "' must be a string");
    }
    if (!spec.split.empty()) {
      check(row.contains(spec.splitField), where + ": missing field '" + spec.splitField + "' (needed to select split '" + spec.split + "')");
      if (row[spec.splitField] != spec.split) return;
    }
    out.push_back({row[spec.sourceField].get<std::string>(), row[spec.targetField].get<std::string>()});
  });
  return out;
}

}  // namespace

PromptTemplate PromptTemplate::parse(const std::string& text) {
  const auto s = text.find("{source}"), t = text.find("{target}");
  check(s != std::string::npos && t != std::string::npos && s < t,
        "prompt_template: expected {source} followed by {target}, got '" + text + "'");
  return {text.substr(0, s), text.substr(s + 8, t - s - 8), text.substr(t + 8)};
}

namespace {

std::string datasetFormat(const std::filesystem::path& path, const std::string& requested) {
  check(std::filesystem::is_regular_file(path), path.string() + ": dataset file not found");
  std::string format = lower(requested);
  if (format.empty()) {
    const std::string ext = lower(path.extension().string());
    format = ext == ".csv" ? "csv" : ext == ".tsv" ? "tsv" : (ext == ".jsonl" || ext == ".json") ? "jsonl" : "";
  }
  check(format == "jsonl" || format == "csv" || format == "tsv",
        path.string() + ": unknown dataset format (expected a .jsonl, .csv or .tsv file, or --format)");
  return format;
}

}  // namespace

DatasetLayout inspectDatasetLayout(const std::filesystem::path& path, const std::string& requestedFormat, const std::string& splitField) {
  DatasetLayout layout;
  layout.format = datasetFormat(path, requestedFormat);
  const std::string file = path.string();
  auto addSplit = [&](const std::string& value) {
    if (std::find(layout.splits.begin(), layout.splits.end(), value) == layout.splits.end()) layout.splits.push_back(value);
  };
  if (layout.format == "jsonl") {
    forEachDatasetRow(path, [&](const JsonRow& row, const std::string&) {
      if (layout.rows++ == 0)
        for (const auto& item : row.items()) layout.fields.push_back(item.key());
      if (row.contains(splitField) && row[splitField].is_string()) addSplit(row[splitField].get<std::string>());
    });
  } else {
    std::ifstream in(path, std::ios::binary);
    check(static_cast<bool>(in), file + ": cannot read dataset");
    skipByteOrderMark(in);
    const char sep = layout.format == "csv" ? ',' : '\t';
    std::vector<std::string> fields;
    int64_t line = 1;
    try {
      check(readCsvRecord(in, sep, layout.fields, line, sep == ','), "no header row");
      checkText(layout.fields, file + ":1", true);
      const auto splitCol = std::find(layout.fields.begin(), layout.fields.end(), splitField) - layout.fields.begin();
      while (readCsvRecord(in, sep, fields, line, sep == ',')) {
        if (fields.size() == 1 && fields[0].empty()) continue;
        ++layout.rows;
        if (size_t(splitCol) < fields.size()) addSplit(fields[size_t(splitCol)]);
      }
    } catch (const Error& e) {
      if (std::string(e.what()).rfind(file + ":", 0) == 0) throw;  // already says where
      throw Error(file + ":" + std::to_string(line) + ": " + e.what());
    }
  }
  check(layout.rows > 0, file + ": empty dataset");
  return layout;
}

std::vector<Example> readExamples(const DatasetSpec& spec) {
  const std::string format = datasetFormat(spec.path, spec.format);
  auto rows = format == "jsonl" ? readJsonl(spec) : readDelimited(spec, format == "csv" ? ',' : '\t');
  check(!rows.empty(), spec.path.string() + ": empty dataset" + (spec.split.empty() ? "" : " (no rows in split '" + spec.split + "')"));
  if (spec.maxExamples > 0 && int64_t(rows.size()) > spec.maxExamples) rows.resize(size_t(spec.maxExamples));
  return rows;
}

std::vector<int64_t> promptTokens(const Tokenizer& tokenizer, const PromptTemplate& tmpl, const std::string& source, int64_t budget,
                                  bool* truncated) {
  if (truncated) *truncated = false;
  auto prompt = tokenizer.encode(tmpl.prompt(source));
  if (int64_t(prompt.size()) <= budget) return prompt;
  // Cut the source's tokens (re-encoding can merge differently, so shrink until it fits).
  const auto fixed = int64_t(tokenizer.encode(tmpl.prompt("")).size());
  if (fixed >= budget) return {};
  auto src = tokenizer.encode(source);
  int64_t keep = budget - fixed;
  for (int attempt = 0; attempt < 8 && int64_t(prompt.size()) > budget && keep > 0; ++attempt) {
    src.resize(size_t(std::min<int64_t>(keep, int64_t(src.size()))));
    prompt = tokenizer.encode(tmpl.prompt(tokenizer.decode(src)));
    keep -= std::max<int64_t>(1, int64_t(prompt.size()) - budget);
  }
  if (int64_t(prompt.size()) > budget) return {};
  if (truncated) *truncated = true;
  return prompt;
}

std::vector<TokenizedExample> tokenizeExamples(const std::vector<Example>& examples, const Tokenizer& tokenizer,
                                               const DatasetSpec& spec, int64_t eosId, DatasetStats& stats) {
  const PromptTemplate tmpl = PromptTemplate::parse(spec.promptTemplate);
  check(spec.maxLength >= 2, "max_length must be at least 2, got " + std::to_string(spec.maxLength));
  std::vector<TokenizedExample> out;
  stats = DatasetStats{};
  stats.rows = int64_t(examples.size());
  for (const auto& ex : examples) {
    if (ex.source.empty() || ex.target.empty()) {
      ++stats.skippedEmpty;
      continue;
    }
    TokenizedExample t;
    t.target = tokenizer.encode(ex.target + tmpl.afterTarget);
    if (eosId >= 0) t.target.push_back(eosId);
    bool cut = false;
    t.prompt = promptTokens(tokenizer, tmpl, ex.source, spec.maxLength - int64_t(t.target.size()), &cut);
    if (t.prompt.empty()) {
      ++stats.skippedTooLong;
      continue;
    }
    if (cut) ++stats.truncated;
    out.push_back(std::move(t));
  }
  stats.used = int64_t(out.size());
  check(!out.empty(), "dataset: no usable rows (" + std::to_string(stats.skippedTooLong) + " too long for max_length " +
                          std::to_string(spec.maxLength) + ", " + std::to_string(stats.skippedEmpty) + " with an empty field)");
  return out;
}

int64_t batchLengthMultiple(int64_t configured, const std::string& device, const std::string& precision) {
  if (configured >= 0) return configured;
  const bool sixteenBit = precision != "fp32";
  return device != "cpu" && sixteenBit ? 64 : 0;
}

namespace {

// `longest` rounded up to a multiple of padToMultipleOf (> 0), never past maxLength (> 0).
int64_t paddedLength(size_t longest, int64_t padToMultipleOf, int64_t maxLength) {
  int64_t S = int64_t(longest);
  if (padToMultipleOf > 0) {
    S = (S + padToMultipleOf - 1) / padToMultipleOf * padToMultipleOf;
    if (maxLength > 0) S = std::max(int64_t(longest), std::min(S, maxLength));
  }
  return S;
}

// The examples in a seeded order (the same for the same seed and epoch), batchSize at a time,
// each group made into a batch by `build`.
std::vector<Batch> batchesInOrder(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                                  bool shuffle, int64_t padToMultipleOf,
                                  const std::function<Batch(const std::vector<const TokenizedExample*>&)>& build) {
  check(batchSize >= 1, "batch_size must be at least 1, got " + std::to_string(batchSize));
  check(padToMultipleOf >= 0, "pad_to_multiple_of: expected >= 0, got " + std::to_string(padToMultipleOf));
  std::vector<size_t> order(data.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (shuffle) {
    std::mt19937_64 rng(seed * 1000003ull + uint64_t(epoch));
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[size_t(rng() % i)]);
  }
  std::vector<Batch> batches;
  for (size_t start = 0; start < order.size(); start += size_t(batchSize)) {
    std::vector<const TokenizedExample*> rows;
    for (size_t i = start; i < std::min(order.size(), start + size_t(batchSize)); ++i) rows.push_back(&data[order[i]]);
    batches.push_back(build(rows));
  }
  return batches;
}

}  // namespace

std::vector<Batch> makeBatches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                               int64_t padId, bool shuffle, int64_t padToMultipleOf, int64_t maxLength) {
  return batchesInOrder(data, batchSize, seed, epoch, shuffle, padToMultipleOf, [&](const std::vector<const TokenizedExample*>& rows) {
    size_t seq = 0;
    for (const auto* ex : rows) seq = std::max(seq, ex->prompt.size() + ex->target.size());
    const int64_t B = int64_t(rows.size());
    const int64_t S = paddedLength(seq, padToMultipleOf, maxLength);
    auto ids = torch::full({B, S}, padId, torch::kLong);
    auto mask = torch::zeros({B, S}, torch::kLong);
    auto labels = torch::full({B, S}, int64_t(-100), torch::kLong);
    auto idsA = ids.accessor<int64_t, 2>();
    auto maskA = mask.accessor<int64_t, 2>();
    auto labelsA = labels.accessor<int64_t, 2>();
    for (int64_t row = 0; row < B; ++row) {
      int64_t col = 0;
      for (int64_t id : rows[size_t(row)]->prompt) idsA[row][col] = id, maskA[row][col] = 1, ++col;
      for (int64_t id : rows[size_t(row)]->target) idsA[row][col] = id, maskA[row][col] = 1, labelsA[row][col] = id, ++col;
    }
    return Batch{ids, mask, labels, true};
  });
}

std::vector<Batch> makeSeq2SeqBatches(const std::vector<TokenizedExample>& data, int64_t batchSize, uint64_t seed, int64_t epoch,
                                      int64_t padId, bool shuffle, int64_t padToMultipleOf, int64_t maxLength) {
  return batchesInOrder(data, batchSize, seed, epoch, shuffle, padToMultipleOf, [&](const std::vector<const TokenizedExample*>& rows) {
    size_t encoderLen = 0, decoderLen = 0;
    for (const auto* ex : rows) {
      encoderLen = std::max(encoderLen, ex->prompt.size());
      decoderLen = std::max(decoderLen, ex->target.size());
    }
    const int64_t B = int64_t(rows.size());
    auto ids = torch::full({B, paddedLength(encoderLen, padToMultipleOf, maxLength)}, padId, torch::kLong);
    auto mask = torch::zeros_like(ids);
    auto labels = torch::full({B, paddedLength(decoderLen, padToMultipleOf, maxLength)}, int64_t(-100), torch::kLong);
    for (int64_t row = 0; row < B; ++row) {
      const auto& ex = *rows[size_t(row)];
      const int64_t n = int64_t(ex.prompt.size()), t = int64_t(ex.target.size());
      ids[row].slice(0, 0, n).copy_(torch::tensor(ex.prompt, torch::kLong));
      mask[row].slice(0, 0, n).fill_(1);
      labels[row].slice(0, 0, t).copy_(torch::tensor(ex.target, torch::kLong));
    }
    return Batch{ids, mask, labels, true, true};
  });
}

}  // namespace gt
