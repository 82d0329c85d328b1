// file_io.h — bounded whole-file reads, crash-safe (atomic) whole-file writes, and appends.
//
// Every file a run writes goes through write_file_atomic (a reader, or a crash, sees either the
// old file or the new one, never half of one) or, for logs that only grow, AppendFile. Neither
// ever writes through a symbolic link: a link planted at the temporary or the appended name makes
// the write fail instead of overwriting the link's target.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace induction {

// The largest file read_file_bytes accepts unless told otherwise: bigger than any checkpoint,
// config, tokenizer or text this project writes, small enough that /dev/zero fails fast.
constexpr uint64_t DEFAULT_MAX_READ_BYTES = uint64_t{1} << 30;

// Pipes and devices have no size to check up front: they are read to at most this.
constexpr uint64_t MAX_NON_REGULAR_READ_BYTES = uint64_t{64} << 20;

// Reads a whole file of at most max_bytes (MAX_NON_REGULAR_READ_BYTES for a pipe or a device).
// Throws induction::Error naming the file and the OS reason, or the limit when the file (or a
// device such as /dev/zero) holds more.
std::string read_file_bytes(const std::string& path, uint64_t max_bytes = DEFAULT_MAX_READ_BYTES);

// Writes bytes to a fresh temporary "<path>.tmp-XXXXXX" (created exclusively, so never through
// a link), fsyncs it, renames it over path and fsyncs the directory. On any failure the
// temporary file is removed and induction::Error names the file.
void write_file_atomic(const std::string& path, std::string_view bytes);

// Removes the temporaries write_file_atomic leaves when a process is killed mid-write
// ("*.tmp-XXXXXX" directly inside directory); returns how many it removed.
int remove_stale_temporaries(const std::string& directory);

// A file opened for appending (created when missing; never through a link). Each append is one
// write(2), so a SIGKILL loses at most the lines not yet appended, never earlier ones.
//
// Fault injection for `make stress`: when the environment sets INDUCTION_KILL_IN_WRITE=N, the
// N-th write of this process (atomic or appended, counted from 1) writes half its bytes and then
// SIGKILLs the process, so the stress test can kill a run inside every kind of file write.
class AppendFile {
public:
    explicit AppendFile(const std::string& path);
    ~AppendFile();
    AppendFile(const AppendFile&) = delete;
    AppendFile& operator=(const AppendFile&) = delete;
    void append(std::string_view bytes);
    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

// True when something (a file or a directory) exists at path.
bool file_exists(const std::string& path);

// Creates path and any missing parents (like `mkdir -p`); fine if it already exists.
void make_directories(const std::string& path);

}  // namespace induction
