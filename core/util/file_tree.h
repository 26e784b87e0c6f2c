#pragma once
// Walking and removing folder trees with POSIX calls (openat/fdopendir/unlinkat), not std::filesystem's
// recursive_directory_iterator / remove_all. Why: LibTorch 2.x wheels (the GPU build) export their own
// statically linked copy of libstdc++'s std::filesystem (pytorch/pytorch#133437). A program linked against
// both binds some of those symbols to LibTorch's copy and some to the system's, and the two disagree on
// the iterator's private layout. Every `train --device cuda` crashed right where a run removes its
// checkpoint folder (docs/gpu-speed.md); these functions keep that code out of the run's path.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace gt {

// Removes `path` and everything under it. Symbolic links are removed, never followed. A path that does
// not exist is not an error. Returns an empty string on success, else the first failure as
// "PATH: why" (what could be removed is removed).
std::string removeTree(const std::filesystem::path& path);

// Calls `visit` with the path and size in bytes of each regular file at or under `path`, in no
// particular order. `path` itself may be a link; links under it are not followed. A path that does not
// exist has no files. Returns an empty string, or the first folder that could not be read as
// "PATH: why" (its files are not visited; the walk goes on). Exceptions from `visit` pass through.
std::string forEachFileUnder(const std::filesystem::path& path, const std::function<void(const std::filesystem::path&, uint64_t)>& visit);

}  // namespace gt
