// tokenizer.h — a byte-level BPE tokenizer that we train ourselves on the corpus.
//
// Vocabulary (ids):
//   0..255        the 256 single bytes, so any byte string can be encoded;
//   256           <|endoftext|>, the document separator (END_OF_TEXT). Its id does not depend
//                 on the vocabulary size; encode() never produces it from text;
//   257..V-1      merged tokens, in the order they were learned (merge rank r makes id 257 + r).
//
// Text is first cut into chunks (split_chunks below, a hand-written GPT-2-like rule) and merges
// never cross a chunk boundary. Every byte lands in exactly one chunk, so decode(encode(x)) == x
// for any byte string: invalid UTF-8, NULs and all.
//
// Training counts distinct chunks once, then repeatedly merges the most frequent adjacent pair
// over the distinct chunks, updating pair counts incrementally (a pair -> chunks index plus a
// lazily cleaned max-heap). Ties go to the smaller (left id, right id), so training is
// reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace induction {

// Longest chunk split_chunks emits; longer runs are cut. Bounds the cost of encoding a chunk.
inline constexpr size_t MAX_CHUNK_BYTES = 64;

// Cuts text into pre-tokenisation chunks (views into text) whose concatenation is text:
//   - a letter run (ASCII letters and every byte >= 0x80, so UTF-8 words stay whole),
//     a digit run, or a run of other bytes (punctuation, controls), each with an optional
//     single leading space;
//   - a run of newlines;
//   - a run of other whitespace (space, \t, \r, \v, \f); when it ends in a space that is
//     followed by a letter, digit or other byte, that last space starts the next chunk instead.
// No chunk is longer than MAX_CHUNK_BYTES.
std::vector<std::string_view> split_chunks(std::string_view text);

class Tokenizer {
public:
    static constexpr int32_t BYTE_TOKENS = 256;
    static constexpr int32_t END_OF_TEXT = 256;  // id of <|endoftext|>
    static constexpr int32_t FIRST_MERGE = 257;  // id of the first learned merge
    static constexpr std::string_view END_OF_TEXT_TEXT = "<|endoftext|>";

    Tokenizer();  // bytes and <|endoftext|> only (vocab size 257)

    // Learns merges until the vocabulary has vocab_size tokens (>= 257), or fewer when the
    // documents run out of adjacent pairs.
    static Tokenizer train(const std::vector<std::string_view>& documents, int vocab_size);

    // Text -> token ids. Never emits END_OF_TEXT.
    std::vector<int32_t> encode(std::string_view text) const;
    // One token list per document; runs across documents with OpenMP.
    std::vector<std::vector<int32_t>> encode_batch(const std::vector<std::string_view>& documents) const;
    // Token ids -> bytes (END_OF_TEXT becomes "<|endoftext|>"). Throws on an id out of range.
    std::string decode(const std::vector<int32_t>& tokens) const;

    int vocab_size() const { return static_cast<int>(token_bytes_.size()); }
    // Bytes of one token.
    const std::string& token_bytes(int32_t id) const;
    // Learned merges in rank order: merges()[r] = {left, right} makes token FIRST_MERGE + r.
    const std::vector<std::pair<int32_t, int32_t>>& merges() const { return merges_; }

    // JSON file: {"format", "pretokenizer", "vocab_size", "end_of_text", "merges": [[l, r], ...],
    // "vocab": [hex bytes of each token]}. load() checks vocab against merges.
    void save(const std::string& path) const;
    static Tokenizer load(const std::string& path);

private:
    struct ChunkCache;
    // Appends the tokens of one chunk (at most MAX_CHUNK_BYTES long) to out.
    void encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const;
    // Appends the tokens of text to out, reusing tokens of chunks already in the cache.
    void encode_cached(std::string_view text, ChunkCache& cache, std::vector<int32_t>& out) const;
    void add_merge(int32_t left, int32_t right);

    std::vector<std::pair<int32_t, int32_t>> merges_;
    std::vector<std::string> token_bytes_;              // [vocab_size]
    std::unordered_map<uint64_t, int32_t> merge_rank_;  // pair key -> rank
};

}  // namespace induction
