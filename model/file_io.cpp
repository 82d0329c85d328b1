// file_io.cpp — whole-file reads and atomic writes on POSIX file descriptors.
#include "model/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "tensor/error.h"

namespace induction {

namespace {

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

void write_all(int fd, std::string_view bytes, const std::string& temp_path) {
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("write_file_atomic: cannot write '", temp_path, "': ", os_reason(errno));
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

std::string read_file_bytes(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (file.fd < 0) fail("read_file: cannot open '", path, "': ", os_reason(errno));
    struct stat info {};
    if (::fstat(file.fd, &info) != 0) fail("read_file: cannot stat '", path, "': ", os_reason(errno));
    if (S_ISDIR(info.st_mode)) fail("read_file: cannot read '", path, "': ", os_reason(EISDIR));

    std::string bytes;
    bytes.reserve(S_ISREG(info.st_mode) ? static_cast<size_t>(info.st_size) : 0);
    char buffer[1 << 16];
    while (true) {
        ssize_t n = ::read(file.fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read_file: cannot read '", path, "': ", os_reason(errno));
        if (n == 0) break;
        bytes.append(buffer, static_cast<size_t>(n));
    }
    return bytes;
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    const std::string temp_path = path + ".tmp";
    FileDescriptor file(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (file.fd < 0)
        fail("write_file_atomic: cannot create '", temp_path, "' to write '", path, "': ",
             os_reason(errno));
    try {
        write_all(file.fd, bytes, temp_path);
        if (::fsync(file.fd) != 0)
            fail("write_file_atomic: cannot sync '", temp_path, "': ", os_reason(errno));
        if (file.close_now() != 0)
            fail("write_file_atomic: cannot close '", temp_path, "': ", os_reason(errno));
        if (::rename(temp_path.c_str(), path.c_str()) != 0)
            fail("write_file_atomic: cannot rename '", temp_path, "' to '", path, "': ",
                 os_reason(errno));
    } catch (...) {
        ::unlink(temp_path.c_str());
        throw;
    }
    fsync_directory(parent_directory(path), path);
}

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
