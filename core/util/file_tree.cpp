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

// An open folder's descriptor, closed however the scope is left (a visitor may throw).
class FolderFd {
 public:
  explicit FolderFd(int fd) : fd_(fd) {}
  ~FolderFd() {
    if (fd_ >= 0) {
      const int err = errno;
      ::close(fd_);
      errno = err;
    }
  }
  FolderFd(const FolderFd&) = delete;
  FolderFd& operator=(const FolderFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Opens `name` in the folder open at `parentFd`; a link is followed only when `followLink`.
int openFolderAt(int parentFd, const char* name, bool followLink) {
  return ::openat(parentFd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW));
}

// The names in the folder open at `fd` (without "." and ".."), read in full before anything is removed:
// POSIX leaves unspecified what readdir returns once entries of the open folder are unlinked.
// False when the folder cannot be read (errno set). `fd` stays open.
bool namesIn(const FolderFd& fd, std::vector<std::string>& names) {
  const int own = ::dup(fd.get());  // closedir closes the descriptor fdopendir was given
  if (own < 0) return false;
  DIR* dir = ::fdopendir(own);
  if (dir == nullptr) {
    FolderFd close(own);
    return false;
  }
  struct CloseDir {
    DIR* d;
    ~CloseDir() {
      const int err = errno;
      ::closedir(d);
      errno = err;
    }
  } closeDir{dir};
  errno = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    errno = 0;
  }
  return errno == 0;
}

// Removes `name` in the folder open at `parentFd` (shown as `shown` in messages). Records the first failure.
void removeAt(int parentFd, const char* name, const fs::path& shown, std::string& failure) {
  auto fail = [&] {  // reads errno: call it right after the failing call
    if (failure.empty()) failure = shown.string() + ": " + std::strerror(errno);
  };
  struct stat st {};
  if (::fstatat(parentFd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT) fail();
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(parentFd, name, 0) != 0 && errno != ENOENT) fail();
    return;
  }
  {
    const FolderFd folder(openFolderAt(parentFd, name, false));
    if (folder.get() < 0) {
      if (errno != ENOENT) fail();  // removed meanwhile: nothing left to do
      return;
    }
    std::vector<std::string> names;
    if (!namesIn(folder, names)) fail();
    for (const auto& child : names) removeAt(folder.get(), child.c_str(), shown / child, failure);
  }
  if (::unlinkat(parentFd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) fail();
}

// `followLink`: for the path a caller names, as `find -H` does (a model's weights may be links into a cache).
void visitAt(int parentFd, const char* name, const fs::path& shown, const std::function<void(const fs::path&, uint64_t)>& visit,
             std::string& failure, bool followLink) {
  struct stat st {};
  if (::fstatat(parentFd, name, &st, followLink ? 0 : AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno != ENOENT && failure.empty()) failure = shown.string() + ": " + std::strerror(errno);
    return;
  }
  if (S_ISREG(st.st_mode)) return visit(shown, uint64_t(st.st_size));
  if (!S_ISDIR(st.st_mode)) return;
  const FolderFd folder(openFolderAt(parentFd, name, followLink));
  std::vector<std::string> names;
  if (folder.get() < 0 || !namesIn(folder, names)) {
    if (failure.empty()) failure = shown.string() + ": " + std::strerror(errno);
    return;
  }
  for (const auto& child : names) visitAt(folder.get(), child.c_str(), shown / child, visit, failure, false);
}

}  // namespace

std::string removeTree(const fs::path& path) {
  std::string failure;
  removeAt(AT_FDCWD, path.c_str(), path, failure);
  return failure;
}

std::string forEachFileUnder(const fs::path& path, const std::function<void(const fs::path&, uint64_t)>& visit) {
  std::string failure;
  visitAt(AT_FDCWD, path.c_str(), path, visit, failure, true);
  return failure;
}

}  // namespace gt
