// tokenizer.cpp — byte-level BPE: chunking, merge learning, encoding, decoding, JSON files.
#include "train/tokenizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <queue>

#include "model/io/json.h"
#include "tensor/error.h"

namespace induction {

namespace {

// ---- Pre-tokenisation ----------------------------------------------------------------------

enum class ByteClass : uint8_t { LETTER, DIGIT, SPACE, NEWLINE, OTHER };

constexpr std::array<ByteClass, 256> make_byte_classes() {
    std::array<ByteClass, 256> classes{};
    for (int b = 0; b < 256; ++b) {
        ByteClass c = ByteClass::OTHER;
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b >= 0x80) c = ByteClass::LETTER;
        else if (b >= '0' && b <= '9') c = ByteClass::DIGIT;
        else if (b == '\n') c = ByteClass::NEWLINE;
        else if (b == ' ' || b == '\t' || b == '\r' || b == '\v' || b == '\f') c = ByteClass::SPACE;
        classes[b] = c;
    }
    return classes;
}
constexpr std::array<ByteClass, 256> BYTE_CLASSES = make_byte_classes();

ByteClass byte_class(char c) { return BYTE_CLASSES[static_cast<unsigned char>(c)]; }

// Letters, digits and other bytes may carry one leading space.
bool takes_leading_space(ByteClass c) {
    return c == ByteClass::LETTER || c == ByteClass::DIGIT || c == ByteClass::OTHER;
}

// ---- Pairs ---------------------------------------------------------------------------------

uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t pair_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t pair_right(uint64_t key) { return static_cast<int32_t>(key & 0xffffffffu); }

// Replaces every non-overlapping (left, right), scanning left to right, by merged. Returns the new length.
size_t merge_pair_in_place(int32_t* symbols, size_t n, int32_t left, int32_t right, int32_t merged) {
    size_t write = 0;
    for (size_t read = 0; read < n;) {
        if (read + 1 < n && symbols[read] == left && symbols[read + 1] == right) {
            symbols[write++] = merged;
            read += 2;
        } else {
            symbols[write++] = symbols[read++];
        }
    }
    return write;
}

// ---- Merge learning ------------------------------------------------------------------------

// One distinct chunk during training: its current symbols and how often it occurs.
struct Word {
    std::vector<int32_t> symbols;
    int64_t count = 0;
};

// Pair counts over the distinct chunks, kept up to date as merges are applied.
// The heap may hold stale entries; invariant: every live pair has an entry whose count is
// >= its true count, so the first entry whose count is exact is the true maximum.
class MergeLearner {
public:
    explicit MergeLearner(std::vector<Word> words) : words_(std::move(words)) {
        for (int32_t w = 0; w < static_cast<int32_t>(words_.size()); ++w) {
            const Word& word = words_[w];
            for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
                uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
                pair_count_[key] += word.count;
                std::vector<int32_t>& holders = pair_words_[key];
                if (holders.empty() || holders.back() != w) holders.push_back(w);
            }
        }
        for (const auto& [key, count] : pair_count_) heap_.push({count, key});
    }

    // The most frequent pair (ties: smaller left id, then smaller right id); false when none is left.
    bool best_pair(uint64_t& key) {
        while (!heap_.empty()) {
            HeapEntry top = heap_.top();
            heap_.pop();
            auto found = pair_count_.find(top.key);
            int64_t actual = found == pair_count_.end() ? 0 : found->second;
            if (actual == top.count) {
                key = top.key;
                return true;
            }
            if (actual > 0) heap_.push({actual, top.key});
        }
        return false;
    }

    // Applies the merge key -> merged to every chunk that holds the pair.
    void merge(uint64_t key, int32_t merged) {
        const int32_t left = pair_left(key), right = pair_right(key);
        std::vector<int32_t> holders = std::move(pair_words_[key]);
        pair_words_.erase(key);
        std::vector<uint64_t> grown;  // pairs whose count went up (they all contain merged)
        std::vector<std::pair<uint64_t, int64_t>> deltas;
        for (int32_t w : holders) {
            Word& word = words_[w];
            deltas.clear();
            add_pairs(word.symbols, -1, deltas);
            size_t n = merge_pair_in_place(word.symbols.data(), word.symbols.size(), left, right, merged);
            if (n == word.symbols.size()) continue;  // listed twice, or the pair is already gone
            word.symbols.resize(n);
            add_pairs(word.symbols, +1, deltas);
            apply_deltas(w, deltas, grown);
        }
        std::sort(grown.begin(), grown.end());
        grown.erase(std::unique(grown.begin(), grown.end()), grown.end());
        for (uint64_t g : grown) heap_.push({pair_count_[g], g});
    }

private:
    struct HeapEntry {
        int64_t count;
        uint64_t key;
        // Max-heap on count; on equal counts the smaller key comes out first.
        bool operator<(const HeapEntry& other) const {
            return count != other.count ? count < other.count : key > other.key;
        }
    };

    static void add_pairs(const std::vector<int32_t>& symbols, int64_t sign,
                          std::vector<std::pair<uint64_t, int64_t>>& deltas) {
        for (size_t i = 0; i + 1 < symbols.size(); ++i)
            deltas.emplace_back(pair_key(symbols[i], symbols[i + 1]), sign);
    }

    // Adds one word's net pair changes (times its count) to the global counts.
    void apply_deltas(int32_t w, std::vector<std::pair<uint64_t, int64_t>>& deltas,
                      std::vector<uint64_t>& grown) {
        std::sort(deltas.begin(), deltas.end());
        for (size_t i = 0; i < deltas.size();) {
            uint64_t key = deltas[i].first;
            int64_t net = 0;
            for (; i < deltas.size() && deltas[i].first == key; ++i) net += deltas[i].second;
            if (net == 0) continue;
            int64_t& count = pair_count_[key];
            count += net * words_[w].count;
            if (net > 0) {
                grown.push_back(key);
                std::vector<int32_t>& holders = pair_words_[key];
                if (holders.empty() || holders.back() != w) holders.push_back(w);
            } else if (count == 0) {
                pair_count_.erase(key);
                pair_words_.erase(key);
            }
        }
    }

    std::vector<Word> words_;
    std::unordered_map<uint64_t, int64_t> pair_count_;
    std::unordered_map<uint64_t, std::vector<int32_t>> pair_words_;  // pair -> words that may hold it
    std::priority_queue<HeapEntry> heap_;
};

// Distinct chunks of all documents with their counts (chunks of one byte have no pairs: skipped).
std::vector<Word> count_chunks(const std::vector<std::string_view>& documents) {
    std::unordered_map<std::string_view, int64_t> counts;
    for (std::string_view document : documents)
        for (std::string_view chunk : split_chunks(document))
            if (chunk.size() > 1) ++counts[chunk];
    std::vector<Word> words;
    words.reserve(counts.size());
    for (const auto& [chunk, count] : counts) {
        Word word;
        word.symbols.assign(chunk.begin(), chunk.end());
        for (int32_t& s : word.symbols) s = static_cast<unsigned char>(s);
        word.count = count;
        words.push_back(std::move(word));
    }
    return words;
}

// ---- JSON helpers --------------------------------------------------------------------------

const char* HEX_DIGITS = "0123456789abcdef";

std::string to_hex(std::string_view bytes) {
    std::string hex;
    hex.reserve(2 * bytes.size());
    for (unsigned char b : bytes) {
        hex.push_back(HEX_DIGITS[b >> 4]);
        hex.push_back(HEX_DIGITS[b & 15]);
    }
    return hex;
}

constexpr std::string_view FILE_FORMAT = "induction-byte-bpe-1";
constexpr std::string_view PRETOKENIZER = "induction-chunks-1";

// Checked reads of a tokenizer file's fields. A mismatch throws one line naming the file, the
// field ("merges[3][0]") and what was expected; text from the file is shown escaped.
class FieldReader {
public:
    using Kind = json::Value::Kind;
    explicit FieldReader(const std::string& path) : path_(path) {}

    template <class Got, class Expected>
    void expect(bool ok, const std::string& field, const Got& got, const Expected& expected) const {
        check(ok, "Tokenizer::load: ", path_, ": field '", field, "' is ", got, " (expected ", expected, ")");
    }
    const json::Value& of_kind(const json::Value& value, const std::string& field, Kind kind) const {
        expect(value.kind() == kind, field, std::string("a JSON ") + json::kind_name(value.kind()),
               std::string("a JSON ") + json::kind_name(kind));
        return value;
    }
    // object[key], of the given kind; field names it in messages (default: key).
    const json::Value& member(const json::Value& object, const std::string& key, Kind kind,
                              const std::string& field = "") const {
        const std::string& name = field.empty() ? key : field;
        expect(object.contains(key), name, "missing", std::string("a JSON ") + json::kind_name(kind));
        return of_kind(object.at(key), name, kind);
    }
    int64_t integer(const json::Value& value, const std::string& field) const {
        const double x = of_kind(value, field, Kind::NUMBER).as_number();
        expect(std::trunc(x) == x && std::fabs(x) <= 9007199254740992.0, field, json::dump(value),
               "an integer of at most 2^53 in magnitude");
        return static_cast<int64_t>(x);
    }
    int64_t integer_member(const json::Value& object, const std::string& key, const std::string& field = "") const {
        return integer(member(object, key, Kind::NUMBER, field), field.empty() ? key : field);
    }

private:
    std::string path_;
};

}  // namespace

// Tokens already computed for the distinct chunks of the text(s) being encoded. Keys are views
// into that text, so one cache lives no longer than one encode call.
struct Tokenizer::ChunkCache {
    std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> index;  // -> (offset, count)
    std::vector<int32_t> tokens;
};

std::vector<std::string_view> split_chunks(std::string_view text) {
    std::vector<std::string_view> chunks;
    chunks.reserve(text.size() / 4 + 1);
    const size_t n = text.size();
    size_t start = 0;
    while (start < n) {
        size_t run = start;  // first byte of the run that decides the chunk's class
        if (text[start] == ' ' && start + 1 < n && takes_leading_space(byte_class(text[start + 1])))
            run = start + 1;
        const ByteClass cls = byte_class(text[run]);
        size_t end = run + 1;
        while (end < n && byte_class(text[end]) == cls) ++end;
        // A whitespace run hands its last space to a following word (a single such space
        // was already taken above as a leading space, so this run is at least two long).
        if (cls == ByteClass::SPACE && end < n && text[end - 1] == ' ' &&
            takes_leading_space(byte_class(text[end])))
            --end;
        end = std::min(end, start + MAX_CHUNK_BYTES);
        chunks.push_back(text.substr(start, end - start));
        start = end;
    }
    return chunks;
}

Tokenizer::Tokenizer() {
    for (int b = 0; b < BYTE_TOKENS; ++b) token_bytes_.emplace_back(1, static_cast<char>(b));
    token_bytes_.emplace_back(END_OF_TEXT_TEXT);
}

void Tokenizer::add_merge(int32_t left, int32_t right) {
    merge_rank_[pair_key(left, right)] = static_cast<int32_t>(merges_.size());
    merges_.emplace_back(left, right);
    token_bytes_.push_back(token_bytes_[left] + token_bytes_[right]);
}

Tokenizer Tokenizer::train(const std::vector<std::string_view>& documents, int vocab_size) {
    check(vocab_size >= FIRST_MERGE, "Tokenizer::train: vocab_size ", vocab_size,
          " is too small (expected >= ", FIRST_MERGE, ": 256 bytes + <|endoftext|>)");
    Tokenizer tokenizer;
    MergeLearner learner(count_chunks(documents));
    uint64_t key = 0;
    while (tokenizer.vocab_size() < vocab_size && learner.best_pair(key)) {
        tokenizer.add_merge(pair_left(key), pair_right(key));
        learner.merge(key, tokenizer.vocab_size() - 1);
    }
    return tokenizer;
}

const std::string& Tokenizer::token_bytes(int32_t id) const {
    check(id >= 0 && id < vocab_size(), "Tokenizer::token_bytes: id ", id,
          " out of range (expected 0 <= id < vocab_size ", vocab_size(), ")");
    return token_bytes_[id];
}

// Applies merges by rank: repeatedly merges the present pair that was learned first. This gives
// the same tokens as replaying the training merges in order on the chunk.
void Tokenizer::encode_chunk(std::string_view chunk, std::vector<int32_t>& out) const {
    std::array<int32_t, MAX_CHUNK_BYTES> symbols;  // split_chunks bounds the chunk length
    size_t n = chunk.size();
    for (size_t i = 0; i < n; ++i) symbols[i] = static_cast<unsigned char>(chunk[i]);
    while (n > 1) {
        int32_t best_rank = std::numeric_limits<int32_t>::max();
        for (size_t i = 0; i + 1 < n; ++i) {
            auto found = merge_rank_.find(pair_key(symbols[i], symbols[i + 1]));
            if (found != merge_rank_.end()) best_rank = std::min(best_rank, found->second);
        }
        if (best_rank == std::numeric_limits<int32_t>::max()) break;
        const auto [left, right] = merges_[best_rank];
        n = merge_pair_in_place(symbols.data(), n, left, right, FIRST_MERGE + best_rank);
    }
    out.insert(out.end(), symbols.begin(), symbols.begin() + n);
}

void Tokenizer::encode_cached(std::string_view text, ChunkCache& cache, std::vector<int32_t>& out) const {
    for (std::string_view chunk : split_chunks(text)) {
        auto [entry, inserted] = cache.index.try_emplace(chunk);
        if (inserted) {
            const size_t offset = cache.tokens.size();
            encode_chunk(chunk, cache.tokens);
            entry->second = {static_cast<uint32_t>(offset), static_cast<uint32_t>(cache.tokens.size() - offset)};
        }
        const int32_t* tokens = cache.tokens.data() + entry->second.first;
        out.insert(out.end(), tokens, tokens + entry->second.second);
    }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
    ChunkCache cache;
    std::vector<int32_t> tokens;
    tokens.reserve(text.size() / 3 + 1);
    encode_cached(text, cache, tokens);
    return tokens;
}

std::vector<std::vector<int32_t>> Tokenizer::encode_batch(const std::vector<std::string_view>& documents) const {
    std::vector<std::vector<int32_t>> tokens(documents.size());
    const int64_t count = static_cast<int64_t>(documents.size());
#pragma omp parallel
    {
        ChunkCache cache;  // one per thread, shared by the documents that thread encodes
#pragma omp for schedule(dynamic, 1)
        for (int64_t d = 0; d < count; ++d) {
            tokens[d].reserve(documents[d].size() / 3 + 1);
            encode_cached(documents[d], cache, tokens[d]);
        }
    }
    return tokens;
}

std::string Tokenizer::decode(const std::vector<int32_t>& tokens) const {
    std::string text;
    for (int32_t id : tokens) {
        check(id >= 0 && id < vocab_size(), "Tokenizer::decode: token id ", id,
              " out of range (expected 0 <= id < vocab_size ", vocab_size(), ")");
        text += token_bytes_[id];
    }
    return text;
}

void Tokenizer::save(const std::string& path) const {
    json::Value merges = json::Value::array();
    for (const auto& [left, right] : merges_) merges.push_back(json::Value::array({left, right}));
    json::Value vocab = json::Value::array();
    for (const std::string& bytes : token_bytes_) vocab.push_back(to_hex(bytes));
    json::Value end_of_text = json::Value::object();
    end_of_text["id"] = END_OF_TEXT;
    end_of_text["text"] = std::string(END_OF_TEXT_TEXT);

    json::Value root = json::Value::object();
    root["format"] = std::string(FILE_FORMAT);
    root["pretokenizer"] = std::string(PRETOKENIZER);
    root["max_chunk_bytes"] = static_cast<int64_t>(MAX_CHUNK_BYTES);
    root["vocab_size"] = vocab_size();
    root["end_of_text"] = end_of_text;
    root["merges"] = merges;
    root["vocab"] = vocab;
    json::write_file(path, root, 2);  // one merge per line
}

Tokenizer Tokenizer::load(const std::string& path) {
    using Kind = json::Value::Kind;
    const json::Value root = json::read_file(path);
    const FieldReader read(path);
    read.of_kind(root, "(the document)", Kind::OBJECT);
    const std::string& format = read.member(root, "format", Kind::STRING).as_string();
    read.expect(format == FILE_FORMAT, "format", json::printable_line(format), FILE_FORMAT);
    const std::string& pretokenizer = read.member(root, "pretokenizer", Kind::STRING).as_string();
    read.expect(pretokenizer == PRETOKENIZER, "pretokenizer", json::printable_line(pretokenizer), PRETOKENIZER);
    const int64_t max_chunk = read.integer_member(root, "max_chunk_bytes");
    read.expect(max_chunk == static_cast<int64_t>(MAX_CHUNK_BYTES), "max_chunk_bytes", max_chunk, MAX_CHUNK_BYTES);
    const json::Value& end_of_text = read.member(root, "end_of_text", Kind::OBJECT);
    const int64_t eot = read.integer_member(end_of_text, "id", "end_of_text.id");
    read.expect(eot == END_OF_TEXT, "end_of_text.id", eot, END_OF_TEXT);

    Tokenizer tokenizer;
    const auto& merges = read.member(root, "merges", Kind::ARRAY).as_array();
    for (size_t r = 0; r < merges.size(); ++r) {
        const std::string field = "merges[" + std::to_string(r) + "]";
        const auto& pair = read.of_kind(merges[r], field, Kind::ARRAY).as_array();
        read.expect(pair.size() == 2, field, std::to_string(pair.size()) + " ids", "2 ids");
        const int64_t left = read.integer(pair[0], field + "[0]"), right = read.integer(pair[1], field + "[1]");
        const int64_t limit = FIRST_MERGE + static_cast<int64_t>(r);
        auto valid = [&](int64_t id) { return id >= 0 && id < limit && id != END_OF_TEXT; };
        // std::string("["), not "[": GCC 12 warns falsely (-Wrestrict) on "[" + a temporary.
        read.expect(valid(left) && valid(right), field,
                    std::string("[") + std::to_string(left) + ", " + std::to_string(right) + "]",
                    "ids < " + std::to_string(limit) + " and not <|endoftext|>");
        // Merges never cross a chunk, so no learned token is longer than one. Unchecked, merges that
        // each join the previous token to itself would ask for 2^r bytes.
        const size_t merged_bytes = tokenizer.token_bytes_[left].size() + tokenizer.token_bytes_[right].size();
        read.expect(merged_bytes <= MAX_CHUNK_BYTES, field, "a token of " + std::to_string(merged_bytes) + " bytes",
                    "at most max_chunk_bytes = " + std::to_string(MAX_CHUNK_BYTES));
        tokenizer.add_merge(static_cast<int32_t>(left), static_cast<int32_t>(right));
    }
    const int64_t vocab_size = read.integer_member(root, "vocab_size");
    read.expect(vocab_size == tokenizer.vocab_size(), "vocab_size", vocab_size,
                std::to_string(tokenizer.vocab_size()) + " = 257 + number of merges");
    const auto& vocab = read.member(root, "vocab", Kind::ARRAY).as_array();
    read.expect(static_cast<int64_t>(vocab.size()) == vocab_size, "vocab", std::to_string(vocab.size()) + " entries",
                vocab_size);
    for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
        const std::string field = "vocab[" + std::to_string(id) + "]";
        const std::string& hex = read.of_kind(vocab[id], field, Kind::STRING).as_string();
        const std::string expected = to_hex(tokenizer.token_bytes_[id]);
        read.expect(hex == expected, field, "\"" + json::printable_line(hex) + "\"",
                    "\"" + expected + "\", the bytes its merges make");
    }
    return tokenizer;
}

}  // namespace induction
