// Writes a file under a temporary name in the same folder and renames it into place, so a
// reader never sees a half-written file and a failure leaves nothing behind.
#pragma once
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

namespace gt {

void writeFileAtomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);
void writeTextAtomically(const std::filesystem::path& path, const std::string& text);

}  // namespace gt
