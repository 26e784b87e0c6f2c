// ROUGE-1/2/L F1 as rouge-score and torchmetrics compute them: lower-case, every run of characters
// other than a-z0-9 becomes a space, split on spaces, optionally Porter-stem tokens longer than 3
// characters; ROUGE-N from clipped n-gram counts, ROUGE-L from the longest common subsequence;
// F1 = 2PR / (P + R), and 0 when either side has no tokens.
#pragma once
#include <string>
#include <vector>

namespace gt {

struct RougeScores {
  double rouge1 = 0, rouge2 = 0, rougeL = 0;  // F1 in [0, 1]
};

std::vector<std::string> rougeTokens(const std::string& text, bool stem);
RougeScores rougeScores(const std::string& prediction, const std::string& reference, bool stem);

// The mean over pairs (all zero for none).
RougeScores meanRouge(const std::vector<RougeScores>& scores);

// SQuAD-style exact match for QA data: equal after lower-casing, dropping punctuation and the
// articles a/an/the, and collapsing whitespace.
bool exactMatch(const std::string& prediction, const std::string& reference);

}  // namespace gt
