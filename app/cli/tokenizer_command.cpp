// greentrainer tokenizer train --input FILES --vocab-size N --out DIR [--min-frequency 2]
//   [--special TOKEN ...]: trains a byte-level BPE tokenizer and writes DIR/tokenizer.json.
// Text files are read line by line; .jsonl files contribute their "source" and "target" fields.
#include <iostream>

#include "app/cli/common_options.h"
#include "core/io/bpe_trainer.h"
#include "core/io/tokenizer.h"
#include "core/io/text_documents.h"

namespace gt::cli {

Command tokenizerCommand() {
  return {"tokenizer", "Tokenizer tools (train: byte-level BPE to tokenizer.json)", [](CLI::App& cmd) {
            struct Args {
              std::vector<std::string> inputs;
              std::string out;
              BpeTrainerOptions options;
              std::vector<std::string> specials;
            };
            auto a = std::make_shared<Args>();
            cmd.require_subcommand(1);
            CLI::App* train = cmd.add_subcommand("train", "Train a byte-level BPE tokenizer");
            train->add_option("--input", a->inputs, "Text files (one text per line) or .jsonl files (source/target fields)")->required();
            train->add_option("--vocab-size", a->options.vocabSize, "Vocabulary size including special tokens")->capture_default_str();
            train->add_option("--min-frequency", a->options.minFrequency, "Minimum pair count to merge")->capture_default_str();
            train->add_option("--special", a->specials, "Special tokens (default <|endoftext|>)");
            train->add_option("--out", a->out, "Output folder for tokenizer.json")->required();
            return std::function<void()>([a] {
              if (!a->specials.empty()) a->options.specialTokens = a->specials;
              BpeTrainer trainer(a->options);
              for (const auto& path : a->inputs)
                for (const auto& text : readDocuments(path)) trainer.addText(text);
              const auto r = trainer.train(a->out);
              std::cout << "trained " << r.vocabSize << " tokens (" << r.merges << " merges) on " << r.totalWords << " words, "
                        << r.words << " distinct\nwritten: " << (std::filesystem::path(a->out) / "tokenizer.json").string() << "\n";
            });
          }};
}

}  // namespace gt::cli
