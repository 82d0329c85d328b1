// corpus.h — the built-in text corpus: read from Debian packages, split, tokenized, cached on disk.
//
// Sources (nothing is committed to the repository; see builtin_sources()):
//   kjv-bible      King James Bible, one document per book (66), read with the `bible` program of
//                  package bible-kjv from the compressed text in bible-kjv-text;
//   python-docs    Python 3.11 documentation, reStructuredText sources, one document per file;
//   jargon-file    the Jargon File 4.4.7 (gzip, decompressed with `gzip -dc`), cut into documents
//                  of >= 32 KiB at blank lines;
//   python-stdlib  Python 3.11 standard library *.py, one document per file, without the test
//                  packages (test/, tests/, idle_test/: their content depends on whether the
//                  optional libpython3.11-testsuite is installed) and without dist-packages/.
// Together about 28 MB. Empty documents are dropped.
//
// Order and split: documents are listed in source order, files sorted by path, so nothing
// depends on the file system. One seeded Fisher-Yates shuffle orders them; walking that order,
// each source gives max(1, round(heldout_fraction * its documents)) documents (never all of
// them) to the held-out split, the rest go to training in shuffled order. The default holds out
// 10% (about 1.5M tokens here: enough windows of 256 for the ICL interval README states).
//
// build_corpus writes into out_dir (each file atomically, corpus.json last):
//   tokenizer.json   BPE trained on the training split only (train/tokenizer.h);
//   train.tokens     raw little-endian tokens (uint16 when the vocabulary fits, else int32),
//   heldout.tokens   each document followed by <|endoftext|>;
//   corpus.json      parameters, sources (files, documents, bytes, FNV-1a-64 of their text),
//                    split sizes, token counts and the held-out document names.
// A later call with the same vocab_size, seed, heldout_fraction and source list finds corpus.json
// and the files of the right sizes and does nothing (works even if the packages are gone).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "train/token_file.h"

namespace induction {

enum class SourceFormat {
    TEXT_FILES,  // every file matching path_pattern, read as is
    GZIP_TEXT,   // one gzip file, decompressed with `gzip -dc`
    KJV_BIBLE,   // bible.data of bible-kjv-text, printed by `bible` (package bible-kjv), one document per book
};

struct CorpusSource {
    std::string name;          // "python-docs"
    std::string package;       // Debian package to install when missing
    std::string path_pattern;  // relative to the root: "a/b/file", or "a/b/**/*.py" for a tree
    std::string licence;
    SourceFormat format = SourceFormat::TEXT_FILES;
    std::vector<std::string> excluded_directories;  // directory names skipped inside "**"
    int64_t split_bytes = 0;  // > 0: a file becomes documents of >= split_bytes, cut after a blank line
};

std::vector<CorpusSource> builtin_sources();

struct Document {
    std::string source;  // CorpusSource::name
    std::string name;    // path relative to the root, "path#k" for the k-th piece, or a Bible book
    std::string text;
};

struct SourceReport {
    std::string name, package, path_pattern;
    bool found = false;
    std::string missing;  // what was looked for and not found (when !found)
    int64_t files = 0, documents = 0, bytes = 0;
};

struct LoadedCorpus {
    std::vector<Document> documents;  // source order, then sorted paths (or Bible book order)
    std::vector<SourceReport> sources;
};

// Reads every source under root ("/" for the installed packages). Missing sources are reported,
// not thrown; call require_sources to insist on all of them.
LoadedCorpus load_documents(const std::vector<CorpusSource>& sources, const std::string& root = "/");

// A table of what was found (files, documents, bytes) and what is missing, one line per source.
std::string describe_sources(const LoadedCorpus& corpus);
// Throws a one-line Error naming the missing packages and the `sudo apt-get install ...` that fixes it.
void require_sources(const LoadedCorpus& corpus);

// Indices into documents, each list in training order.
struct CorpusSplit {
    std::vector<size_t> train, heldout;
};
CorpusSplit split_documents(const std::vector<Document>& documents, uint64_t seed, double heldout_fraction);

struct CorpusOptions {
    std::string out_dir;
    int vocab_size = 8192;
    uint64_t seed = 1;  // < 2^53, so corpus.json stores it exactly
    double heldout_fraction = 0.10;
    std::string root = "/";
    std::vector<CorpusSource> sources = builtin_sources();
    std::ostream* log = nullptr;  // progress lines and timings, when set
};

struct CorpusInfo {
    std::string dir;
    int vocab_size = 0;
    uint64_t seed = 0;
    double heldout_fraction = 0;
    TokenType token_type = TokenType::UINT16;
    int64_t train_tokens = 0, heldout_tokens = 0;
    bool rebuilt = false;  // false when build_corpus found the cached corpus

    std::string tokenizer_path() const { return dir + "/tokenizer.json"; }
    std::string train_path() const { return dir + "/train.tokens"; }
    std::string heldout_path() const { return dir + "/heldout.tokens"; }
};

// Builds the corpus into options.out_dir, or returns the cached one there.
CorpusInfo build_corpus(const CorpusOptions& options);
// Reads out_dir/corpus.json (throws when absent or malformed).
CorpusInfo read_corpus_info(const std::string& dir);

}  // namespace induction
