// fewshot_task.cpp — the Gaussian-cluster exemplar table (METHODS §8.1), the label-pair split and
// the sequence samplers (§8.2), the exhaustive progress set (§8.4) and the model inputs.
#include "train/fewshot_task.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <set>

#include "tensor/error.h"
#include "tensor/rng.h"

namespace induction {

namespace {

using Pair = std::array<int32_t, 2>;

constexpr double MAX_SEED = 9007199254740992.0;  // 2^53: the largest integer JSON holds exactly

// What each derived Philox stream is for: the stream of purpose P under a seed is keyed
// substream(seed, P), so equal seeds (data_seed = train_seed = 0 by default) never share draws.
enum Purpose : uint64_t { PROTOTYPES = 1, EXEMPLAR_NOISE, LABEL_PAIR_SPLIT, TRAINING, EVALUATION, PRESENTATION_NOISE };

// The key of sub-stream `index` of the stream keyed `key`: two words of Philox block `index` under
// key ⊕ a fixed constant, so a derived key is never a word that Rng(key) itself draws.
uint64_t substream(uint64_t key, uint64_t index) {
    std::array<uint32_t, 4> words = philox4x32(index, key ^ 0x6A09E667F3BCC908ull);  // frac(sqrt 2)
    return (uint64_t(words[0]) << 32) | words[1];
}

// f64 [K_total, 5, D]: e_{c,m} = (μ_c + ε·η_{c,m}) / sqrt(1+ε²) with μ_c, η_{c,m} ~ N(0, I/D) (§8.1).
// Train classes come first in both draws, so their exemplars do not depend on test_classes.
Tensor make_exemplar_table(const FewShotTaskConfig& c) {
    const int64_t classes = int64_t(c.train_classes) + c.test_classes, D = c.feature_dim;
    const int64_t M = FewShotTask::EXEMPLARS_PER_CLASS;
    const double sd = 1 / std::sqrt(double(D));
    Tensor mu = Rng(substream(c.data_seed, PROTOTYPES)).normal({classes, D}, 0, sd, DType::F64);
    Tensor table = Rng(substream(c.data_seed, EXEMPLAR_NOISE)).normal({classes, M, D}, 0, sd, DType::F64);
    const double* prototype = mu.data<double>();
    double* e = table.data<double>();  // holds η until overwritten
    const double scale = 1 / std::sqrt(1 + c.epsilon * c.epsilon);
    for (int64_t k = 0; k < classes; ++k)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t d = 0; d < D; ++d) {
                double& x = e[(k * M + m) * D + d];
                x = (prototype[k * D + d] + c.epsilon * x) * scale;
            }
    return table;
}

bool every_label_appears(const std::vector<Pair>& pairs, int labels) {
    std::vector<bool> seen(size_t(labels), false);
    for (const Pair& p : pairs) seen[size_t(p[0])] = seen[size_t(p[1])] = true;
    return std::all_of(seen.begin(), seen.end(), [](bool s) { return s; });
}

// §8.2: the L(L-1)/2 unordered label pairs, shuffled once from data_seed and cut 8:2 (train rounded
// down); re-shuffled until every label appears in a train pair. Both parts come back sorted.
void split_label_pairs(const FewShotTaskConfig& c, std::vector<Pair>& train, std::vector<Pair>& heldout) {
    std::vector<Pair> all;
    for (int32_t a = 0; a < c.labels; ++a)
        for (int32_t b = a + 1; b < c.labels; ++b) all.push_back({a, b});
    const size_t train_count = all.size() * 8 / 10;
    Rng rng(substream(c.data_seed, LABEL_PAIR_SPLIT));
    do {
        for (size_t i = all.size() - 1; i > 0; --i)  // Fisher–Yates
            std::swap(all[i], all[size_t(rng.next_int(0, int64_t(i) + 1))]);
        train.assign(all.begin(), all.begin() + ptrdiff_t(train_count));
    } while (!every_label_appears(train, c.labels));
    heldout.assign(all.begin() + ptrdiff_t(train_count), all.end());
    std::sort(train.begin(), train.end());
    std::sort(heldout.begin(), heldout.end());
}

FewShotSequences allocate(int64_t count, int context_pairs) {
    FewShotSequences s;
    s.count = count;
    s.context_pairs = context_pairs;
    s.exemplar_class.assign(size_t(count * (context_pairs + 1)), 0);
    s.exemplar_index.assign(size_t(count * (context_pairs + 1)), 0);
    s.context_label.assign(size_t(count * context_pairs), 0);
    s.query_label.assign(size_t(count), 0);
    s.correct.assign(size_t(count), -1);
    return s;
}

// Where a §8.2 sequence draws from: classes [first_class, first_class + class_count), a set of
// label pairs, and whether the exemplars are the held-out m = 1..4 instead of m = 0.
struct IclSource {
    int32_t first_class, class_count;
    const std::vector<Pair>* pairs;
    bool heldout_exemplars;
};

// One §8.2 sequence [x_1, y_1, x_2, y_2, x_q]: query class c_q, distractor c_d ≠ c_q, their order a
// uniform permutation; a label pair {a, b} in a random order with label(c_q) = a, label(c_d) = b,
// y_q = a. With m = 0 the query is the very exemplar in the context (§8.2); for held-out exemplars
// each of the three tokens draws its m independently from 1..4, so the query may or may not be the
// same exemplar as its in-context match.
void draw_icl(Rng& rng, const IclSource& source, FewShotSequences& s, int64_t row) {
    const int32_t c_q = source.first_class + int32_t(rng.next_int(0, source.class_count));
    int32_t c_d = source.first_class + int32_t(rng.next_int(0, source.class_count - 1));
    if (c_d >= c_q) ++c_d;
    const int query_pair = int(rng.next_int(0, 2));  // which context pair holds c_q
    Pair ab = (*source.pairs)[size_t(rng.next_int(0, int64_t(source.pairs->size())))];
    if (rng.next_int(0, 2) == 1) std::swap(ab[0], ab[1]);
    int32_t* classes = &s.exemplar_class[size_t(row * 3)];
    int32_t* m = &s.exemplar_index[size_t(row * 3)];
    int32_t* y = &s.context_label[size_t(row * 2)];
    classes[query_pair] = c_q;
    classes[1 - query_pair] = c_d;
    classes[2] = c_q;
    for (int j = 0; j < 3; ++j) m[j] = source.heldout_exemplars ? int32_t(rng.next_int(1, 5)) : 0;
    y[query_pair] = ab[0];
    y[1 - query_pair] = ab[1];
    s.query_label[size_t(row)] = ab[0];
    s.correct[size_t(row)] = query_pair;
}

// Per-sequence relabelling of a bursty sequence: its distinct classes, in order of first appearance
// (the query last), take distinct labels drawn without replacement from 0..L-1 (L >= N + 1 is
// validated). correct is the first context pair of the query's class, -1 when it is absent.
void relabel_distinct(Rng& rng, int labels, FewShotSequences& s, int64_t row) {
    const int N = s.context_pairs;
    const int32_t* classes = &s.exemplar_class[size_t(row * (N + 1))];
    std::vector<int32_t> pool(static_cast<size_t>(labels));
    std::iota(pool.begin(), pool.end(), 0);
    std::map<int32_t, int32_t> label_of;
    auto label = [&](int32_t c) {
        auto [it, fresh] = label_of.try_emplace(c, 0);
        if (fresh) {  // one more step of a partial Fisher–Yates shuffle of the pool
            const size_t t = label_of.size() - 1;
            std::swap(pool[t], pool[size_t(rng.next_int(int64_t(t), labels))]);
            it->second = pool[t];
        }
        return it->second;
    };
    for (int j = 0; j < N; ++j) s.context_label[size_t(row * N + j)] = label(classes[j]);
    s.query_label[size_t(row)] = label(classes[N]);
    const int32_t* match = std::find(classes, classes + N, classes[N]);
    s.correct[size_t(row)] = match == classes + N ? -1 : int32_t(match - classes);
}

// [CH]'s generalised sequence (§8.2) over the train classes, m = 0: with probability p_bursty an
// embedded k-shot w-way problem (k items each of c_q and of w−1 other distinct classes, the
// remaining slots i.i.d. from the classes outside those w, positions shuffled); otherwise N i.i.d.
// uniform classes and an independent uniform query class.
void draw_bursty(Rng& rng, const FewShotTaskConfig& c, FewShotSequences& s, int64_t row) {
    const int N = c.context_pairs;
    int32_t* classes = &s.exemplar_class[size_t(row * (N + 1))];
    const int32_t c_q = int32_t(rng.next_int(0, c.train_classes));
    if (rng.next_uniform() < c.p_bursty) {
        std::vector<int32_t> way_classes = {c_q};
        while (way_classes.size() < size_t(c.ways)) {
            const int32_t other = int32_t(rng.next_int(0, c.train_classes));
            if (std::find(way_classes.begin(), way_classes.end(), other) == way_classes.end())
                way_classes.push_back(other);
        }
        int slot = 0;
        for (int32_t way : way_classes)
            for (int k = 0; k < c.shots; ++k) classes[slot++] = way;
        while (slot < N) {
            const int32_t other = int32_t(rng.next_int(0, c.train_classes));
            if (std::find(way_classes.begin(), way_classes.end(), other) == way_classes.end())
                classes[slot++] = other;
        }
        for (int i = N - 1; i > 0; --i) std::swap(classes[i], classes[rng.next_int(0, i + 1)]);
    } else {
        for (int j = 0; j < N; ++j) classes[j] = int32_t(rng.next_int(0, c.train_classes));
    }
    classes[N] = c_q;
    relabel_distinct(rng, c.labels, s, row);
}

// count sequences, sequence i drawn by draw(rng, s, i) from its own key substream(stream_key, i);
// with presentation noise, each sequence also records the key its noise is drawn from.
template <class Draw>
FewShotSequences sample_sequences(int64_t count, int context_pairs, uint64_t stream_key, bool noisy,
                                  Draw&& draw) {
    FewShotSequences s = allocate(count, context_pairs);
    if (noisy) s.noise_key.resize(size_t(count));
    for (int64_t i = 0; i < count; ++i) {
        const uint64_t key = substream(stream_key, uint64_t(i));
        Rng rng(key);
        draw(rng, s, i);
        if (noisy) s.noise_key[size_t(i)] = substream(key, PRESENTATION_NOISE);
    }
    return s;
}

}  // namespace

const char* split_name(FewShotSplit split) {
    switch (split) {
        case FewShotSplit::TRAIN: return "train";
        case FewShotSplit::TEST_RELABEL: return "test_relabel";
        case FewShotSplit::TRAIN_HELDOUT_EXEMPLARS: return "train_heldout_exemplars";
        case FewShotSplit::TEST_CLASSES: return "test_classes";
    }
    return "?";
}

FewShotTask::FewShotTask(FewShotTaskConfig config) : config_(std::move(config)) {
    config_.validate();
    table_ = make_exemplar_table(config_);
    split_label_pairs(config_, train_pairs_, heldout_pairs_);
}

FewShotSequences FewShotTask::sample_training(int64_t count, uint64_t stream) const {
    check(count >= 0 && count <= FewShotTaskConfig::MAX_SEQUENCES, "few-shot sample_training: count must be in [0, ",
          FewShotTaskConfig::MAX_SEQUENCES, "], got ", count);
    const uint64_t key = substream(substream(config_.train_seed, TRAINING), stream);
    const bool noisy = config_.noise_scale > 0;
    if (config_.sampling == "bursty")
        return sample_sequences(count, config_.context_pairs, key, noisy,
                                [&](Rng& rng, FewShotSequences& s, int64_t i) { draw_bursty(rng, config_, s, i); });
    const IclSource source{0, config_.train_classes, &train_pairs_, false};
    return sample_sequences(count, 2, key, noisy,
                            [&](Rng& rng, FewShotSequences& s, int64_t i) { draw_icl(rng, source, s, i); });
}

// The §8.2 table: train classes, m = 0 and the train pairs, except for the one thing each split changes.
FewShotSequences FewShotTask::evaluation_split(FewShotSplit split) const {
    IclSource source{0, config_.train_classes, &train_pairs_, false};
    if (split == FewShotSplit::TEST_RELABEL) source.pairs = &heldout_pairs_;
    if (split == FewShotSplit::TRAIN_HELDOUT_EXEMPLARS) source.heldout_exemplars = true;
    if (split == FewShotSplit::TEST_CLASSES)
        source = {config_.train_classes, config_.test_classes, &train_pairs_, false};
    const uint64_t key = substream(substream(config_.eval_seed, EVALUATION), uint64_t(split));
    return sample_sequences(config_.eval_sequences, 2, key, config_.noise_scale > 0,
                            [&](Rng& rng, FewShotSequences& s, int64_t i) { draw_icl(rng, source, s, i); });
}

FewShotSequences FewShotTask::exhaustive() const {
    const int32_t K = config_.train_classes;
    FewShotSequences s = allocate(int64_t(K) * (K - 1) * int64_t(train_pairs_.size()) * 2 * 2, 2);
    int64_t row = 0;
    for (int32_t c1 = 0; c1 < K; ++c1)
        for (int32_t c2 = 0; c2 < K; ++c2) {
            if (c1 == c2) continue;
            for (const Pair& pair : train_pairs_)
                for (int flip = 0; flip < 2; ++flip)  // context labels (pair[flip], pair[1 - flip])
                    for (int query_pair = 0; query_pair < 2; ++query_pair, ++row) {
                        const int32_t classes[3] = {c1, c2, query_pair == 0 ? c1 : c2};
                        std::copy(classes, classes + 3, &s.exemplar_class[size_t(row * 3)]);
                        s.context_label[size_t(row * 2)] = pair[flip];
                        s.context_label[size_t(row * 2 + 1)] = pair[1 - flip];
                        s.query_label[size_t(row)] = pair[query_pair == 0 ? flip : 1 - flip];
                        s.correct[size_t(row)] = query_pair;
                    }
        }
    return s;
}

namespace {

// Checks that rows [begin, end) of a sequence set fit a task (sizes, and classes, exemplars and
// labels in range), so inputs() never reads outside the table, whoever built the set.
void check_fits(const FewShotSequences& s, int64_t begin, int64_t end, int64_t classes, int labels) {
    const int64_t N = s.context_pairs;
    check(N >= 1 && s.exemplar_class.size() == size_t(s.count * (N + 1)) &&
              s.exemplar_index.size() == s.exemplar_class.size() && s.context_label.size() == size_t(s.count * N) &&
              s.query_label.size() == size_t(s.count) && s.correct.size() == size_t(s.count) &&
              (s.noise_key.empty() || s.noise_key.size() == size_t(s.count)),
          "few-shot inputs: the sequence set's vectors do not match count ", s.count, " and context_pairs ", N);
    for (int64_t i = begin * (N + 1); i < end * (N + 1); ++i) {
        const int32_t c = s.exemplar_class[size_t(i)], m = s.exemplar_index[size_t(i)];
        check(c >= 0 && c < classes, "few-shot inputs: class ", c, " outside the table's ", classes, " classes");
        check(m >= 0 && m < FewShotTask::EXEMPLARS_PER_CLASS, "few-shot inputs: exemplar index ", m, " outside [0, ",
              FewShotTask::EXEMPLARS_PER_CLASS, ")");
    }
    auto label = [&](int32_t y) {
        check(y >= 0 && y < labels, "few-shot inputs: label ", y, " outside [0, L = ", labels, ")");
    };
    for (int64_t i = begin * N; i < end * N; ++i) label(s.context_label[size_t(i)]);
    for (int64_t row = begin; row < end; ++row) {
        label(s.query_label[size_t(row)]);
        const int32_t c = s.correct[size_t(row)];
        check(c >= -1 && c < N, "few-shot inputs: correct ", c, " outside [-1, ", N, ")");
    }
}

}  // namespace

FewShotInputs FewShotTask::inputs(const FewShotSequences& s, int64_t begin, int64_t end, DType dtype) const {
    check(0 <= begin && begin <= end && end <= s.count, "few-shot inputs: rows [", begin, ", ", end,
          ") outside the set's [0, ", s.count, ")");
    check(is_floating(dtype), "few-shot inputs: dtype must be f32 or f64, got ", dtype_name(dtype));
    check_fits(s, begin, end, table_.size(0), config_.labels);
    const int64_t b = end - begin, N = s.context_pairs, T = 2 * N + 1, D = config_.feature_dim, L = config_.labels;
    const int64_t M = EXEMPLARS_PER_CLASS;
    const double noise_sd = config_.noise_scale / std::sqrt(double(D));
    const bool noisy = !s.noise_key.empty() && noise_sd > 0;
    std::vector<double> x(size_t(b * T * D), 0.0), is_label(size_t(b * T), 0.0), in_context(size_t(b * L), 0.0);
    std::vector<int32_t> labels(size_t(b * T), 0), targets(size_t(b), 0), correct(size_t(b), 0);
    for (int64_t r = 0; r < b; ++r) {
        const int64_t row = begin + r;
        // noise: [N + 1, D], one row per exemplar token (zeros without presentation noise)
        Tensor noise = noisy ? Rng(s.noise_key[size_t(row)]).normal({N + 1, D}, 0, noise_sd, DType::F64)
                             : Tensor::zeros({N + 1, D}, DType::F64);
        for (int64_t j = 0; j <= N; ++j) {  // exemplar j sits at position 2j; x_q at 2N
            const size_t token = size_t(row * (N + 1) + j);
            const double* e = table_.data<double>() + (s.exemplar_class[token] * M + s.exemplar_index[token]) * D;
            const double* n = noise.data<double>() + j * D;
            for (int64_t d = 0; d < D; ++d) x[size_t((r * T + 2 * j) * D + d)] = e[d] + n[d];
        }
        for (int64_t j = 0; j < N; ++j) {  // y_j sits at position 2j + 1
            const int32_t y = s.context_label[size_t(row * N + j)];
            labels[size_t(r * T + 2 * j + 1)] = y;
            is_label[size_t(r * T + 2 * j + 1)] = 1;
            in_context[size_t(r * L + y)] = 1;
        }
        targets[size_t(r)] = s.query_label[size_t(row)];
        correct[size_t(r)] = s.correct[size_t(row)];
    }
    return {Tensor::from_vector({b, T, D}, x, dtype), Tensor::from_ints({b, T}, labels),
            Tensor::from_vector({b, T, 1}, is_label, dtype), Tensor::from_ints({b}, targets),
            Tensor::from_vector({b, L}, in_context, dtype), Tensor::from_ints({b}, correct)};
}

// ---- config ------------------------------------------------------------------------------------

void FewShotTaskConfig::validate(const std::string& source) const {
    auto integer = [&](const char* field, int64_t value, int64_t low, int64_t high) {
        check(value >= low && value <= high, source, ": field '", field, "' must be an integer in [", low, ", ",
              high, "], got ", value);
    };
    auto number = [&](const char* field, double value, double low, double high) {
        check(std::isfinite(value) && value >= low && value <= high, source, ": field '", field,
              "' must be a number in [", low, ", ", high, "], got ", value);
    };
    auto seed = [&](const char* field, uint64_t value) {
        check(value <= (uint64_t{1} << 53), source, ": field '", field, "' must be an integer in [0, 2^53], got ",
              value);
    };
    integer("feature_dim", feature_dim, 1, MAX_FEATURE_DIM);
    number("epsilon", epsilon, 0, 100);
    integer("train_classes", train_classes, 2, MAX_CLASSES);  // a distractor needs a second class
    integer("test_classes", test_classes, 2, MAX_CLASSES);
    integer("labels", labels, 3, MAX_LABELS);  // L >= 3 leaves at least one held-out pair
    number("noise_scale", noise_scale, 0, 100);
    seed("data_seed", data_seed);
    seed("train_seed", train_seed);
    seed("eval_seed", eval_seed);
    integer("eval_sequences", eval_sequences, 1, MAX_SEQUENCES);
    const double table_values = (double(train_classes) + test_classes) * FewShotTask::EXEMPLARS_PER_CLASS * feature_dim;
    check(table_values <= MAX_TABLE_VALUES, source, ": fields 'train_classes', 'test_classes' and 'feature_dim' ask",
          " for ", table_values, " exemplar values, more than ", MAX_TABLE_VALUES);
    check(sampling == "icl" || sampling == "bursty", source, ": field 'sampling' must be \"icl\" or \"bursty\", got \"",
          json::printable_line(sampling), "\"");
    integer("context_pairs", context_pairs, 1, MAX_CONTEXT_PAIRS);
    integer("shots", shots, 1, context_pairs);
    integer("ways", ways, 1, context_pairs / shots);  // k·w <= N
    number("p_bursty", p_bursty, 0, 1);
    if (sampling != "bursty") return;
    check(labels >= context_pairs + 1, source, ": field 'labels' must be at least context_pairs + 1 = ",
          context_pairs + 1, " for bursty sampling (distinct classes take distinct labels), got ", labels);
    const int needed = ways + (shots * ways < context_pairs ? 1 : 0);
    check(train_classes >= needed, source, ": field 'ways' needs at least ", needed,
          " train classes (w, plus one to fill the slots outside the k-shot w-way problem), got train_classes ",
          train_classes);
}

json::Value FewShotTaskConfig::to_json() const {
    json::Value v = json::Value::object();
    v["feature_dim"] = feature_dim;
    v["epsilon"] = epsilon;
    v["train_classes"] = train_classes;
    v["test_classes"] = test_classes;
    v["labels"] = labels;
    v["noise_scale"] = noise_scale;
    v["data_seed"] = data_seed;
    v["train_seed"] = train_seed;
    v["eval_seed"] = eval_seed;
    v["eval_sequences"] = eval_sequences;
    v["sampling"] = sampling;
    v["context_pairs"] = context_pairs;
    v["shots"] = shots;
    v["ways"] = ways;
    v["p_bursty"] = p_bursty;
    return v;
}

FewShotTaskConfig FewShotTaskConfig::from_json(const json::Value& v, const std::string& source) {
    check(v.is_object(), source, ": a few-shot task config must be a JSON object");
    static const std::set<std::string> known = {
        "feature_dim", "epsilon", "train_classes", "test_classes", "labels", "noise_scale", "data_seed",
        "train_seed", "eval_seed", "eval_sequences", "sampling", "context_pairs", "shots", "ways", "p_bursty"};
    for (const auto& [key, value] : v.members())
        check(known.count(key) > 0, source, ": unknown few-shot task config field '", json::printable_line(key), "'");
    auto number = [&](const char* key, double& field) {
        if (!v.contains(key)) return;
        check(v.at(key).is_number(), source, ": field '", key, "' must be a number, got ", json::dump(v.at(key)));
        field = v.at(key).as_number();
    };
    // Checked before any conversion, so a huge or fractional value cannot wrap into range.
    auto integer = [&](const char* key, int& field) {
        if (!v.contains(key)) return;
        double x = 0;
        number(key, x);
        check(x == std::trunc(x) && std::abs(x) <= double(std::numeric_limits<int>::max()), source, ": field '",
              key, "' must be an integer of at most ", std::numeric_limits<int>::max(), " in magnitude, got ", x);
        field = int(x);
    };
    // Seeds are unsigned: a negative one would otherwise wrap to 2^64 - |seed|.
    auto seed = [&](const char* key, uint64_t& field) {
        if (!v.contains(key)) return;
        double x = 0;
        number(key, x);
        check(x == std::trunc(x) && x >= 0 && x <= MAX_SEED, source, ": field '", key,
              "' must be an integer in [0, 2^53], got ", x);
        field = uint64_t(x);
    };
    FewShotTaskConfig c;
    integer("feature_dim", c.feature_dim);
    number("epsilon", c.epsilon);
    integer("train_classes", c.train_classes);
    integer("test_classes", c.test_classes);
    integer("labels", c.labels);
    number("noise_scale", c.noise_scale);
    seed("data_seed", c.data_seed);
    seed("train_seed", c.train_seed);
    seed("eval_seed", c.eval_seed);
    integer("eval_sequences", c.eval_sequences);
    if (v.contains("sampling")) {
        check(v.at("sampling").is_string(), source, ": field 'sampling' must be a string, got ",
              json::dump(v.at("sampling")));
        c.sampling = v.at("sampling").as_string();
    }
    integer("context_pairs", c.context_pairs);
    integer("shots", c.shots);
    integer("ways", c.ways);
    number("p_bursty", c.p_bursty);
    c.validate(source);
    return c;
}

}  // namespace induction
