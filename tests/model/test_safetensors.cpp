// test_safetensors.cpp — safetensors round trips, byte-exact layout, every rejected corruption,
// and atomic replacement of an existing file.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "model/io/file_io.h"
#include "model/io/safetensors.h"

namespace induction {
namespace {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// Test files are written plainly: the fsync of write_file_atomic would make hundreds slow.
void write_plain(const std::string& path, std::string_view bytes) {
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class Safetensors : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "induction_st_XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        directory_ = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(directory_); }
    std::string path(const std::string& name) const { return directory_ + "/" + name; }

    // A file made of an 8-byte little-endian length (header.size() unless overridden), the
    // header text and the data buffer.
    std::string craft(const std::string& header, const std::string& data,
                      std::optional<uint64_t> length = std::nullopt) {
        uint64_t n = length.value_or(header.size());
        std::string bytes;
        for (int i = 0; i < 8; ++i) bytes += static_cast<char>((n >> (8 * i)) & 0xFF);
        std::string file = path("crafted.safetensors");
        write_plain(file, bytes + header + data);
        return file;
    }

    // Reading file must throw one Error line naming the file and containing every phrase.
    void expect_rejected(const std::string& file, const std::vector<std::string>& phrases) {
        try {
            read_safetensors(file);
            ADD_FAILURE() << "read_safetensors accepted a corrupt file; expected " << phrases[0];
        } catch (const Error& e) {
            std::string message = e.what();
            EXPECT_NE(message.find("safetensors: '" + file + "'"), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
            for (const std::string& phrase : phrases)
                EXPECT_NE(message.find(phrase), std::string::npos)
                    << "expected \"" << phrase << "\" in: " << message;
        }
    }

    std::string directory_;
};

// The data buffer of a crafted f32[2] tensor.
const std::string EIGHT_BYTES(8, '\0');

void expect_same_tensor(const Tensor& a, const Tensor& b) {
    ASSERT_EQ(a.dtype(), b.dtype());
    ASSERT_EQ(a.shape(), b.shape());
    ASSERT_EQ(a.nbytes(), b.nbytes());
    if (a.nbytes() > 0) {
        EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0);
    }
}

TEST_F(Safetensors, RoundTripsEveryDtypeAndShape) {
    NamedTensors tensors = {
        {"embed.W_E", Tensor::from_vector({2, 3}, {0.1, -2.5, 3e-38, 1e30, -0.0, 7})},
        {"f64", Tensor::from_vector({4}, {1.0 / 3.0, -1e-300, 5e-324, 1e300}, DType::F64)},
        {"ints", Tensor::from_ints({2, 1, 2, 1}, {-1, 2147483647, -2147483647 - 1, 0})},
        {"scalar", Tensor::scalar(42.5)},
        {"empty", Tensor::empty({0}, DType::F64)},
        {"empty_rows", Tensor::empty({3, 0}, DType::I32)},
        {"after_empty", Tensor::from_ints({1}, {7})},
    };
    write_safetensors(path("model.safetensors"), tensors);
    SafetensorsFile file = read_safetensors(path("model.safetensors"));
    EXPECT_EQ(file.path, path("model.safetensors"));
    EXPECT_TRUE(file.metadata.empty());
    ASSERT_EQ(file.tensors.size(), tensors.size());
    for (size_t i = 0; i < tensors.size(); ++i) {
        EXPECT_EQ(file.tensors[i].first, tensors[i].first);
        expect_same_tensor(file.tensors[i].second, tensors[i].second);
    }
    EXPECT_EQ(file.get("scalar").ndim(), 0);
    EXPECT_EQ(file.get("scalar").item(), 42.5);
    EXPECT_EQ(file.get("ints").to_ints()[1], 2147483647);
    EXPECT_TRUE(file.contains("f64"));
    EXPECT_FALSE(file.contains("f65"));
}

TEST_F(Safetensors, RoundTripsMetadata) {
    std::vector<std::pair<std::string, std::string>> metadata = {
        {"format", "pt"}, {"config", R"({"n_layers": 2, "act_fn": "gelu"})"}, {"empty", ""},
        {"unicode", "\xC3\xA9\xF0\x9F\x98\x80"}};
    write_safetensors(path("m.safetensors"), {{"x", Tensor::scalar(1)}}, metadata);
    SafetensorsFile file = read_safetensors(path("m.safetensors"));
    EXPECT_EQ(file.metadata, metadata);

    write_safetensors(path("only_metadata.safetensors"), {}, metadata);
    EXPECT_EQ(read_safetensors(path("only_metadata.safetensors")).metadata, metadata);
    EXPECT_TRUE(read_safetensors(path("only_metadata.safetensors")).tensors.empty());
}

TEST_F(Safetensors, WritesTheReferenceLayoutByteForByte) {
    // Spelled out by hand from the format description: u64 little-endian header length,
    // compact JSON with __metadata__ first, spaces up to a multiple of 8, then the data.
    std::string header =
        R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
        R"("n":{"dtype":"I32","shape":[],"data_offsets":[8,12]}})";
    ASSERT_EQ(header.size(), 138u);
    std::string expected = std::string("\x90\0\0\0\0\0\0\0", 8) + header + std::string(6, ' ') +
                           std::string("\x00\x00\x80\x3F" "\x00\x00\x00\xC0" "\x07\x00\x00\x00", 12);
    write_safetensors(path("golden.safetensors"),
                      {{"a", Tensor::from_vector({2}, {1.0, -2.0})}, {"n", Tensor::from_ints({}, {7})}},
                      {{"format", "pt"}});
    EXPECT_EQ(read_file_bytes(path("golden.safetensors")), expected);
}

TEST_F(Safetensors, ReadsAFileWrittenByAnotherWriter) {
    // Laid out as huggingface's Python writer might: header keys in a different order from the
    // data (which is sorted by alignment: F64 first), pretty JSON, no padding.
    std::string header = R"({ "b": {"dtype": "F32", "shape": [1, 2], "data_offsets": [8, 16]},
                              "__metadata__": {"format": "pt"},
                              "a": {"shape": [1], "dtype": "F64", "data_offsets": [0, 8]},
                              "c": {"dtype": "I32", "shape": [2], "data_offsets": [16, 24]} })";
    std::string data = std::string("\x00\x00\x00\x00\x00\x00\xE0\x3F", 8)  // f64 0.5
                       + std::string("\x00\x00\x80\x3F\x00\x00\x00\xC0", 8)  // f32 1, -2
                       + std::string("\xFF\xFF\xFF\xFF\x02\x01\x00\x00", 8);  // i32 -1, 258
    SafetensorsFile file = read_safetensors(craft(header, data));
    ASSERT_EQ(file.tensors.size(), 3u);
    EXPECT_EQ(file.tensors[0].first, "b");  // header order
    EXPECT_EQ(file.tensors[1].first, "a");
    EXPECT_EQ(file.metadata, (std::vector<std::pair<std::string, std::string>>{{"format", "pt"}}));
    EXPECT_EQ(file.get("a").dtype(), DType::F64);
    EXPECT_EQ(file.get("a").to_vector(), std::vector<double>{0.5});
    EXPECT_EQ(file.get("b").shape(), Shape({1, 2}));
    EXPECT_EQ(file.get("b").to_vector(), (std::vector<double>{1.0, -2.0}));
    EXPECT_EQ(file.get("c").to_ints(), (std::vector<int32_t>{-1, 258}));
}

TEST_F(Safetensors, GetNamesTheFileAndTheMissingTensor) {
    write_safetensors(path("g.safetensors"), {{"x", Tensor::scalar(1)}});
    SafetensorsFile file = read_safetensors(path("g.safetensors"));
    try {
        file.get("blocks.0.attn.W_Q");
        ADD_FAILURE() << "get() found a tensor that is not there";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path("g.safetensors")), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("no tensor named 'blocks.0.attn.W_Q'"), std::string::npos)
            << e.what();
    }
}

TEST_F(Safetensors, RejectsBadTensorListsOnWrite) {
    Tensor x = Tensor::scalar(1);
    EXPECT_THROW(write_safetensors(path("w"), {{"x", x}, {"x", x}}), Error);
    EXPECT_THROW(write_safetensors(path("w"), {{"__metadata__", x}}), Error);
    EXPECT_THROW(write_safetensors(path("w"), {{"", x}}), Error);
    EXPECT_THROW(write_safetensors(path("w"), {{"u", Tensor()}}), Error);
    EXPECT_THROW(write_safetensors(path("w"), {{"x", x}}, {{"k", "1"}, {"k", "2"}}), Error);
    EXPECT_FALSE(file_exists(path("w")));
    EXPECT_FALSE(file_exists(path("w.tmp")));
}

// --- Every corruption the reader must catch -------------------------------------------------

TEST_F(Safetensors, RejectsFilesTooShortForTheLength) {
    write_plain(path("short.safetensors"), "abcde");
    expect_rejected(path("short.safetensors"), {"file is 5 bytes, shorter than the 8-byte header length"});
    write_plain(path("zero.safetensors"), "");
    expect_rejected(path("zero.safetensors"), {"file is 0 bytes"});
}

TEST_F(Safetensors, RejectsHeaderLengthsBeyondTheFileOrAbsurd) {
    expect_rejected(craft("{}", "", 3), {"header length 3 is larger than the 2 bytes after the length field"});
    expect_rejected(craft("{}", "", uint64_t{1} << 63), {"header length 9223372036854775808 exceeds the limit"});
    expect_rejected(craft("{}", "", 100'000'001), {"exceeds the limit of 100000000 bytes"});
}

TEST_F(Safetensors, RejectsHeadersThatAreNotJsonObjects) {
    expect_rejected(craft(R"({"a": {"dtype": "F32",)", ""), {"header is not valid JSON", "at line 1"});
    expect_rejected(craft(std::string("{}\0\0", 4), ""), {"header is not valid JSON"});
    expect_rejected(craft(R"([1, 2])", ""), {"header must be a JSON object, got array"});
    expect_rejected(craft(R"("text")", ""), {"header must be a JSON object, got string"});
    expect_rejected(craft(R"({"w": 3})", ""), {"tensor 'w': entry must be an object, got number"});
}

TEST_F(Safetensors, RejectsEntriesMissingAField) {
    expect_rejected(craft(R"({"w": {"shape": [2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': missing 'dtype'"});
    expect_rejected(craft(R"({"w": {"dtype": "F32", "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': missing 'shape'"});
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": [2]}})", EIGHT_BYTES),
                    {"tensor 'w': missing 'data_offsets'"});
    expect_rejected(
        craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "offset": 0}})", EIGHT_BYTES),
        {"tensor 'w': unexpected field 'offset'"});
}

TEST_F(Safetensors, RejectsUnknownDtypes) {
    expect_rejected(craft(R"({"w": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': unsupported dtype 'BF16' (expected F32, F64 or I32)"});
    expect_rejected(craft(R"({"w": {"dtype": "f32", "shape": [2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': unsupported dtype 'f32'"});
    expect_rejected(craft(R"({"w": {"dtype": 32, "shape": [2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': 'dtype' is 32, not a string"});
}

// Names, dtypes and keys come from the file: control characters in them are shown escaped, so
// the message stays one line (expect_rejected checks that) and cannot restyle the terminal.
TEST_F(Safetensors, ShowsTextFromTheFileEscapedInErrors) {
    expect_rejected(craft(R"({"w\nx": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w\\x0Ax': data_offsets [0,8] hold 8 bytes"});
    expect_rejected(craft(R"({"w": {"dtype": "F32\u001b[2J", "shape": [2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"unsupported dtype 'F32\\x1B[2J'"});
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8], "\r": 1}})", EIGHT_BYTES),
                    {"unexpected field '\\x0D'"});
    expect_rejected(craft(R"({"__metadata__": {"k\t": 1}})", ""), {"__metadata__ value of 'k\\x09' is 1"});
    expect_rejected(craft(R"({"a\n": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                          R"("b": {"dtype": "F32", "shape": [1], "data_offsets": [2, 6]}})", EIGHT_BYTES),
                    {"overlap tensor 'a\\x0A'"});
}

TEST_F(Safetensors, RejectsBadShapes) {
    for (const char* shape : {"[-2]", "[2.5]", "[\"2\"]", "[null]", "[1e300]"})
        expect_rejected(craft(std::string(R"({"w": {"dtype": "F32", "shape": )") + shape +
                                  R"(, "data_offsets": [0, 8]}})",
                              EIGHT_BYTES),
                        {"tensor 'w': shape", "is not a non-negative integer"});
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": 2, "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': 'shape' is 2, not an array"});
    expect_rejected(
        craft(R"({"w": {"dtype": "F32", "shape": [1, 1, 1, 1, 2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
        {"tensor 'w': shape [1,1,1,1,2] has 5 dimensions, at most 4 are supported"});
    expect_rejected(craft(R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296, 4294967296],
                                    "data_offsets": [0, 8]}})",
                          EIGHT_BYTES),
                    {"tensor 'w': shape", "is too large"});
    // No elements, but Shape::numel() multiplies in order: 2^53 * 2^53 overflowed an int64 (UB)
    // before the zero was reached (found by tests/fuzz/safetensors).
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": [9007199254740992, 9007199254740992, 0],
                                    "data_offsets": [0, 0]}})",
                          ""),
                    {"tensor 'w': shape [9007199254740992,9007199254740992,0] is too large"});
    write_safetensors(path("empty_rows.st"), {{"w", Tensor::empty({0, 1000000, 1000000}, DType::F64)}});
    EXPECT_EQ(read_safetensors(path("empty_rows.st")).get("w").shape(), Shape({0, 1000000, 1000000}));
}

TEST_F(Safetensors, RejectsBadDataOffsets) {
    auto with_offsets = [&](const std::string& offsets) {
        return craft(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": )" + offsets + "}}", EIGHT_BYTES);
    };
    for (const char* offsets : {"[0]", "[0, 4, 8]", "\"0-8\"", "[-1, 7]", "[0.5, 8]", "[0, null]", "{}"})
        expect_rejected(with_offsets(offsets), {"tensor 'w': 'data_offsets' is", "expected [begin, end]"});
    expect_rejected(with_offsets("[8, 0]"), {"tensor 'w': data_offsets [8,0] have begin > end"});
    expect_rejected(with_offsets("[8, 16]"), {"tensor 'w': data_offsets [8,16] end beyond the 8-byte data buffer"});
}

TEST_F(Safetensors, RejectsByteSizesThatDisagreeWithTheShape) {
    expect_rejected(craft(R"({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w': data_offsets [0,8] hold 8 bytes but f64[2] needs 16"});
    expect_rejected(craft(R"({"w": {"dtype": "I32", "shape": [], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w':", "hold 8 bytes but i32[] needs 4"});
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": [0], "data_offsets": [0, 8]}})", EIGHT_BYTES),
                    {"tensor 'w':", "hold 8 bytes but f32[0] needs 0"});
}

TEST_F(Safetensors, RejectsOverlapsHolesAndUnusedBytes) {
    expect_rejected(craft(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                          std::string(12, '\0')),
                    {"tensor 'b' data_offsets [4, 12] overlap tensor 'a'"});
    expect_rejected(craft(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                              "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                          EIGHT_BYTES),
                    {"overlap"});
    expect_rejected(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                              "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})",
                          std::string(12, '\0')),
                    {"data buffer bytes [4, 8) before tensor 'b' belong to no tensor"});
    expect_rejected(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})", EIGHT_BYTES),
                    {"data buffer bytes [0, 4) before tensor 'a' belong to no tensor"});
    expect_rejected(craft(R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", EIGHT_BYTES),
                    {"data buffer bytes [4, 8) after the last tensor belong to no tensor"});
    expect_rejected(craft("{}", "x"), {"data buffer bytes [0, 1) after the last tensor"});
}

TEST_F(Safetensors, RejectsDuplicateNames) {
    expect_rejected(craft(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},
                              "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                          EIGHT_BYTES),
                    {"duplicate key 'w'"});
}

TEST_F(Safetensors, RejectsMetadataThatIsNotStrings) {
    expect_rejected(craft(R"({"__metadata__": {"format": "pt", "step": 100}})", ""),
                    {"__metadata__ value of 'step' is 100, not a string"});
    expect_rejected(craft(R"({"__metadata__": ["pt"]})", ""), {"__metadata__ must be an object, got array"});
}

TEST_F(Safetensors, RejectsMissingFilesNamingThem) {
    try {
        read_safetensors(path("absent.safetensors"));
        ADD_FAILURE() << "read a file that does not exist";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(path("absent.safetensors")), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos) << e.what();
    }
}

TEST_F(Safetensors, SurvivesEveryTruncationOfAValidFile) {
    // Each prefix of a valid file is either rejected cleanly or (for the whole file) read back.
    write_safetensors(path("full.safetensors"),
                      {{"a", Tensor::from_vector({2, 2}, {1, 2, 3, 4})}, {"b", Tensor::from_ints({3}, {1, 2, 3})}},
                      {{"k", "v"}});
    std::string bytes = read_file_bytes(path("full.safetensors"));
    for (size_t length = 0; length < bytes.size(); ++length) {
        // A new name each time: truncating a file in place makes ext4 flush it on close.
        const std::string cut = path("cut-" + std::to_string(length) + ".safetensors");
        write_plain(cut, std::string_view(bytes).substr(0, length));
        EXPECT_THROW(read_safetensors(cut), Error) << "length " << length;
    }
    EXPECT_EQ(read_safetensors(path("full.safetensors")).tensors.size(), 2u);
}

// --- Writes are atomic (model/io/file_io.h; its own tests are in test_file_io.cpp) ----------------

TEST_F(Safetensors, WriteReplacesAnExistingFileWholeAndLeavesNoTemporary) {
    const std::string file = path("ckpt.safetensors");
    write_safetensors(file, {{"big", Tensor::zeros({1000})}});
    const auto big_size = std::filesystem::file_size(file);
    write_safetensors(file, {{"small", Tensor::scalar(3)}});
    EXPECT_LT(std::filesystem::file_size(file), big_size);
    SafetensorsFile read = read_safetensors(file);
    ASSERT_EQ(read.tensors.size(), 1u);
    EXPECT_EQ(read.get("small").item(), 3);
    EXPECT_FALSE(file_exists(file + ".tmp"));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(directory_), {}), 1);
}

}  // namespace
}  // namespace induction
