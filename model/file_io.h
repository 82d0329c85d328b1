// file_io.h — whole-file reads and crash-safe (atomic) whole-file writes.
//
// Checkpoints, configs and metrics are written with write_file_atomic, so a reader (or a
// crash) sees either the old file or the new one, never half of one.
#pragma once

#include <string>
#include <string_view>

namespace induction {

// Reads a whole file. Throws induction::Error naming the file and the OS reason.
std::string read_file_bytes(const std::string& path);

// Writes bytes to "<path>.tmp", fsyncs it, renames it over path and fsyncs the directory.
// On any failure the temporary file is removed and induction::Error names the file.
void write_file_atomic(const std::string& path, std::string_view bytes);

// True when something (a file or a directory) exists at path.
bool file_exists(const std::string& path);

// Creates path and any missing parents (like `mkdir -p`); fine if it already exists.
void make_directories(const std::string& path);

}  // namespace induction
