// test_file_io.cpp — whole-file reads and atomic whole-file writes (model/file_io.h): a write
// replaces the file whole and leaves no temporary, a failed write removes its temporary, and
// every error names the file and the OS reason.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "model/file_io.h"
#include "tensor/error.h"

namespace induction {
namespace {

class FileIo : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "induction_io_XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        directory_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string path(const std::string& name) const { return directory_ + "/" + name; }

    // statement must throw an Error naming the file and containing reason.
    template <class F>
    void expect_error(F statement, const std::string& file, const std::string& reason) {
        try {
            statement();
            ADD_FAILURE() << "no error for " << file;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("'" + file + "'"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
        }
    }

    std::string directory_;
};

TEST_F(FileIo, WritesAndReadsBackArbitraryBytes) {
    std::string bytes;
    for (int i = 0; i < 200000; ++i) bytes += static_cast<char>(i * 7 % 256);  // NULs, high bytes, > 64 KiB
    write_file_atomic(path("data.bin"), bytes);
    EXPECT_EQ(read_file_bytes(path("data.bin")), bytes);
    write_file_atomic(path("empty"), "");
    EXPECT_EQ(read_file_bytes(path("empty")), "");
}

TEST_F(FileIo, WriteReplacesAnExistingFileWholeAndLeavesNoTemporary) {
    write_file_atomic(path("file"), std::string(100000, 'a'));
    write_file_atomic(path("file"), "short");
    EXPECT_EQ(read_file_bytes(path("file")), "short");
    EXPECT_FALSE(file_exists(path("file.tmp")));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 1);
}

TEST_F(FileIo, FailedWritesRemoveTheTemporaryAndNameTheFile) {
    // Renaming a file over a directory fails after the temporary is fully written.
    make_directories(path("occupied"));
    expect_error([&] { write_file_atomic(path("occupied"), "bytes"); }, path("occupied"), "cannot rename");
    EXPECT_FALSE(file_exists(path("occupied.tmp")));
    EXPECT_TRUE(std::filesystem::is_directory(path("occupied")));

    expect_error([&] { write_file_atomic(path("no/such/dir/file"), "bytes"); }, path("no/such/dir/file"),
                 "No such file or directory");
}

TEST_F(FileIo, ReadsNameTheFileAndTheReason) {
    expect_error([&] { read_file_bytes(path("absent")); }, path("absent"), "No such file or directory");
    make_directories(path("dir"));
    expect_error([&] { read_file_bytes(path("dir")); }, path("dir"), "Is a directory");
}

TEST_F(FileIo, MakeDirectoriesCreatesParentsAndToleratesExisting) {
    EXPECT_FALSE(file_exists(path("a/b/c")));
    make_directories(path("a/b/c"));
    make_directories(path("a/b/c"));  // already there: fine
    EXPECT_TRUE(std::filesystem::is_directory(path("a/b/c")));
    write_file_atomic(path("a/b/c/data"), "x");
    EXPECT_TRUE(file_exists(path("a/b/c/data")));
    expect_error([&] { make_directories(path("a/b/c/data")); }, path("a/b/c/data"), "make_directories");
    expect_error([&] { make_directories(path("a/b/c/data/deeper")); }, path("a/b/c/data/deeper"), "make_directories");
}

}  // namespace
}  // namespace induction
