// greentrainer tokenize TOKENIZER_PATH (--text STR | --file PATH [--jsonl-field F] | --decode 1,2,3)
//   [--add-special-tokens] [--count] [--json]
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "app/cli/common_options.h"
#include "core/io/tokenizer.h"
#include "core/util/error.h"

namespace gt::cli {
namespace {

std::string dumpJson(const nlohmann::ordered_json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

// Encodes a file line by line (each line, or its JSON field, is one text), printing each line's
// ids unless `countOnly`, then a summary: texts, bytes, tokens, seconds, MB/s, tokens/s.
void encodeFile(const Tokenizer& tok, const std::string& path, const std::string& field, bool special, bool countOnly, bool json) {
  std::ifstream in(path, std::ios::binary);
  check(bool(in), path + ": cannot open for reading");
  std::string line, text;
  size_t lineNo = 0, texts = 0, bytes = 0, tokens = 0;
  double seconds = 0;
  std::string out;
  while (std::getline(in, line)) {
    ++lineNo;
    const std::string where = path + ":" + std::to_string(lineNo);
    if (field.empty()) {
      text = line;
    } else {
      if (line.empty()) continue;
      nlohmann::json row;
      try {
        row = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": not a JSON line (" + e.what() + ")");
      }
      check(row.is_object() && row.contains(field) && row[field].is_string(), where + ": field '" + field + "' (a string) is missing");
      text = row[field].get<std::string>();
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<int64_t> ids;
    try {
      ids = tok.encode(text);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
    if (special) ids = tok.addSpecialTokens(std::move(ids));
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++texts;
    bytes += text.size();
    tokens += ids.size();
    if (countOnly) continue;
    out.clear();
    if (json) {
      out = dumpJson({{"ids", ids}});
    } else {
      for (size_t i = 0; i < ids.size(); ++i) out += (i ? " " : "") + std::to_string(ids[i]);
    }
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  check(!in.bad(), path + ": read error");
  const double mbps = seconds > 0 ? bytes / seconds / 1e6 : 0, tps = seconds > 0 ? tokens / seconds : 0;
  nlohmann::ordered_json summary = {{"texts", texts}, {"bytes", bytes}, {"tokens", tokens}, {"seconds", seconds}, {"mb_per_s", mbps},
                                    {"tokens_per_s", tps}};
  std::fflush(stdout);
  std::ostream& where = countOnly ? std::cout : std::cerr;  // with per-line output the summary goes to stderr
  if (json) where << dumpJson(summary) << "\n";
  else
    where << texts << " texts, " << bytes << " bytes, " << tokens << " tokens in " << seconds << " s: " << mbps << " MB/s, " << tps
          << " tokens/s\n";
}

}  // namespace

Command tokenizeCommand() {
  return {"tokenize", "Encode text or a file to token ids, or decode ids to text", [](CLI::App& cmd) {
            struct Args {
              std::string path, text, file, field, decode;
              bool keepSpecial = false, addSpecial = false, count = false;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("TOKENIZER_PATH", a->path, "tokenizer.json, tokenizer.model, vocab.json or a folder holding one")->required();
            auto* text = cmd.add_option("--text", a->text, "Text to encode (--text \"\" or --text= is the empty text)");
            auto* file = cmd.add_option("--file", a->file, "Encode each line of this file (streamed; one output line per input line)");
            auto* field = cmd.add_option("--jsonl-field", a->field, "With --file: each line is JSON, encode this string field");
            auto* dec = cmd.add_option("--decode", a->decode, "Comma-separated token ids to decode");
            text->excludes(dec)->excludes(file);
            file->excludes(dec);
            field->needs(file);
            cmd.add_flag("--add-special-tokens", a->addSpecial, "Add the special tokens of tokenizer.json's post_processor (BOS, [CLS] ...)");
            cmd.add_flag("--count", a->count, "With --file: print only the summary (texts, tokens, MB/s, tokens/s)");
            cmd.add_flag("--keep-special", a->keepSpecial, "Keep special tokens when decoding");
            addJsonOption(cmd, a->o);
            return std::function<void()>([a, text, dec, file] {
              check(text->count() + dec->count() + file->count() == 1, "tokenize: give exactly one of --text, --file or --decode");
              auto tok = loadTokenizer(a->path);
              if (dec->count()) {
                const auto ids = parseIdList(a->decode, "--decode");
                for (int64_t id : ids)
                  check(id >= 0 && id < tok->vocabSize(), "--decode: token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                                              std::to_string(tok->vocabSize()) + ") of " + a->path);
                const std::string out = tok->decode(ids, !a->keepSpecial);
                if (a->o.json) std::cout << dumpJson({{"ids", ids}, {"text", out}}) << "\n";
                else std::cout << out << "\n";
                return;
              }
              if (file->count()) {
                encodeFile(*tok, a->file, a->field, a->addSpecial, a->count, a->o.json);
                return;
              }
              check(!a->count, "--count needs --file");
              auto ids = tok->encode(a->text);
              if (a->addSpecial) ids = tok->addSpecialTokens(std::move(ids));
              const auto tokens = tok->tokens(ids);
              if (a->o.json) {
                std::cout << dumpJson({{"ids", ids}, {"tokens", tokens}}) << "\n";
                return;
              }
              for (size_t i = 0; i < ids.size(); ++i) std::cout << ids[i] << "\t" << tokens[i] << "\n";
            });
          }};
}

}  // namespace gt::cli
