// corpus.cpp — reading the Debian-package sources, the seeded split, and the cached corpus build.
#include "train/corpus.h"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "model/config.h"
#include "model/io/file_io.h"
#include "model/io/json.h"
#include "tensor/error.h"
#include "tensor/rng.h"
#include "train/tokenizer.h"

namespace induction {

namespace fs = std::filesystem;

std::vector<CorpusSource> builtin_sources() {
    std::vector<CorpusSource> sources(4);
    sources[0] = {"kjv-bible", "bible-kjv", "usr/lib/bible.data",
                  "public domain (King James Version, 1611; see /usr/share/doc/bible-kjv-text/copyright)",
                  SourceFormat::KJV_BIBLE, {}, 0};
    sources[1] = {"python-docs", "python3.11-doc", "usr/share/doc/python3.11/html/_sources/**/*.rst.txt",
                  "PSF License Agreement for Python 3.11 (see /usr/share/doc/python3.11-doc/copyright)",
                  SourceFormat::TEXT_FILES, {}, 0};
    sources[2] = {"jargon-file", "jargon-text", "usr/share/doc/jargon-text/jargon.txt.gz",
                  "public domain (see /usr/share/doc/jargon-text/copyright)", SourceFormat::GZIP_TEXT, {}, 32768};
    sources[3] = {"python-stdlib", "libpython3.11-stdlib", "usr/lib/python3.11/**/*.py",
                  "PSF License Agreement for Python 3.11 (see /usr/share/doc/libpython3.11-stdlib/copyright)",
                  SourceFormat::TEXT_FILES,
                  {"test", "tests", "idle_test", "dist-packages", "site-packages"}, 0};
    return sources;
}

namespace {

// The program (package bible-kjv) that prints the text stored in bible.data (package bible-kjv-text).
constexpr const char* BIBLE_PROGRAM = "/usr/bin/bible";

// ---- Finding files -------------------------------------------------------------------------

// Shell-style match of a file name against a pattern where '*' matches any run of bytes.
bool matches_wildcard(std::string_view name, std::string_view pattern) {
    size_t n = 0, p = 0, star = std::string_view::npos, star_n = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            star_n = n;
        } else if (p < pattern.size() && pattern[p] == name[n]) {
            ++p;
            ++n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++star_n;  // let the last '*' swallow one more byte
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

// Paths (relative to root, '/'-separated, sorted) of the regular files that source.path_pattern names.
std::vector<std::string> find_source_files(const std::string& root, const CorpusSource& source) {
    std::vector<std::string> files;
    const size_t tree = source.path_pattern.find("/**/");
    if (tree == std::string::npos) {
        std::error_code error;
        if (fs::is_regular_file(fs::path(root) / source.path_pattern, error)) files.push_back(source.path_pattern);
        return files;
    }
    const std::string base = source.path_pattern.substr(0, tree);
    const std::string name_pattern = source.path_pattern.substr(tree + 4);
    std::error_code error;
    fs::recursive_directory_iterator it(fs::path(root) / base, fs::directory_options::skip_permission_denied, error);
    if (error) return files;  // no such directory: the source is missing
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
        check(!error, "load_documents: cannot list '", (fs::path(root) / base).string(), "': ", error.message());
        const std::string name = it->path().filename().string();
        if (it->is_directory(error)) {
            const auto& excluded = source.excluded_directories;
            if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) it.disable_recursion_pending();
        } else if (it->is_regular_file(error) && matches_wildcard(name, name_pattern)) {
            files.push_back(it->path().lexically_relative(root).generic_string());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

// ---- Reading -------------------------------------------------------------------------------

std::string shell_quote(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return quoted + "'";
}

// Runs a shell command and returns its standard output; throws unless it exits with status 0.
std::string run_command(const std::string& command) {
    FILE* pipe = ::popen(command.c_str(), "r");
    check(pipe != nullptr, "load_documents: cannot run `", command, "`");
    std::string output;
    char buffer[1 << 16];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    const int status = ::pclose(pipe);
    check(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "load_documents: `", command,
          "` failed (exit status ", WIFEXITED(status) ? WEXITSTATUS(status) : -1, ", expected 0)");
    return output;
}

// Cuts text after the first blank line ("\n\n") that comes at least min_bytes into a piece.
std::vector<std::string> split_at_blank_lines(const std::string& text, int64_t min_bytes) {
    std::vector<std::string> pieces;
    size_t start = 0;
    while (start < text.size()) {
        size_t blank = text.find("\n\n", start + static_cast<size_t>(min_bytes));
        size_t end = blank == std::string::npos ? text.size() : blank + 2;
        pieces.push_back(text.substr(start, end - start));
        start = end;
    }
    return pieces;
}

// The `bible` program prints "<Book> <chapter>" header lines (column 0) followed by indented
// verses; a book starts at its chapter-1 header. Returns (book, text) pairs in Bible order.
std::vector<std::pair<std::string, std::string>> split_bible_books(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> books;
    size_t line_start = 0;
    while (line_start < text.size()) {
        size_t line_end = text.find('\n', line_start);
        if (line_end == std::string::npos) line_end = text.size();
        const std::string_view line(text.data() + line_start, line_end - line_start);
        const bool header = !line.empty() && line[0] != ' ';
        if (header && line.size() > 2 && line.substr(line.size() - 2) == " 1")
            books.emplace_back(std::string(line.substr(0, line.size() - 2)), std::string());
        if (books.empty()) {
            check(line.empty(), "load_documents: unexpected output of `bible` before Genesis: '", line, "'");
        } else if (!(books.back().second.empty() && line.empty())) {  // no leading blank lines
            books.back().second.append(line);
            books.back().second.push_back('\n');
        }
        line_start = line_end + 1;
    }
    for (auto& [book, body] : books)  // one newline at the end, not the blank line before the next book
        while (body.size() >= 2 && body[body.size() - 1] == '\n' && body[body.size() - 2] == '\n') body.pop_back();
    return books;
}

// The whole Bible as the `bible` program prints it from a bible.data file (-l: no line wrapping).
std::string print_bible(const fs::path& data) {
    return run_command(std::string(BIBLE_PROGRAM) + " -p " + shell_quote(data.parent_path().string()) + " -d " +
                       shell_quote(data.filename().string()) + " -l1000000 gen1:1-rev22:21");
}

// What must exist for a source to be readable (empty when everything is there).
std::string missing_part(const std::string& root, const CorpusSource& source, const std::vector<std::string>& files) {
    const std::string where = (fs::path(root) / source.path_pattern).string();
    if (files.empty()) return where;
    if (source.format == SourceFormat::KJV_BIBLE && !file_exists(BIBLE_PROGRAM)) return BIBLE_PROGRAM;
    return "";
}

void add_documents(const std::string& root, const CorpusSource& source, const std::vector<std::string>& files,
                   std::vector<Document>& documents, SourceReport& report) {
    auto add = [&](std::string name, std::string text) {
        if (text.empty()) return;
        report.documents += 1;
        report.bytes += static_cast<int64_t>(text.size());
        documents.push_back({source.name, std::move(name), std::move(text)});
    };
    for (const std::string& file : files) {
        const std::string path = (fs::path(root) / file).string();
        if (source.format == SourceFormat::KJV_BIBLE) {
            for (auto& [book, text] : split_bible_books(print_bible(path))) add(book, std::move(text));
            continue;
        }
        std::string text = source.format == SourceFormat::GZIP_TEXT ? run_command("gzip -dc " + shell_quote(path))
                                                                    : read_file_bytes(path);
        if (source.split_bytes <= 0) {
            add(file, std::move(text));
            continue;
        }
        std::vector<std::string> pieces = split_at_blank_lines(text, source.split_bytes);
        for (size_t k = 0; k < pieces.size(); ++k) add(file + "#" + std::to_string(k), std::move(pieces[k]));
    }
}

// ---- Fingerprints and corpus.json ----------------------------------------------------------

// FNV-1a, 64-bit, over each document's name and text (a 0 byte after each).
std::string fingerprint(const std::vector<Document>& documents, const std::string& source) {
    uint64_t hash = 0xcbf29ce484222325ull;
    auto mix = [&](std::string_view bytes) {
        for (unsigned char b : bytes) hash = (hash ^ b) * 0x100000001b3ull;
        hash = (hash ^ 0) * 0x100000001b3ull;
    };
    for (const Document& document : documents)
        if (document.source == source) {
            mix(document.name);
            mix(document.text);
        }
    std::ostringstream hex;
    hex << std::hex << std::setw(16) << std::setfill('0') << hash;
    return hex.str();
}

constexpr const char* CORPUS_FORMAT = "induction-corpus-1";

std::string corpus_json_path(const std::string& dir) { return dir + "/corpus.json"; }

json::Value source_list(const std::vector<CorpusSource>& sources) {
    json::Value list = json::Value::array();
    for (const CorpusSource& source : sources) list.push_back(source.name + " " + source.path_pattern);
    return list;
}

// True when dir holds a finished corpus (corpus.json is written last) and fills info from it;
// false when there is none yet. A finished corpus built with other options is never rebuilt in
// place — runs already trained on it would silently change meaning — so that is an error.
bool cached_corpus(const CorpusOptions& options, CorpusInfo& info) {
    const std::string path = corpus_json_path(options.out_dir);
    if (!file_exists(path)) return false;
    const json::Value root = json::read_file(path);
    auto refuse = [&](const std::string& field, const std::string& holds, const std::string& asked) {
        fail(path, ": field '", field, "' is ", holds, " but ", asked, " was asked for; a built corpus is never "
             "rebuilt under the runs that use it: give this configuration a corpus_dir of its own, or remove ",
             options.out_dir, " to rebuild it (runs trained on it then no longer match their corpus)");
    };
    const std::string format = root.get<std::string>("format", "");
    if (format != CORPUS_FORMAT) refuse("format", "\"" + format + "\"", std::string("\"") + CORPUS_FORMAT + "\"");
    if (json::dump(root.at("source_list")) != json::dump(source_list(options.sources)))
        refuse("source_list", json::dump(root.at("source_list")), json::dump(source_list(options.sources)));
    info = read_corpus_info(options.out_dir);
    const int64_t vocab = root.at("requested_vocab_size").as_int();
    if (vocab != options.vocab_size)
        refuse("requested_vocab_size", std::to_string(vocab), std::to_string(options.vocab_size));
    if (info.seed != options.seed) refuse("seed", std::to_string(info.seed), std::to_string(options.seed));
    if (info.heldout_fraction != options.heldout_fraction)
        refuse("heldout_fraction", json::dump(info.heldout_fraction), json::dump(options.heldout_fraction));
    auto check_tokens = [&](const std::string& file, int64_t tokens) {
        std::error_code error;
        const int64_t expected = tokens * token_type_bytes(info.token_type);
        const int64_t bytes = fs::exists(file, error) ? static_cast<int64_t>(fs::file_size(file, error)) : -1;
        check(bytes == expected, file, ": holds ", bytes, " bytes, but ", path, " says ", tokens, " tokens (",
              expected, " bytes); the corpus is damaged: remove ", options.out_dir, " to rebuild it");
    };
    check(file_exists(info.tokenizer_path()), info.tokenizer_path(), ": missing, but ", path,
          " says the corpus is built; remove ", options.out_dir, " to rebuild it");
    check_tokens(info.train_path(), info.train_tokens);
    check_tokens(info.heldout_path(), info.heldout_tokens);
    return true;
}

// Each document's tokens followed by <|endoftext|>.
std::vector<int32_t> concatenate(const std::vector<std::vector<int32_t>>& encoded) {
    size_t total = 0;
    for (const auto& tokens : encoded) total += tokens.size() + 1;
    std::vector<int32_t> stream;
    stream.reserve(total);
    for (const auto& tokens : encoded) {
        stream.insert(stream.end(), tokens.begin(), tokens.end());
        stream.push_back(Tokenizer::END_OF_TEXT);
    }
    return stream;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

LoadedCorpus load_documents(const std::vector<CorpusSource>& sources, const std::string& root) {
    LoadedCorpus corpus;
    for (const CorpusSource& source : sources) {
        SourceReport report;
        report.name = source.name;
        report.package = source.package;
        report.path_pattern = source.path_pattern;
        const std::vector<std::string> files = find_source_files(root, source);
        report.missing = missing_part(root, source, files);
        report.found = report.missing.empty();
        if (report.found) {
            report.files = static_cast<int64_t>(files.size());
            add_documents(root, source, files, corpus.documents, report);
        }
        corpus.sources.push_back(report);
    }
    return corpus;
}

std::string describe_sources(const LoadedCorpus& corpus) {
    std::ostringstream table;
    for (const SourceReport& s : corpus.sources) {
        table << std::left << std::setw(15) << s.name << std::setw(22) << s.package;
        if (s.found)
            table << std::right << std::setw(6) << s.files << " files " << std::setw(6) << s.documents
                  << " documents " << std::setw(10) << s.bytes << " bytes\n";
        else
            table << "MISSING " << s.missing << " (sudo apt-get install " << s.package << ")\n";
    }
    return table.str();
}

void require_sources(const LoadedCorpus& corpus) {
    std::string names, packages;
    for (const SourceReport& s : corpus.sources) {
        if (s.found) continue;
        names += (names.empty() ? "" : ", ") + s.name + " (" + s.missing + ")";
        packages += " " + s.package;
    }
    check(names.empty(), "corpus: missing sources ", names, "; install them with: sudo apt-get install", packages);
}

CorpusSplit split_documents(const std::vector<Document>& documents, uint64_t seed, double heldout_fraction) {
    check(heldout_fraction >= 0 && heldout_fraction < 1, "split_documents: heldout_fraction ", heldout_fraction,
          " (expected 0 <= fraction < 1)");
    // Fisher-Yates with the project's counter-based generator (std::shuffle is not specified
    // exactly, so its order could change with the standard library).
    std::vector<size_t> order(documents.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    Rng rng(seed);
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next_int(0, static_cast<int64_t>(i))]);

    // Held-out quota per source: max(1, round(fraction * n)), but never every document.
    std::map<std::string, int64_t> quota;
    for (const Document& document : documents) ++quota[document.source];
    for (auto& [source, q] : quota) {
        const int64_t n = q;
        q = heldout_fraction > 0 ? std::min(n - 1, std::max<int64_t>(1, std::llround(heldout_fraction * n))) : 0;
    }
    CorpusSplit split;
    for (size_t index : order) {
        int64_t& q = quota[documents[index].source];
        if (q > 0) {
            --q;
            split.heldout.push_back(index);
        } else {
            split.train.push_back(index);
        }
    }
    return split;
}

CorpusInfo read_corpus_info(const std::string& dir) {
    const json::Value root = json::read_file(corpus_json_path(dir));
    CorpusInfo info;
    info.dir = dir;
    info.vocab_size = static_cast<int>(root.at("vocab_size").as_int());
    info.seed = static_cast<uint64_t>(root.at("seed").as_int());
    info.heldout_fraction = root.at("heldout_fraction").as_number();
    info.token_type = parse_token_type(root.at("token_type").as_string());
    info.train_tokens = root.at("train").at("tokens").as_int();
    info.heldout_tokens = root.at("heldout").at("tokens").as_int();
    return info;
}

namespace {

// ---- the sections of build_corpus() -------------------------------------------------------------

// Checked before any work, so a bad value costs nothing and prints nothing else.
void check_corpus_options(const CorpusOptions& options) {
    check(!options.out_dir.empty(), "build_corpus: out_dir is empty (expected a directory)");
    check(options.seed < (uint64_t{1} << 53), "build_corpus: seed ", options.seed,
          " is too large (expected < 2^53 so corpus.json stores it exactly)");
    check(options.vocab_size >= Tokenizer::FIRST_MERGE && options.vocab_size <= ModelConfig::MAX_VOCAB,
          "build_corpus: vocabulary ", options.vocab_size, " is outside [", Tokenizer::FIRST_MERGE, ", ",
          ModelConfig::MAX_VOCAB, "] (256 bytes + <|endoftext|> at least)");
    check(options.heldout_fraction > 0 && options.heldout_fraction < 0.5, "build_corpus: held-out fraction ",
          options.heldout_fraction, " is outside (0, 0.5)");
}

// One line of progress on options.log (when there is one).
template <typename... Parts>
void log_line(const CorpusOptions& options, const Parts&... parts) {
    if (options.log) (*options.log << ... << parts) << std::endl;
}

// The texts of each side of the split, in split order, and their sizes in bytes.
struct SplitTexts {
    std::vector<std::string_view> train, heldout;
    int64_t train_bytes = 0, heldout_bytes = 0;
};

SplitTexts split_texts(const LoadedCorpus& corpus, const CorpusSplit& split) {
    SplitTexts texts;
    for (size_t i : split.train) texts.train.push_back(corpus.documents[i].text);
    for (size_t i : split.heldout) texts.heldout.push_back(corpus.documents[i].text);
    for (std::string_view t : texts.train) texts.train_bytes += static_cast<int64_t>(t.size());
    for (std::string_view t : texts.heldout) texts.heldout_bytes += static_cast<int64_t>(t.size());
    return texts;
}

// corpus.json "sources": what each source contributed, with its fingerprint.
json::Value source_entries(const CorpusOptions& options, const LoadedCorpus& corpus, const CorpusSplit& split) {
    json::Value sources = json::Value::array();
    for (size_t s = 0; s < options.sources.size(); ++s) {
        const CorpusSource& source = options.sources[s];
        const SourceReport& report = corpus.sources[s];
        int64_t heldout_documents = 0;
        for (size_t i : split.heldout) heldout_documents += corpus.documents[i].source == source.name;
        json::Value entry = json::Value::object();
        entry["name"] = source.name;
        entry["package"] = source.package;
        entry["path_pattern"] = source.path_pattern;
        entry["licence"] = source.licence;
        entry["files"] = report.files;
        entry["documents"] = report.documents;
        entry["heldout_documents"] = heldout_documents;
        entry["bytes"] = report.bytes;
        entry["fnv1a64"] = fingerprint(corpus.documents, source.name);
        sources.push_back(entry);
    }
    return sources;
}

// corpus.json "train" or "heldout": one side of the split.
json::Value split_entry(const std::vector<size_t>& indices, int64_t bytes, int64_t tokens) {
    json::Value entry = json::Value::object();
    entry["documents"] = static_cast<int64_t>(indices.size());
    entry["bytes"] = bytes;
    entry["tokens"] = tokens;
    entry["tokens_per_byte"] = bytes > 0 ? static_cast<double>(tokens) / static_cast<double>(bytes) : 0.0;
    return entry;
}

// The whole of corpus.json.
json::Value corpus_json(const CorpusOptions& options, const CorpusInfo& info, const LoadedCorpus& corpus,
                        const CorpusSplit& split, const SplitTexts& texts) {
    json::Value heldout_names = json::Value::array();
    for (size_t i : split.heldout)
        heldout_names.push_back(corpus.documents[i].source + ":" + corpus.documents[i].name);
    json::Value root = json::Value::object();
    root["format"] = CORPUS_FORMAT;
    root["vocab_size"] = info.vocab_size;
    root["requested_vocab_size"] = options.vocab_size;
    root["seed"] = static_cast<int64_t>(options.seed);
    root["heldout_fraction"] = options.heldout_fraction;
    root["token_type"] = token_type_name(info.token_type);
    root["end_of_text"] = Tokenizer::END_OF_TEXT;
    root["layout"] = "each document's tokens followed by <|endoftext|>, raw little-endian";
    root["source_list"] = source_list(options.sources);
    root["sources"] = source_entries(options, corpus, split);
    root["train"] = split_entry(split.train, texts.train_bytes, info.train_tokens);
    root["heldout"] = split_entry(split.heldout, texts.heldout_bytes, info.heldout_tokens);
    root["heldout_documents"] = heldout_names;
    return root;
}

}  // namespace

CorpusInfo build_corpus(const CorpusOptions& options) {
    check_corpus_options(options);
    CorpusInfo info;
    if (cached_corpus(options, info)) {
        if (options.log) *options.log << "corpus: using cached " << options.out_dir << "\n";
        return info;
    }
    auto start = std::chrono::steady_clock::now();
    const LoadedCorpus corpus = load_documents(options.sources, options.root);
    require_sources(corpus);
    log_line(options, "corpus: loaded ", corpus.documents.size(), " documents in ", seconds_since(start), " s\n",
             describe_sources(corpus));

    const CorpusSplit split = split_documents(corpus.documents, options.seed, options.heldout_fraction);
    const SplitTexts texts = split_texts(corpus, split);
    start = std::chrono::steady_clock::now();
    const Tokenizer tokenizer = Tokenizer::train(texts.train, options.vocab_size);
    log_line(options, "corpus: trained tokenizer (vocab ", tokenizer.vocab_size(), ") on ", texts.train_bytes,
             " bytes in ", seconds_since(start), " s");
    start = std::chrono::steady_clock::now();
    const std::vector<int32_t> train_tokens = concatenate(tokenizer.encode_batch(texts.train));
    const std::vector<int32_t> heldout_tokens = concatenate(tokenizer.encode_batch(texts.heldout));
    log_line(options, "corpus: encoded ", texts.train_bytes + texts.heldout_bytes, " bytes into ",
             train_tokens.size() + heldout_tokens.size(), " tokens in ", seconds_since(start), " s");

    make_directories(options.out_dir);
    info.dir = options.out_dir;
    info.vocab_size = tokenizer.vocab_size();
    info.seed = options.seed;
    info.heldout_fraction = options.heldout_fraction;
    info.token_type = smallest_token_type(info.vocab_size);
    info.train_tokens = static_cast<int64_t>(train_tokens.size());
    info.heldout_tokens = static_cast<int64_t>(heldout_tokens.size());
    info.rebuilt = true;
    tokenizer.save(info.tokenizer_path());
    write_token_file(info.train_path(), train_tokens, info.token_type, info.vocab_size);
    write_token_file(info.heldout_path(), heldout_tokens, info.token_type, info.vocab_size);
    json::write_file(corpus_json_path(options.out_dir), corpus_json(options, info, corpus, split, texts));
    log_line(options, "corpus: wrote ", options.out_dir, " (", info.train_tokens, " train + ", info.heldout_tokens,
             " held-out tokens, ", token_type_name(info.token_type), ")");
    return info;
}

}  // namespace induction
