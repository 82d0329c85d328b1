// test_tokenizer.cpp — byte-level BPE: chunking, exact round trips, training against a slow
// reference trainer, determinism, save/load.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tensor/error.h"
#include "tests/support/testing.h"
#include "train/tokenizer.h"

namespace induction {
namespace {

const char* ENGLISH =
    "In the beginning the engineers wrote the tokenizer, and the tokenizer was good. "
    "Then they trained the model on the text, and the model learned the text.\n\n"
    "    def forward(self, tokens):\n        return self.blocks(tokens)  # 42 heads\n";

std::vector<std::string> random_documents(uint32_t seed, int count, int length, std::string_view alphabet) {
    std::mt19937 rng(seed);
    std::vector<std::string> documents(count);
    for (std::string& document : documents)
        for (int i = 0; i < length; ++i) document += alphabet[rng() % alphabet.size()];
    return documents;
}

std::string random_bytes(uint32_t seed, int length) {
    std::mt19937 rng(seed);
    std::string bytes;
    for (int i = 0; i < length; ++i) bytes += static_cast<char>(rng() & 0xff);
    return bytes;
}

std::vector<std::string_view> views(const std::vector<std::string>& documents) {
    return {documents.begin(), documents.end()};
}

// The obviously-right trainer: recount every pair over every distinct chunk before each merge;
// take the highest count, ties to the smallest (left, right).
std::vector<std::pair<int32_t, int32_t>> reference_merges(const std::vector<std::string>& documents, int vocab_size) {
    std::map<std::string, int64_t> chunk_counts;
    for (const std::string& document : documents)
        for (std::string_view chunk : split_chunks(document)) chunk_counts[std::string(chunk)] += 1;
    std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
    for (const auto& [chunk, count] : chunk_counts) {
        std::vector<int32_t> symbols;
        for (unsigned char b : chunk) symbols.push_back(b);
        words.emplace_back(symbols, count);
    }
    std::vector<std::pair<int32_t, int32_t>> merges;
    for (int32_t id = Tokenizer::FIRST_MERGE; id < vocab_size; ++id) {
        std::map<std::pair<int32_t, int32_t>, int64_t> pair_counts;
        for (const auto& [symbols, count] : words)
            for (size_t i = 0; i + 1 < symbols.size(); ++i) pair_counts[{symbols[i], symbols[i + 1]}] += count;
        if (pair_counts.empty()) break;
        auto best = pair_counts.begin();
        for (auto it = pair_counts.begin(); it != pair_counts.end(); ++it)
            if (it->second > best->second) best = it;
        merges.push_back(best->first);
        for (auto& [symbols, count] : words) {
            std::vector<int32_t> merged;
            for (size_t i = 0; i < symbols.size(); ++i) {
                if (i + 1 < symbols.size() && std::make_pair(symbols[i], symbols[i + 1]) == best->first) {
                    merged.push_back(id);
                    ++i;
                } else {
                    merged.push_back(symbols[i]);
                }
            }
            symbols = merged;
        }
    }
    return merges;
}

// The obviously-right encoder: replay every merge, in the order learned, on each chunk.
std::vector<int32_t> reference_encode(const Tokenizer& tokenizer, std::string_view text) {
    std::vector<int32_t> tokens;
    for (std::string_view chunk : split_chunks(text)) {
        std::vector<int32_t> symbols;
        for (unsigned char b : chunk) symbols.push_back(b);
        for (size_t r = 0; r < tokenizer.merges().size(); ++r) {
            std::vector<int32_t> merged;
            for (size_t i = 0; i < symbols.size(); ++i) {
                if (i + 1 < symbols.size() && std::make_pair(symbols[i], symbols[i + 1]) == tokenizer.merges()[r]) {
                    merged.push_back(Tokenizer::FIRST_MERGE + static_cast<int32_t>(r));
                    ++i;
                } else {
                    merged.push_back(symbols[i]);
                }
            }
            symbols = merged;
        }
        tokens.insert(tokens.end(), symbols.begin(), symbols.end());
    }
    return tokens;
}

TEST(SplitChunks, FollowsTheChunkRules) {
    const std::vector<std::string_view> expected = {
        "Hello", ",", " world", "  ", " foo", "\n\n", "  ", " x", "=", "12", " +", " 3", "\t", "\n", " ", "\n",
        "caf\xc3\xa9", " ", "\n", " __", "init", "__(", "self", "):", "  "};
    EXPECT_EQ(split_chunks("Hello, world   foo\n\n   x=12 + 3\t\n \ncaf\xc3\xa9 \n __init__(self):  "), expected);
}

TEST(SplitChunks, ConcatenationIsTheInputAndChunksAreBounded) {
    for (uint32_t seed = 0; seed < 20; ++seed) {
        std::string text = random_bytes(seed, 3000) + std::string(200, 'a') + std::string(150, ' ') + "x";
        std::string joined;
        for (std::string_view chunk : split_chunks(text)) {
            EXPECT_GT(chunk.size(), 0u);
            EXPECT_LE(chunk.size(), MAX_CHUNK_BYTES);
            joined += chunk;
        }
        EXPECT_EQ(joined, text);
    }
    EXPECT_TRUE(split_chunks("").empty());
}

TEST(Tokenizer, UntrainedTokenizerIsBytes) {
    Tokenizer tokenizer;
    EXPECT_EQ(tokenizer.vocab_size(), 257);
    const std::string text("a\0b\xff", 4);
    EXPECT_EQ(tokenizer.encode(text), (std::vector<int32_t>{'a', 0, 'b', 255}));
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text)), text);
}

TEST(Tokenizer, RoundTripsAnyBytes) {
    std::vector<std::string> documents = {ENGLISH, random_bytes(1, 5000)};
    const Tokenizer tokenizer = Tokenizer::train(views(documents), 400);
    std::vector<std::string> texts = {
        "",
        std::string("\0\0\0", 3),
        "\xff\xfe\xc3(\xa0\xa1 invalid \xe2\x82 utf8 \xf0\x28\x8c\xbc",
        "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x98\x80",
        "<|endoftext|> is just text here",
        "\r\n\r\n\t \t  \v\f   \n",
        std::string(1000, ' ') + std::string(1000, 'z') + std::string(500, '9'),
        ENGLISH,
    };
    for (uint32_t seed = 10; seed < 30; ++seed) texts.push_back(random_bytes(seed, 1 + seed * 97));
    for (const std::string& text : texts) {
        const std::vector<int32_t> tokens = tokenizer.encode(text);
        EXPECT_EQ(tokenizer.decode(tokens), text);
        for (int32_t id : tokens) {
            EXPECT_GE(id, 0);
            EXPECT_LT(id, tokenizer.vocab_size());
            EXPECT_NE(id, Tokenizer::END_OF_TEXT);
        }
    }
}

TEST(Tokenizer, TrainingMatchesTheReferenceTrainer) {
    // Few distinct symbols make long runs ("aaaa"), overlapping pairs and many ties.
    const std::vector<std::string> small_alphabet = random_documents(7, 30, 200, "aab b\n1");
    const std::vector<std::string> text = {ENGLISH, ENGLISH, "the then there these theses"};
    for (const auto* documents : {&small_alphabet, &text}) {
        const Tokenizer tokenizer = Tokenizer::train(views(*documents), 340);
        EXPECT_EQ(tokenizer.merges(), reference_merges(*documents, 340));
        for (const std::string& document : *documents)
            EXPECT_EQ(tokenizer.encode(document), reference_encode(tokenizer, document));
    }
}

TEST(Tokenizer, TiesGoToTheSmallerPair) {
    EXPECT_EQ(Tokenizer::train({"cd", "ab"}, 258).merges(),
              (std::vector<std::pair<int32_t, int32_t>>{{'a', 'b'}}));
    EXPECT_EQ(Tokenizer::train({"cd", "ab", "cd"}, 258).merges(),
              (std::vector<std::pair<int32_t, int32_t>>{{'c', 'd'}}));
}

TEST(Tokenizer, TrainingIsDeterministicAndIgnoresDocumentOrder) {
    std::vector<std::string> documents = random_documents(3, 40, 300, "the quick brown fox, 0123\n");
    documents.push_back(ENGLISH);
    const Tokenizer first = Tokenizer::train(views(documents), 500);
    const Tokenizer second = Tokenizer::train(views(documents), 500);
    std::reverse(documents.begin(), documents.end());
    const Tokenizer reversed = Tokenizer::train(views(documents), 500);
    EXPECT_EQ(first.merges(), second.merges());
    EXPECT_EQ(first.merges(), reversed.merges());
}

TEST(Tokenizer, VocabSizeIsRespected) {
    const std::vector<std::string> documents = {ENGLISH, random_bytes(4, 20000)};
    for (int vocab_size : {257, 258, 300, 1000}) {
        const Tokenizer tokenizer = Tokenizer::train(views(documents), vocab_size);
        EXPECT_EQ(tokenizer.vocab_size(), vocab_size);
        EXPECT_EQ(tokenizer.merges().size(), static_cast<size_t>(vocab_size - 257));
    }
    // A tiny corpus runs out of pairs: the vocabulary stops short, never overshoots.
    const Tokenizer tiny = Tokenizer::train({"abc"}, 1000);
    EXPECT_EQ(tiny.vocab_size(), 259);
    EXPECT_EQ(tiny.encode("abc"), (std::vector<int32_t>{258}));
    EXPECT_THROW(Tokenizer::train({"abc"}, 256), Error);
}

TEST(Tokenizer, MergesMakeTextShorter) {
    const std::vector<std::string> documents = {ENGLISH};
    const Tokenizer tokenizer = Tokenizer::train(views(documents), 320);
    const std::string text = "the engineers trained the model on the text";
    EXPECT_LT(tokenizer.encode(text).size(), text.size() / 2);
    EXPECT_LT(tokenizer.encode(ENGLISH).size(), Tokenizer().encode(ENGLISH).size() / 2);
    EXPECT_EQ(tokenizer.token_bytes(Tokenizer::FIRST_MERGE).size(), 2u);
}

TEST(Tokenizer, EncodeBatchEqualsEncode) {
    std::vector<std::string> documents = random_documents(5, 25, 500, "abc de\n\xc3\xa9,.");
    const Tokenizer tokenizer = Tokenizer::train(views(documents), 350);
    const auto batch = tokenizer.encode_batch(views(documents));
    ASSERT_EQ(batch.size(), documents.size());
    for (size_t d = 0; d < documents.size(); ++d) EXPECT_EQ(batch[d], tokenizer.encode(documents[d]));
}

TEST(Tokenizer, DecodeHandlesEndOfTextAndRejectsBadIds) {
    Tokenizer tokenizer;
    EXPECT_EQ(tokenizer.decode({'h', 'i', Tokenizer::END_OF_TEXT}), "hi<|endoftext|>");
    EXPECT_THROW(tokenizer.decode({257}), Error);
    EXPECT_THROW(tokenizer.decode({-1}), Error);
}

TEST(Tokenizer, SaveLoadRoundTripGivesIdenticalEncodings) {
    const std::vector<std::string> documents = {ENGLISH, random_bytes(6, 4000)};
    const Tokenizer tokenizer = Tokenizer::train(views(documents), 420);
    const testing::TempDir dir;
    tokenizer.save(dir / "tokenizer.json");
    const Tokenizer loaded = Tokenizer::load(dir / "tokenizer.json");
    EXPECT_EQ(loaded.vocab_size(), tokenizer.vocab_size());
    EXPECT_EQ(loaded.merges(), tokenizer.merges());
    for (int32_t id = 0; id < tokenizer.vocab_size(); ++id)
        EXPECT_EQ(loaded.token_bytes(id), tokenizer.token_bytes(id));
    for (const std::string& text : {std::string(ENGLISH), random_bytes(8, 3000)})
        EXPECT_EQ(loaded.encode(text), tokenizer.encode(text));
}

TEST(Tokenizer, LoadRejectsInconsistentFiles) {
    const std::vector<std::string> documents = {ENGLISH};
    const testing::TempDir dir;
    const std::string path = dir / "tokenizer.json";
    const Tokenizer tokenizer = Tokenizer::train(views(documents), 260);
    tokenizer.save(path);
    const std::string good = read_file_bytes(path);
    // Each edit breaks the file in one field; the error must name that field.
    auto write_edited = [&](std::string_view from, std::string_view to) {
        std::string edited = good;
        edited.replace(edited.find(from), from.size(), to);
        write_file_atomic(path, edited);
    };
    write_edited("\"00\"", "\"01\"");
    EXPECT_THROW_MESSAGE(Tokenizer::load(path), "field 'vocab[0]' is \"01\"");
    write_edited("\"vocab_size\": 260", "\"vocab_size\": 261");
    EXPECT_THROW_MESSAGE(Tokenizer::load(path), "field 'vocab_size' is 261");
    write_edited("induction-byte-bpe-1", "something-else");
    EXPECT_THROW_MESSAGE(Tokenizer::load(path), "field 'format' is something-else");
    const auto [left, right] = tokenizer.merges()[0];
    const std::string first_merge = "[" + std::to_string(left) + ", " + std::to_string(right) + "]";
    const std::string broken_merge = "[" + std::to_string(left) + ", 999]";
    write_edited(first_merge, broken_merge);
    EXPECT_THROW_MESSAGE(Tokenizer::load(path), "field 'merges[0]' is " + broken_merge);
}

// A tokenizer file: the bytes-only tokenizer's, with these merges, "vocab" listing the bytes of
// every token in hex as save() writes it, and "vocab_size" to match.
std::string tokenizer_file_with_merges(const std::vector<std::pair<int, int>>& merges) {
    const testing::TempDir dir;
    Tokenizer().save(dir / "bytes.json");
    json::Value root = json::read_file(dir / "bytes.json");
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, static_cast<char>(b)));
    tokens.push_back(std::string(Tokenizer::END_OF_TEXT_TEXT));
    json::Value merge_list = json::Value::array();
    for (const auto& [left, right] : merges) {
        merge_list.push_back(json::Value::array({left, right}));
        tokens.push_back(tokens[left] + tokens[right]);
    }
    json::Value vocab = json::Value::array();
    for (const std::string& token : tokens) {
        std::string hex;
        for (unsigned char b : token) hex += "0123456789abcdef"[b >> 4], hex += "0123456789abcdef"[b & 15];
        vocab.push_back(hex);
    }
    root["merges"] = merge_list;
    root["vocab"] = vocab;
    root["vocab_size"] = static_cast<int64_t>(tokens.size());
    return json::dump(root);
}

TEST(Tokenizer, LoadBoundsTheLengthOfMergedTokens) {
    // Each merge joins the previous token to itself, doubling it: consistent in every other way,
    // but r merges ask for 2^r bytes. No trained token is longer than a chunk (64 bytes), and
    // merges[6] would make 128.
    std::vector<std::pair<int, int>> doubling = {{'a', 'a'}};
    for (int r = 1; r < 8; ++r) doubling.push_back({Tokenizer::FIRST_MERGE + r - 1, Tokenizer::FIRST_MERGE + r - 1});
    const testing::TempDir dir;
    dir.write("doubling.json", tokenizer_file_with_merges(doubling));
    EXPECT_THROW_MESSAGE(Tokenizer::load(dir / "doubling.json"),
                         "field 'merges[6]' is a token of 128 bytes (expected at most max_chunk_bytes = 64)");
    doubling.resize(6);  // tokens up to 64 bytes load
    dir.write("ok.json", tokenizer_file_with_merges(doubling));
    EXPECT_EQ(Tokenizer::load(dir / "ok.json").token_bytes(Tokenizer::FIRST_MERGE + 5), std::string(64, 'a'));
}

TEST(Tokenizer, LoadErrorsNameTheFileAndTheFieldOnOneLine) {
    const testing::TempDir dir;
    const std::string path = dir / "tokenizer.json";
    const std::string good = tokenizer_file_with_merges({{'a', 'b'}});
    // Each edit gives a field the wrong JSON kind (or removes it); the message must say which.
    const std::vector<std::tuple<std::string, std::string, std::string>> edits = {
        {"\"merges\":[[97,98]]", "\"merges\":{}", "field 'merges' is a JSON object (expected a JSON array)"},
        {"[[97,98]]", "[97]", "field 'merges[0]' is a JSON number (expected a JSON array)"},
        {"[[97,98]]", "[[97,98.5]]", "field 'merges[0][1]' is 98.5 (expected an integer"},
        {"[[97,98]]", "[[\"a\",98]]", "field 'merges[0][0]' is a JSON string (expected a JSON number)"},
        {"\"id\":256", "\"number\":256", "field 'end_of_text.id' is missing"},
        {"\"vocab_size\":258", "\"vocab_size\":null", "field 'vocab_size' is a JSON null"},
        {"\"6162\"", "6162", "field 'vocab[257]' is a JSON number (expected a JSON string)"},
        {"\"6162\"", "\"61\\n62\"", "field 'vocab[257]' is \"61\\x0A62\""},
        {"induction-byte-bpe-1", "bpe\\u001b[31m", "field 'format' is bpe\\x1B[31m"},
    };
    for (const auto& [from, to, phrase] : edits) {
        std::string edited = good;
        ASSERT_NE(edited.find(from), std::string::npos) << from;
        edited.replace(edited.find(from), from.size(), to);
        dir.write("tokenizer.json", edited);
        try {
            Tokenizer::load(path);
            ADD_FAILURE() << "loaded a file with " << to;
        } catch (const Error& e) {
            const std::string message = e.what();
            EXPECT_NE(message.find("Tokenizer::load: " + path + ": " + phrase), std::string::npos) << message;
            EXPECT_EQ(message.find('\n'), std::string::npos) << message;
        }
    }
    dir.write("tokenizer.json", "[1, 2]");
    EXPECT_THROW_MESSAGE(Tokenizer::load(path), "field '(the document)' is a JSON array (expected a JSON object)");
}

}  // namespace
}  // namespace induction
