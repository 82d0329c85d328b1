// file_io.cpp — bounded reads, atomic writes and appends on POSIX file descriptors.
#include "model/io/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "tensor/error.h"

namespace induction {

namespace {

constexpr const char* TEMPORARY_SUFFIX = ".tmp-";
constexpr size_t TEMPORARY_RANDOM_CHARS = 6;  // mkstemp's XXXXXX

std::string os_reason(int error_number) { return std::strerror(error_number); }

// Closes a descriptor when it goes out of scope (on the error paths).
struct FileDescriptor {
    int fd = -1;
    explicit FileDescriptor(int descriptor) : fd(descriptor) {}
    ~FileDescriptor() {
        if (fd >= 0) ::close(fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    // Closes now and reports close()'s own error (a delayed write error can surface here).
    int close_now() {
        int result = ::close(fd);
        fd = -1;
        return result;
    }
};

// INDUCTION_KILL_IN_WRITE=N (file_io.h): the N-th write writes half its bytes, then SIGKILL.
void kill_in_write_if_asked(int fd, std::string_view bytes, const std::string& path) {
    static const long kill_at = [] {
        const char* text = std::getenv("INDUCTION_KILL_IN_WRITE");
        return text ? std::strtol(text, nullptr, 10) : 0L;
    }();
    static std::atomic<long> writes{0};
    if (kill_at <= 0 || ++writes != kill_at) return;
    ssize_t ignored = ::write(fd, bytes.data(), bytes.size() / 2);
    (void)ignored;
    std::fprintf(stderr, "INDUCTION_KILL_IN_WRITE: killed inside the write of %s\n", path.c_str());
    std::fflush(stderr);
    ::raise(SIGKILL);
}

void write_all(int fd, std::string_view bytes, const std::string& path) {
    kill_in_write_if_asked(fd, bytes, path);
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("cannot write '", path, "': ", os_reason(errno));
        written += static_cast<size_t>(n);
    }
}

// The directory holding path ("." for a bare file name), to fsync after the rename.
std::string parent_directory(const std::string& path) {
    std::string parent = std::filesystem::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

void fsync_directory(const std::string& directory, const std::string& path) {
    FileDescriptor dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.fd < 0)
        fail("write_file_atomic: cannot open directory '", directory, "' of '", path,
             "' to sync it: ", os_reason(errno));
    // Some file systems cannot fsync a directory (EINVAL); the rename itself has succeeded.
    if (::fsync(dir.fd) != 0 && errno != EINVAL)
        fail("write_file_atomic: cannot sync directory '", directory, "' of '", path,
             "': ", os_reason(errno));
}

}  // namespace

std::string read_file_bytes(const std::string& path, uint64_t max_bytes) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) fail("read_file: cannot open '", path, "': ", os_reason(errno));
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) fail("read_file: cannot stat '", path, "': ", os_reason(errno));
    if (S_ISDIR(info.st_mode)) fail("read_file: cannot read '", path, "': ", os_reason(EISDIR));
    auto too_large = [&]() {
        fail("read_file: '", path, "' holds more than the ", max_bytes, " bytes expected of it",
             S_ISREG(info.st_mode) ? "" : " (it is not a regular file)");
    };
    if (S_ISREG(info.st_mode) && static_cast<uint64_t>(info.st_size) > max_bytes) too_large();
    if (!S_ISREG(info.st_mode)) max_bytes = std::min(max_bytes, MAX_NON_REGULAR_READ_BYTES);

    std::string bytes;
    bytes.reserve(S_ISREG(info.st_mode) ? static_cast<size_t>(info.st_size) : 0);
    char buffer[1 << 16];
    while (true) {
        ssize_t n = ::read(file.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read_file: cannot read '", path, "': ", os_reason(errno));
        if (n == 0) break;
        if (bytes.size() + static_cast<uint64_t>(n) > max_bytes) too_large();  // a growing file, a device
        bytes.append(buffer, static_cast<size_t>(n));
    }
    return bytes;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    std::string temp_path = path + TEMPORARY_SUFFIX + std::string(TEMPORARY_RANDOM_CHARS, 'X');
    // mkostemp creates the name with O_CREAT | O_EXCL: it never opens an existing file or link.
    FileDescriptor file(::mkostemp(temp_path.data(), O_CLOEXEC));
    if (file.fd < 0)
        fail("write_file_atomic: cannot create a temporary file beside '", path, "': ", os_reason(errno));
    try {
        if (::fchmod(file.fd, 0644) != 0)
            fail("write_file_atomic: cannot set the mode of '", temp_path, "': ", os_reason(errno));
        write_all(file.fd, bytes, temp_path);
        if (::fsync(file.fd) != 0)
            fail("write_file_atomic: cannot sync '", temp_path, "': ", os_reason(errno));
        if (file.close_now() != 0)
            fail("write_file_atomic: cannot close '", temp_path, "': ", os_reason(errno));
        // rename replaces a link at path itself, never the file it points to.
        if (::rename(temp_path.c_str(), path.c_str()) != 0)
            fail("write_file_atomic: cannot rename '", temp_path, "' to '", path, "': ",
                 os_reason(errno));
    } catch (...) {
        ::unlink(temp_path.c_str());
        throw;
    }
    fsync_directory(parent_directory(path), path);
}

int remove_stale_temporaries(const std::string& directory) {
    namespace fs = std::filesystem;
    const std::string suffix = TEMPORARY_SUFFIX;
    int removed = 0;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
        const std::string name = entry.path().filename().string();
        const size_t at = name.rfind(suffix);
        if (at == std::string::npos || name.size() != at + suffix.size() + TEMPORARY_RANDOM_CHARS) continue;
        if (::unlink(entry.path().c_str()) == 0) ++removed;  // unlink removes a link, not its target
    }
    return removed;
}

AppendFile::AppendFile(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot open '", path, "' for appending: ", os_reason(errno));
}

AppendFile::~AppendFile() {
    if (fd_ >= 0) ::close(fd_);
}

void AppendFile::append(std::string_view bytes) { write_all(fd_, bytes, path_); }

bool file_exists(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
}

void make_directories(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) fail("make_directories: cannot create '", path, "': ", error.message());
    check(std::filesystem::is_directory(path, error), "make_directories: '", path,
          "' exists but is not a directory");
}

}  // namespace induction
