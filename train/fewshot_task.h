// fewshot_task.h — the few-shot classification task of Singh et al. 2024 with Gaussian-cluster
// exemplars (METHODS §8.1 data, §8.2 sequences and evaluation splits, §8.4 exhaustive set).
//
// Each class c has a prototype μ_c ~ N(0, I/D) and five exemplars
// e_{c,m} = (μ_c + ε·η_{c,m}) / sqrt(1+ε²), η_{c,m} ~ N(0, I/D); only m = 0 is used in training.
// A sequence is T = 2N+1 tokens [x_1, y_1, ..., x_N, y_N, x_q]; the model must output y_q.
// Labels are re-drawn per sequence, so only the context says which label the query's class has.
//
// Everything is a pure function of the seeds: each sequence has its own Philox key derived from
// (seed, purpose, batch, index), so no draw depends on thread count, batch size or order of calls.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/fewshot_model.h"
#include "model/io/json.h"
#include "tensor/tensor.h"

namespace induction {

struct FewShotTaskConfig {
    int feature_dim = 64;       // D (512 mirrors ResNet-18)
    double epsilon = 0.5;       // within-class noise ε: within-class cosine ≈ 1/(1+ε²)
    int train_classes = 50;     // K
    int test_classes = 100;
    int labels = 5;             // L: label pairs split 8:2 (train : held out) over the L(L-1)/2 pairs
    double noise_scale = 0.0;   // additive presentation noise per exemplar token, N(0, noise_scale²·I/D)
    uint64_t data_seed = 0;     // prototypes, exemplars and the label-pair split
    uint64_t train_seed = 0;    // the training stream
    uint64_t eval_seed = 1;     // the four evaluation splits
    int eval_sequences = 1000;  // per split
    // Training-stream layout: "icl" = the §8.2 main layout (query class + distractor, N = 2);
    // "bursty" = [CH]'s N context pairs: with probability p_bursty a k-shot w-way problem, else
    // i.i.d. classes. Bursty labels are distinct labels drawn from all L for the distinct classes
    // of a sequence, so "bursty" needs L >= N + 1 (and test_relabel is then not held out).
    std::string sampling = "icl";
    int context_pairs = 8, shots = 3, ways = 2;  // N, k, w ("bursty" only)
    double p_bursty = 0.9;

    // Every field against its range; one line naming source, the field, the range and the value.
    void validate(const std::string& source = "few-shot task config") const;
    static constexpr int MAX_FEATURE_DIM = 1 << 16, MAX_CLASSES = 1 << 20, MAX_LABELS = 1024;
    static constexpr int MAX_CONTEXT_PAIRS = 1024, MAX_SEQUENCES = 1 << 24;
    static constexpr int64_t MAX_TABLE_VALUES = int64_t{1} << 28;  // (K + test_classes) · 5 · D
    json::Value to_json() const;
    // Unknown keys are errors naming source and key, so a misspelt field never falls back silently.
    static FewShotTaskConfig from_json(const json::Value& value,
                                       const std::string& source = "few-shot task config");
};

// count sequences with N context pairs each; flat row-major vectors.
struct FewShotSequences {
    int64_t count = 0;
    int context_pairs = 2;                 // N
    std::vector<int32_t> exemplar_class;   // [count, N + 1]: class (table row) of each context exemplar, then x_q's
    std::vector<int32_t> exemplar_index;   // [count, N + 1]: which exemplar m of that class
    std::vector<int32_t> context_label;    // [count, N]: y_1 .. y_N
    std::vector<int32_t> query_label;      // [count]: y_q
    std::vector<int32_t> correct;          // [count]: first context pair of the query's class, -1 if none
    std::vector<uint64_t> noise_key;       // [count]: Philox key of each sequence's presentation
                                           // noise; empty when there is none
};

// The evaluation splits of §8.2 (1000 fixed sequences each, burstiness 1 with a distractor).
enum class FewShotSplit { TRAIN, TEST_RELABEL, TRAIN_HELDOUT_EXEMPLARS, TEST_CLASSES };
constexpr int FEWSHOT_SPLIT_COUNT = 4;
// "train", "test_relabel", "train_heldout_exemplars", "test_classes".
const char* split_name(FewShotSplit split);

class FewShotTask {
public:
    static constexpr int EXEMPLARS_PER_CLASS = 5;  // m = 0 trains; m = 1..4 are held out

    explicit FewShotTask(FewShotTaskConfig config);  // validates the config

    const FewShotTaskConfig& config() const { return config_; }
    // f64 [K + test_classes, 5, D]: rows 0..K-1 are the train classes, K.. the test classes.
    const Tensor& exemplar_table() const { return table_; }
    // Unordered label pairs {a < b}, ascending; together they are all L(L-1)/2 pairs.
    const std::vector<std::array<int32_t, 2>>& train_pairs() const { return train_pairs_; }
    const std::vector<std::array<int32_t, 2>>& heldout_pairs() const { return heldout_pairs_; }

    // Batch `stream` of the training stream (train_seed), laid out per config().sampling.
    // Sequence i is a function of (train_seed, stream, i) alone.
    FewShotSequences sample_training(int64_t count, uint64_t stream) const;
    // eval_sequences fixed sequences of the split, from eval_seed (§8.2 layout whatever the sampling).
    FewShotSequences evaluation_split(FewShotSplit split) const;
    // §8.4: every ordered pair of distinct train classes × train label pairs in both orders × which
    // pair is the query, m = 0 and no presentation noise: 50·49·16·2 = 78,400 for the defaults.
    FewShotSequences exhaustive() const;

    // Rows [begin, end) of s as model inputs; presentation noise (when s has noise keys) is a
    // function of each sequence's key alone, so any split into batches gives the same values.
    FewShotInputs inputs(const FewShotSequences& s, int64_t begin, int64_t end,
                         DType dtype = DType::F32) const;

private:
    FewShotTaskConfig config_;
    Tensor table_;
    std::vector<std::array<int32_t, 2>> train_pairs_, heldout_pairs_;
};

}  // namespace induction
