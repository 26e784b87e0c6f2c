#include "core/util/file_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace gt {
namespace fs = std::filesystem;
namespace {

// The names in the folder open at `fd` (without "." and ".."), read in full before anything is removed:
// POSIX leaves unspecified what readdir returns once entries of the open folder are unlinked.
// Takes ownership of `fd`. False when the folder cannot be read (errno set).
bool namesIn(int fd, std::vector<std::string>& names) {
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(fd);
    errno = err;
    return false;
  }
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(dir);
  errno = err;
  return err == 0;
}

int openFolderAt(int parentFd, const char* name) { return ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC); }

// Removes `name` in the folder open at `parentFd` (shown as `shown` in messages). Records the first failure.
void removeAt(int parentFd, const char* name, const fs::path& shown, std::string& failure) {
  auto fail = [&](const fs::path& where) {
    if (failure.empty()) failure = where.string() + ": " + std::strerror(errno);
  };
  struct stat st {};
  if (::fstatat(parentFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) fail(shown);
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    const int fd = openFolderAt(parentFd, name);
    if (fd < 0) return fail(shown);
    std::vector<std::string> names;
    const int held = ::dup(fd);  // namesIn closes its descriptor; the children are removed relative to this one
    if (held < 0) {
      ::close(fd);
      return fail(shown);
    }
    if (!namesIn(fd, names)) fail(shown);
    for (const auto& child : names) removeAt(held, child.c_str(), shown / child, failure);
    ::close(held);
    if (::unlinkat(parentFd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) fail(shown);
  } else if (::unlinkat(parentFd, name, 0) != 0 && errno != ENOENT) {
    fail(shown);
  }
}

// `followLink`: for the path a caller names, as `find -H` does (a model's weights may be links into a cache).
void visitAt(int parentFd, const char* name, const fs::path& shown,
             const std::function<void(const fs::path&, uint64_t)>& visit, bool followLink = false) {
  struct stat st {};
  if (::fstatat(parentFd, name, &st, followLink ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return;
  if (S_ISREG(st.st_mode)) return visit(shown, uint64_t(st.st_size));
  if (!S_ISDIR(st.st_mode)) return;
  const int fd = followLink ? ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : openFolderAt(parentFd, name);
  if (fd < 0) return;
  const int held = ::dup(fd);
  if (held < 0) {
    ::close(fd);
    return;
  }
  std::vector<std::string> names;
  namesIn(fd, names);
  for (const auto& child : names) visitAt(held, child.c_str(), shown / child, visit);
  ::close(held);
}

}  // namespace

std::string removeTree(const fs::path& path) {
  std::string failure;
  removeAt(AT_FDCWD, path.c_str(), path, failure);
  return failure;
}

void forEachFileUnder(const fs::path& path, const std::function<void(const fs::path&, uint64_t)>& visit) {
  visitAt(AT_FDCWD, path.c_str(), path, visit, true);
}

}  // namespace gt
