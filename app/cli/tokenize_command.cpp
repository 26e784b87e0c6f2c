// greentrainer tokenize TOKENIZER_PATH (--text STR | --decode 1,2,3) [--json]
#include <nlohmann/json.hpp>

#include <iostream>

#include "app/cli/common_options.h"
#include "core/io/tokenizer.h"
#include "core/util/error.h"

namespace gt::cli {

Command tokenizeCommand() {
  return {"tokenize", "Encode text to token ids, or decode ids to text", [](CLI::App& cmd) {
            struct Args {
              std::string path, text, decode;
              bool keepSpecial = false;
              CommonOptions o;
            };
            auto a = std::make_shared<Args>();
            cmd.add_option("TOKENIZER_PATH", a->path, "tokenizer.json, tokenizer.model, vocab.json or a folder holding one")->required();
            auto* text = cmd.add_option("--text", a->text, "Text to encode");
            auto* dec = cmd.add_option("--decode", a->decode, "Comma-separated token ids to decode");
            text->excludes(dec);
            cmd.add_flag("--keep-special", a->keepSpecial, "Keep special tokens when decoding");
            addJsonOption(cmd, a->o);
            return std::function<void()>([a, text, dec] {
              check(text->count() + dec->count() == 1, "tokenize: give exactly one of --text or --decode");
              auto tok = loadTokenizer(a->path);
              if (dec->count()) {
                const auto ids = parseIdList(a->decode, "--decode");
                for (int64_t id : ids)
                  check(id >= 0 && id < tok->vocabSize(), "--decode: token id " + std::to_string(id) + " is outside the vocabulary [0, " +
                                                              std::to_string(tok->vocabSize()) + ") of " + a->path);
                const std::string out = tok->decode(ids, !a->keepSpecial);
                if (a->o.json) std::cout << nlohmann::json({{"ids", ids}, {"text", out}}).dump() << "\n";
                else std::cout << out << "\n";
                return;
              }
              const auto ids = tok->encode(a->text);
              const auto tokens = tok->tokens(ids);
              if (a->o.json) {
                nlohmann::ordered_json out = {{"ids", ids}, {"tokens", tokens}};
                std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
                return;
              }
              for (size_t i = 0; i < ids.size(); ++i) std::cout << ids[i] << "\t" << tokens[i] << "\n";
            });
          }};
}

}  // namespace gt::cli
