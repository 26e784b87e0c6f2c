// The Porter stemmer as NLTK's PorterStemmer implements it in its default NLTK_EXTENSIONS mode
// (the stemmer torchmetrics' and rouge-score's ROUGE use): Porter (1980) steps 1a-5b with
// Martin Porter's later departures plus NLTK's irregular-forms table and short-word rules.
#pragma once
#include <string>

namespace gt {

// Stems one lower-case ASCII word (upper case is lowered first). Words of 1-2 letters are kept.
std::string porterStem(const std::string& word);

}  // namespace gt
