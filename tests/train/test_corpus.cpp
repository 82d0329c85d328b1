// test_corpus.cpp — token files (write, map, validate) and the corpus loader, split and build,
// run on small fake source trees in a temporary directory. Only the last test reads the real
// Debian packages, and it skips (saying why) when they are not installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tensor/error.h"
#include "tests/support/testing.h"
#include "train/corpus.h"
#include "train/token_file.h"
#include "train/tokenizer.h"

namespace induction {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

std::string paragraph(int i) {
    return "Paragraph " + std::to_string(i) + " says the same thing again: the cat sat on the mat.\n\n";
}

// A fake tree with two text sources: notes/**/*.txt (one excluded directory) and code/**/*.py.
void write_fake_tree(const TempDir& root, bool reversed_creation_order) {
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 0; i < 12; ++i)
        files.emplace_back("notes/" + std::string(i % 2 ? "a/" : "b/deep/") + "n" + std::to_string(i) + ".txt",
                           paragraph(i) + paragraph(i + 1));
    for (int i = 0; i < 8; ++i) {
        const std::string n = std::to_string(i);
        files.emplace_back("code/m" + n + ".py", "def f" + n + "(x):\n    return x + " + n + "\n");
    }
    files.emplace_back("notes/skipme/hidden.txt", "excluded directory");
    files.emplace_back("notes/a/readme.md", "wrong suffix");
    files.emplace_back("notes/a/empty.txt", "");
    if (reversed_creation_order) std::reverse(files.begin(), files.end());
    for (const auto& [path, text] : files) root.write(path, text);
}

std::vector<CorpusSource> fake_sources() {
    CorpusSource notes{"notes", "fake-notes-package", "notes/**/*.txt", "test",
                       SourceFormat::TEXT_FILES, {"skipme"}, 0};
    CorpusSource code{"code", "fake-code-package", "code/**/*.py", "test", SourceFormat::TEXT_FILES, {}, 0};
    return {notes, code};
}

std::vector<std::string> names_in_order(const LoadedCorpus& corpus, const std::vector<size_t>& indices) {
    std::vector<std::string> names;
    for (size_t i : indices) names.push_back(corpus.documents[i].name);
    return names;
}

// ---- Token files ---------------------------------------------------------------------------

TEST(TokenFile, WriteThenMapRoundTrips) {
    TempDir dir;
    const std::vector<int32_t> tokens = {0, 1, 256, 4095, 17, 65535};
    for (TokenType type : {TokenType::UINT16, TokenType::INT32}) {
        const std::string path = dir / (std::string(token_type_name(type)) + ".tokens");
        write_token_file(path, tokens, type, 65536);
        EXPECT_EQ(static_cast<int64_t>(fs::file_size(path)), 6 * token_type_bytes(type));
        const TokenFile file = TokenFile::open(path, type, 65536);
        ASSERT_EQ(file.size(), 6);
        for (int64_t i = 0; i < file.size(); ++i) EXPECT_EQ(file[i], tokens[i]);
        std::vector<int32_t> window(3);
        file.copy(2, 3, window.data());
        EXPECT_EQ(window, (std::vector<int32_t>{256, 4095, 17}));
        EXPECT_THROW(file.copy(4, 3, window.data()), Error);
    }
    write_token_file(dir / "empty.tokens", {}, TokenType::UINT16, 10);
    EXPECT_EQ(TokenFile::open(dir / "empty.tokens", TokenType::UINT16, 10).size(), 0);
}

TEST(TokenFile, TypeHelpers) {
    EXPECT_EQ(smallest_token_type(65536), TokenType::UINT16);
    EXPECT_EQ(smallest_token_type(65537), TokenType::INT32);
    EXPECT_EQ(parse_token_type("int32"), TokenType::INT32);
    EXPECT_THROW(parse_token_type("int64"), Error);
}

TEST(TokenFile, RejectsASizeThatIsNotWholeTokens) {
    TempDir dir;
    write_file_atomic(dir / "odd.tokens", std::string(7, '\0'));
    EXPECT_THROW_MESSAGE(TokenFile::open(dir / "odd.tokens", TokenType::UINT16, 100),
                         "odd.tokens: size 7 bytes is not a whole number of tokens (expected a multiple of 2");
}

TEST(TokenFile, RejectsTokensOutsideTheVocabulary) {
    TempDir dir;
    write_token_file(dir / "big.tokens", {1, 2, 300, 4}, TokenType::INT32, 1000);
    EXPECT_THROW_MESSAGE(TokenFile::open(dir / "big.tokens", TokenType::INT32, 257),
                         "big.tokens: token 2 is 300 (expected 0 <= token < vocab_size 257)");
    EXPECT_THROW(write_token_file(dir / "x.tokens", {5, -1}, TokenType::UINT16, 10), Error);
    EXPECT_THROW(write_token_file(dir / "x.tokens", {5}, TokenType::UINT16, 70000), Error);
    EXPECT_FALSE(file_exists(dir / "x.tokens"));
}

// ---- Loading and splitting -----------------------------------------------------------------

TEST(Corpus, LoadsMatchingFilesInSortedOrder) {
    TempDir root;
    write_fake_tree(root, false);
    const LoadedCorpus corpus = load_documents(fake_sources(), root.path);
    ASSERT_EQ(corpus.sources.size(), 2u);
    EXPECT_TRUE(corpus.sources[0].found);
    EXPECT_EQ(corpus.sources[0].files, 13);      // 12 notes + the empty one; not skipme/, not .md
    EXPECT_EQ(corpus.sources[0].documents, 12);  // the empty file is dropped
    EXPECT_EQ(corpus.sources[1].documents, 8);
    ASSERT_EQ(corpus.documents.size(), 20u);
    EXPECT_EQ(corpus.documents[0].name, "notes/a/n1.txt");
    EXPECT_EQ(corpus.documents[0].text, paragraph(1) + paragraph(2));
    EXPECT_EQ(corpus.documents[12].name, "code/m0.py");
    for (size_t i = 1; i < 12; ++i) EXPECT_LT(corpus.documents[i - 1].name, corpus.documents[i].name);
    for (const Document& document : corpus.documents) EXPECT_EQ(document.name.find("skipme"), std::string::npos);
}

TEST(Corpus, OrderDoesNotDependOnTheFileSystemAndFollowsTheSeed) {
    TempDir first, second;
    write_fake_tree(first, false);
    write_fake_tree(second, true);
    const LoadedCorpus a = load_documents(fake_sources(), first.path);
    const LoadedCorpus b = load_documents(fake_sources(), second.path);
    const CorpusSplit split_a = split_documents(a.documents, 42, 0.1);
    const CorpusSplit split_b = split_documents(b.documents, 42, 0.1);
    EXPECT_EQ(names_in_order(a, split_a.train), names_in_order(b, split_b.train));
    EXPECT_EQ(names_in_order(a, split_a.heldout), names_in_order(b, split_b.heldout));
    const CorpusSplit other_seed = split_documents(a.documents, 43, 0.1);
    EXPECT_NE(names_in_order(a, split_a.train), names_in_order(a, other_seed.train));
}

TEST(Corpus, SplitHoldsOutSomeOfEverySource) {
    TempDir root;
    write_fake_tree(root, false);
    const LoadedCorpus corpus = load_documents(fake_sources(), root.path);
    const CorpusSplit split = split_documents(corpus.documents, 7, 0.2);
    // round(0.2 * 12) = 2 notes, round(0.2 * 8) = 2 code files.
    std::map<std::string, int> heldout_per_source;
    for (size_t i : split.heldout) heldout_per_source[corpus.documents[i].source] += 1;
    EXPECT_EQ(heldout_per_source["notes"], 2);
    EXPECT_EQ(heldout_per_source["code"], 2);
    std::set<size_t> all(split.train.begin(), split.train.end());
    all.insert(split.heldout.begin(), split.heldout.end());
    EXPECT_EQ(all.size(), corpus.documents.size());
    EXPECT_EQ(split.train.size() + split.heldout.size(), corpus.documents.size());

    EXPECT_TRUE(split_documents(corpus.documents, 7, 0.0).heldout.empty());
    EXPECT_EQ(split_documents(corpus.documents, 7, 0.001).heldout.size(), 2u);  // at least one per source
    EXPECT_EQ(split_documents(corpus.documents, 7, 0.99).train.size(), 2u);     // never a whole source
    EXPECT_THROW(split_documents(corpus.documents, 7, 1.0), Error);
}

TEST(Corpus, SplitsLargeFilesAtBlankLines) {
    TempDir root;
    std::string text;
    for (int i = 0; i < 40; ++i) text += paragraph(i);
    root.write("big/book.txt", text);
    CorpusSource source{"book", "fake", "big/book.txt", "test", SourceFormat::TEXT_FILES, {}, 500};
    const LoadedCorpus corpus = load_documents({source}, root.path);
    ASSERT_GT(corpus.documents.size(), 3u);
    std::string joined;
    for (size_t k = 0; k < corpus.documents.size(); ++k) {
        const Document& piece = corpus.documents[k];
        EXPECT_EQ(piece.name, "big/book.txt#" + std::to_string(k));
        if (k + 1 < corpus.documents.size()) {
            EXPECT_GE(piece.text.size(), 500u);
            EXPECT_EQ(piece.text.substr(piece.text.size() - 2), "\n\n");
        }
        joined += piece.text;
    }
    EXPECT_EQ(joined, text);
}

TEST(Corpus, ReadsGzipSources) {
    if (std::system("command -v gzip > /dev/null") != 0) GTEST_SKIP() << "gzip is not installed";
    TempDir root;
    const std::string text = paragraph(1) + paragraph(2);
    FILE* pipe = ::popen(("gzip -c > " + (root / "text.gz")).c_str(), "w");
    ASSERT_NE(pipe, nullptr);
    std::fwrite(text.data(), 1, text.size(), pipe);
    ASSERT_EQ(::pclose(pipe), 0);
    CorpusSource source{"zipped", "fake", "text.gz", "test", SourceFormat::GZIP_TEXT, {}, 0};
    const LoadedCorpus corpus = load_documents({source}, root.path);
    ASSERT_EQ(corpus.documents.size(), 1u);
    EXPECT_EQ(corpus.documents[0].text, text);
}

TEST(Corpus, ReportsMissingSourcesWithTheInstallCommand) {
    TempDir root;
    write_fake_tree(root, false);
    std::vector<CorpusSource> sources = fake_sources();
    sources.push_back({"absent", "absent-package", "nowhere/**/*.txt", "test", SourceFormat::TEXT_FILES, {}, 0});
    sources.push_back({"absent-file", "other-package", "nowhere/file.gz", "test", SourceFormat::GZIP_TEXT, {}, 0});
    const LoadedCorpus corpus = load_documents(sources, root.path);
    EXPECT_TRUE(corpus.sources[0].found);
    EXPECT_FALSE(corpus.sources[2].found);
    EXPECT_FALSE(corpus.sources[3].found);
    EXPECT_EQ(corpus.documents.size(), 20u);
    EXPECT_NE(describe_sources(corpus).find("MISSING"), std::string::npos);
    EXPECT_THROW_MESSAGE(require_sources(corpus),
                         "; install them with: sudo apt-get install absent-package other-package");
    EXPECT_NO_THROW(require_sources(load_documents(fake_sources(), root.path)));
}

// ---- Building ------------------------------------------------------------------------------

TEST(Corpus, BuildWritesTokensTokenizerAndDescriptionThenCaches) {
    TempDir root, out;
    write_fake_tree(root, false);
    CorpusOptions options;
    options.out_dir = out / "corpus";
    options.vocab_size = 300;
    options.seed = 5;
    options.heldout_fraction = 0.2;
    options.root = root.path;
    options.sources = fake_sources();
    const CorpusInfo info = build_corpus(options);
    EXPECT_TRUE(info.rebuilt);
    EXPECT_EQ(info.vocab_size, 300);
    EXPECT_EQ(info.token_type, TokenType::UINT16);

    // The token files decode to the documents of the split, in order, each ending in <|endoftext|>.
    const LoadedCorpus corpus = load_documents(options.sources, options.root);
    const CorpusSplit split = split_documents(corpus.documents, options.seed, options.heldout_fraction);
    const Tokenizer tokenizer = Tokenizer::load(info.tokenizer_path());
    auto expected_text = [&](const std::vector<size_t>& indices) {
        std::string text;
        for (size_t i : indices) text += corpus.documents[i].text + "<|endoftext|>";
        return text;
    };
    for (const auto& [path, indices, count] :
         {std::tuple{info.train_path(), split.train, info.train_tokens},
          std::tuple{info.heldout_path(), split.heldout, info.heldout_tokens}}) {
        const TokenFile file = TokenFile::open(path, info.token_type, info.vocab_size);
        EXPECT_EQ(file.size(), count);
        std::vector<int32_t> tokens(file.size());
        file.copy(0, file.size(), tokens.data());
        EXPECT_EQ(tokenizer.decode(tokens), expected_text(indices));
        EXPECT_EQ(std::count(tokens.begin(), tokens.end(), Tokenizer::END_OF_TEXT),
                  static_cast<int64_t>(indices.size()));
    }

    const json::Value description = json::read_file(options.out_dir + "/corpus.json");
    EXPECT_EQ(description.at("seed").as_int(), 5);
    EXPECT_EQ(description.at("sources").size(), 2u);
    EXPECT_EQ(description.at("sources")[0].at("documents").as_int(), 12);
    EXPECT_EQ(description.at("heldout").at("documents").as_int(), 4);
    EXPECT_EQ(description.at("heldout_documents").size(), 4u);

    const CorpusInfo again = build_corpus(options);
    EXPECT_FALSE(again.rebuilt);
    EXPECT_EQ(again.train_tokens, info.train_tokens);
    const CorpusInfo read = read_corpus_info(options.out_dir);
    EXPECT_EQ(read.heldout_tokens, info.heldout_tokens);

    // A built corpus is never rebuilt in place under the runs that use it: other options (a
    // d_vocab 1000 config pointed at data/corpus-512 once did this) or damaged files are refused,
    // naming corpus.json and the field, and the corpus is left as it was.
    const std::string before = read_file_bytes(options.out_dir + "/train.tokens");
    CorpusOptions other_vocab = options;
    other_vocab.vocab_size = 280;
    EXPECT_THROW_MESSAGE(build_corpus(other_vocab), "corpus.json: field 'requested_vocab_size' is 300 but 280 "
                                                    "was asked for");
    CorpusOptions other_seed = options;
    other_seed.seed = 6;
    EXPECT_THROW_MESSAGE(build_corpus(other_seed), "field 'seed' is 5 but 6 was asked for");
    EXPECT_EQ(read_file_bytes(options.out_dir + "/train.tokens"), before);
    fs::resize_file(options.out_dir + "/heldout.tokens", 6);
    EXPECT_THROW_MESSAGE(build_corpus(options), "heldout.tokens: holds 6 bytes");
    // Without corpus.json (a build killed before its last file) the directory is built afresh.
    fs::remove(options.out_dir + "/corpus.json");
    EXPECT_TRUE(build_corpus(options).rebuilt);
}

TEST(Corpus, BuildRefusesWhenASourceIsMissing) {
    TempDir root, out;
    CorpusOptions options;
    options.out_dir = out / "corpus";
    options.root = root.path;
    options.sources = fake_sources();
    EXPECT_THROW_MESSAGE(build_corpus(options), "sudo apt-get install fake-notes-package fake-code-package");
    EXPECT_FALSE(file_exists(options.out_dir + "/corpus.json"));
}

TEST(Corpus, BuiltinSourcesWhenInstalled) {
    const LoadedCorpus corpus = load_documents(builtin_sources());
    for (const SourceReport& source : corpus.sources)
        if (!source.found)
            GTEST_SKIP() << "Debian package " << source.package << " is not installed (missing " << source.missing
                         << "); install it to test the built-in corpus";
    int64_t bytes = 0;
    for (const SourceReport& source : corpus.sources) bytes += source.bytes;
    EXPECT_GE(bytes, 25'000'000);
    EXPECT_EQ(corpus.sources[0].documents, 66);  // the books of the King James Bible
    EXPECT_EQ(corpus.documents.front().name, "Genesis");
    EXPECT_TRUE(corpus.documents.front().text.starts_with(
        "Genesis 1\n\n  1 In the beginning God created the heaven and the earth.\n"))
        << corpus.documents.front().text.substr(0, 100);
    EXPECT_EQ(corpus.documents[65].name, "Revelation");
}

}  // namespace
}  // namespace induction
