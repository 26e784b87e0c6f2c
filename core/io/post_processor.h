// Post-processors of a tokenizer.json ("post_processor" field): the special tokens added around a
// single sequence when a caller asks for them (BOS for Llama/Mistral, [CLS] ... [SEP] for BERT,
// </s> for T5). TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel (no ids change)
// and Sequence.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gt {

using PostProcessor = std::function<std::vector<int64_t>(std::vector<int64_t>)>;

// null -> identity.
PostProcessor makePostProcessor(const nlohmann::json& spec, const std::string& where);

}  // namespace gt
