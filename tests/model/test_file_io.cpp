// test_file_io.cpp — whole-file reads and atomic whole-file writes (model/io/file_io.h): a write
// replaces the file whole and leaves no temporary, a failed write removes its temporary, and
// every error names the file and the OS reason; no write goes through a symbolic link; reads are
// bounded; appends survive reopening.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>

#include "model/io/file_io.h"
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
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 1);
}

TEST_F(FileIo, FailedWritesRemoveTheTemporaryAndNameTheFile) {
    // Renaming a file over a directory fails after the temporary is fully written.
    make_directories(path("occupied"));
    expect_error([&] { write_file_atomic(path("occupied"), "bytes"); }, path("occupied"), "cannot rename");
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 1);  // no temporary
    EXPECT_TRUE(std::filesystem::is_directory(path("occupied")));

    expect_error([&] { write_file_atomic(path("no/such/dir/file"), "bytes"); }, path("no/such/dir/file"),
                 "No such file or directory");
}

TEST_F(FileIo, ReadsNameTheFileAndTheReason) {
    expect_error([&] { read_file_bytes(path("absent")); }, path("absent"), "No such file or directory");
    make_directories(path("dir"));
    expect_error([&] { read_file_bytes(path("dir")); }, path("dir"), "Is a directory");
}

TEST_F(FileIo, ReadsAreBoundedEvenForDevicesWithoutEnd) {
    write_file_atomic(path("ten"), "0123456789");
    EXPECT_EQ(read_file_bytes(path("ten"), 10), "0123456789");
    expect_error([&] { read_file_bytes(path("ten"), 9); }, path("ten"), "more than the 9 bytes");
    // /dev/zero never ends: the default limit stops it with an error instead of exhausting memory.
    expect_error([&] { read_file_bytes("/dev/zero", 1 << 20); }, "/dev/zero", "not a regular file");
}

TEST_F(FileIo, NoWriteGoesThroughASymbolicLink) {
    write_file_atomic(path("target"), "precious");
    // A link at the written name is replaced by the new file; its target is untouched.
    std::filesystem::create_symlink(path("target"), path("linked"));
    write_file_atomic(path("linked"), "new");
    EXPECT_EQ(read_file_bytes(path("target")), "precious");
    EXPECT_FALSE(std::filesystem::is_symlink(path("linked")));
    EXPECT_EQ(read_file_bytes(path("linked")), "new");
    // A link planted at the old fixed temporary name is never opened.
    std::filesystem::create_symlink(path("target"), path("file.tmp"));
    write_file_atomic(path("file"), "bytes");
    EXPECT_EQ(read_file_bytes(path("target")), "precious");
    // Appending refuses a link.
    std::filesystem::create_symlink(path("target"), path("log"));
    expect_error([&] { AppendFile log(path("log")); }, path("log"), "for appending");
    EXPECT_EQ(read_file_bytes(path("target")), "precious");
}

TEST_F(FileIo, AppendsAccumulateAcrossReopening) {
    {
        AppendFile log(path("log"));
        log.append("one\n");
    }
    AppendFile log(path("log"));
    log.append("two\n");
    EXPECT_EQ(read_file_bytes(path("log")), "one\ntwo\n");
}

TEST_F(FileIo, StaleTemporariesAreRemovedAndNothingElse) {
    write_file_atomic(path("keep"), "x");
    write_file_atomic(path("keep.tmp-seven77"), "x");  // not the XXXXXX form: kept
    write_file_atomic(path("killed.tmp-a1B2c3"), "half");
    std::filesystem::create_symlink(path("keep"), path("planted.tmp-zzzzzz"));
    EXPECT_EQ(remove_stale_temporaries(directory_), 2);
    EXPECT_TRUE(file_exists(path("keep")));
    EXPECT_TRUE(file_exists(path("keep.tmp-seven77")));
    EXPECT_FALSE(file_exists(path("killed.tmp-a1B2c3")));
    EXPECT_FALSE(std::filesystem::is_symlink(path("planted.tmp-zzzzzz")));
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
