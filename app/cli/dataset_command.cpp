// greentrainer dataset debian --translations FILE... --packages FILE... --out OUT.jsonl
//   [--subset SUBSET.jsonl --subset-train N] [--min-words 20]
// Builds the demo task (package description -> synopsis) from APT index files; see
// packaging/build-debian-dataset.sh for fetching them.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "app/cli/common_options.h"
#include "core/data/debian_descriptions.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace gt::cli {
namespace {

std::string jsonl(const std::vector<const DebianPair*>& rows) {
  std::string out;
  for (const auto* p : rows)
    out += nlohmann::ordered_json({{"source", p->source}, {"target", p->target}, {"package", p->package}, {"split", p->split}})
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           "\n";
  return out;
}

std::string percentiles(std::vector<int64_t> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, size_t(q * double(v.size())))]; };
  std::ostringstream s;
  s << "p50 " << at(0.5) << ", p90 " << at(0.9) << ", p99 " << at(0.99) << ", max " << v.back();
  return s.str();
}

}  // namespace

Command datasetCommand() {
  return {"dataset", "Build datasets (debian: package descriptions -> synopses from APT indexes)", [](CLI::App& cmd) {
            struct Args {
              std::vector<std::string> translations, packages;
              std::string out, subset;
              int64_t subsetTrain = 4000, minWords = 20;
            };
            auto a = std::make_shared<Args>();
            cmd.require_subcommand(1);
            CLI::App* deb = cmd.add_subcommand("debian", "Debian package descriptions -> synopses");
            deb->add_option("--translations", a->translations, "Translation-en index files (plain text)")->required();
            deb->add_option("--packages", a->packages, "Packages index files (plain text)")->required();
            deb->add_option("--out", a->out, "Output JSONL {source, target, package, split}")->required();
            deb->add_option("--subset", a->subset, "Also write a small subset: --subset-train train rows plus all valid/test rows");
            deb->add_option("--subset-train", a->subsetTrain, "Train rows in the subset")->capture_default_str();
            deb->add_option("--min-words", a->minWords, "Drop long descriptions with fewer words")->capture_default_str();
            return std::function<void()>([a] {
              std::vector<std::string> tr, pk;
              for (const auto& f : a->translations) tr.push_back(readTextFile(f));
              for (const auto& f : a->packages) pk.push_back(readTextFile(f));
              DebianDatasetStats st;
              const auto pairs = buildDebianDataset(tr, pk, st, a->minWords);
              check(!pairs.empty(), "dataset debian: no pairs left after cleaning (are these Translation-en files?)");
              std::vector<const DebianPair*> all;
              std::vector<int64_t> srcWords, tgtWords;
              for (const auto& p : pairs) all.push_back(&p), srcWords.push_back(countWords(p.source)), tgtWords.push_back(countWords(p.target));
              writeTextAtomically(a->out, jsonl(all));
              std::cout << "descriptions read: " << st.descriptions << "\ndropped: " << st.droppedShort << " under " << a->minWords
                        << " words, " << st.droppedBoilerplate << " boilerplate, " << st.droppedDuplicate << " duplicate, "
                        << st.droppedEmpty << " empty\npairs: " << pairs.size() << " (train " << st.train << ", valid " << st.valid
                        << ", test " << st.test << ") from " << st.sourcePackages << " source packages; " << st.unjoined
                        << " not found in Packages\nsource words: " << percentiles(srcWords)
                        << "\ntarget words: " << percentiles(tgtWords) << "\nwritten: " << a->out << "\n";
              if (!a->subset.empty()) {
                // A fixed pseudo-random choice of train rows (by hash of the package), then all valid/test.
                std::vector<const DebianPair*> train, rest;
                for (const auto* p : all) (p->split == "train" ? train : rest).push_back(p);
                std::sort(train.begin(), train.end(), [](auto* x, auto* y) { return splitHash(x->package) < splitHash(y->package); });
                if (int64_t(train.size()) > a->subsetTrain) train.resize(size_t(a->subsetTrain));
                std::sort(train.begin(), train.end(), [](auto* x, auto* y) { return x->package < y->package; });
                train.insert(train.end(), rest.begin(), rest.end());
                writeTextAtomically(a->subset, jsonl(train));
                std::cout << "subset: " << train.size() << " rows written to " << a->subset << "\n";
              }
            });
          }};
}

}  // namespace gt::cli
