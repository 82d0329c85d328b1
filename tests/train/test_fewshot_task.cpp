// test_fewshot_task.cpp — the few-shot task of METHODS §8.1–8.2 and §8.4: the label-pair split has
// the 8:2 sizes and covers every label, the exhaustive set holds every combination once, the four
// evaluation splits keep apart what the §8.2 table keeps apart, sampling is a pure function of the
// seeds, the clusters have the promised cosines, the model inputs sit where the layout says, the
// bursty option embeds k-shot w-way problems, and bad configs name the field.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <tuple>

#include "tests/support/testing.h"
#include "train/fewshot_task.h"

namespace induction::testing {

namespace {

using Pair = std::array<int32_t, 2>;

constexpr FewShotSplit SPLITS[] = {FewShotSplit::TRAIN, FewShotSplit::TEST_RELABEL,
                                   FewShotSplit::TRAIN_HELDOUT_EXEMPLARS, FewShotSplit::TEST_CLASSES};

bool contains(const std::vector<Pair>& pairs, int32_t a, int32_t b) {
    const Pair p = {std::min(a, b), std::max(a, b)};
    return std::find(pairs.begin(), pairs.end(), p) != pairs.end();
}

// Every field of two sequence sets equal.
bool same(const FewShotSequences& a, const FewShotSequences& b) {
    return a.count == b.count && a.context_pairs == b.context_pairs && a.exemplar_class == b.exemplar_class &&
           a.exemplar_index == b.exemplar_index && a.context_label == b.context_label &&
           a.query_label == b.query_label && a.correct == b.correct && a.noise_key == b.noise_key;
}

// The first n sequences of a set.
FewShotSequences prefix(const FewShotSequences& s, int64_t n) {
    FewShotSequences p = s;
    const int64_t N = s.context_pairs;
    p.count = n;
    p.exemplar_class.resize(size_t(n * (N + 1)));
    p.exemplar_index.resize(size_t(n * (N + 1)));
    p.context_label.resize(size_t(n * N));
    p.query_label.resize(size_t(n));
    p.correct.resize(size_t(n));
    if (!p.noise_key.empty()) p.noise_key.resize(size_t(n));
    return p;
}

// The §8.2 invariants of one 2-pair sequence of `split`: a query class and a distinct distractor,
// the query's class and label at pair `correct`, a label pair of the split, classes and exemplars
// from the split's part of the table.
::testing::AssertionResult follows_split(const FewShotTask& task, const FewShotSequences& s, int64_t row,
                                         FewShotSplit split) {
    const int32_t* c = &s.exemplar_class[size_t(row * 3)];
    const int32_t* m = &s.exemplar_index[size_t(row * 3)];
    const int32_t* y = &s.context_label[size_t(row * 2)];
    const int32_t q = s.correct[size_t(row)], K = task.config().train_classes;
    const bool test_classes = split == FewShotSplit::TEST_CLASSES;
    const bool heldout_exemplars = split == FewShotSplit::TRAIN_HELDOUT_EXEMPLARS;
    const auto& pairs = split == FewShotSplit::TEST_RELABEL ? task.heldout_pairs() : task.train_pairs();
    auto failure = [&](const char* what) {
        return ::testing::AssertionFailure() << split_name(split) << " row " << row << ": " << what;
    };
    if (c[0] == c[1]) return failure("no distractor");
    if (q < 0 || q > 1 || c[q] != c[2]) return failure("correct does not point at the query's class");
    if (s.query_label[size_t(row)] != y[q]) return failure("y_q is not the label of the query's class");
    if (!contains(pairs, y[0], y[1])) return failure("label pair not from the split's pairs");
    for (int j = 0; j < 3; ++j) {
        if ((c[j] >= K) != test_classes || c[j] >= K + task.config().test_classes) return failure("class");
        if ((m[j] != 0) != heldout_exemplars || m[j] >= FewShotTask::EXEMPLARS_PER_CLASS) return failure("m");
    }
    return ::testing::AssertionSuccess();
}

double dot(const double* a, const double* b, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

double cosine(const double* a, const double* b, int64_t n) {
    return dot(a, b, n) / std::sqrt(dot(a, a, n) * dot(b, b, n));
}

}  // namespace

TEST(FewShotTask, LabelPairsSplitEightToTwoAndEveryLabelTrains) {
    const std::map<int, std::pair<size_t, size_t>> sizes = {{3, {2, 1}}, {5, {8, 2}}, {10, {36, 9}}, {15, {84, 21}}};
    for (const auto& [L, expected] : sizes)
        for (uint64_t data_seed : {0, 1, 2, 3}) {
            FewShotTaskConfig config;
            config.labels = L;
            config.data_seed = data_seed;
            FewShotTask task(config);
            EXPECT_EQ(task.train_pairs().size(), expected.first) << "L = " << L;
            EXPECT_EQ(task.heldout_pairs().size(), expected.second) << "L = " << L;
            std::set<Pair> all;
            for (const auto* part : {&task.train_pairs(), &task.heldout_pairs()})
                for (const Pair& p : *part) {
                    EXPECT_TRUE(0 <= p[0] && p[0] < p[1] && p[1] < L) << p[0] << ", " << p[1];
                    all.insert(p);
                }
            EXPECT_EQ(all.size(), size_t(L * (L - 1) / 2)) << "the parts overlap or miss a pair, L = " << L;
            std::set<int32_t> trained;
            for (const Pair& p : task.train_pairs()) trained.insert({p[0], p[1]});
            EXPECT_EQ(trained.size(), size_t(L)) << "a label never appears in training, L = " << L;
        }
}

TEST(FewShotTask, ExhaustiveSetHoldsEveryCombinationOnce) {
    FewShotTask task{FewShotTaskConfig{}};
    const FewShotSequences s = task.exhaustive();
    ASSERT_EQ(s.count, 78400);  // 50·49 ordered class pairs × 8·2 label orders × 2 query choices
    EXPECT_TRUE(s.noise_key.empty());
    std::set<std::tuple<int32_t, int32_t, int32_t, int32_t, int32_t>> seen;
    for (int64_t row = 0; row < s.count; ++row) {
        ASSERT_TRUE(follows_split(task, s, row, FewShotSplit::TRAIN));
        seen.insert({s.exemplar_class[size_t(row * 3)], s.exemplar_class[size_t(row * 3 + 1)],
                     s.context_label[size_t(row * 2)], s.context_label[size_t(row * 2 + 1)], s.correct[size_t(row)]});
    }
    EXPECT_EQ(seen.size(), size_t(78400)) << "some sequence appears twice";

    FewShotTaskConfig ten_labels;
    ten_labels.train_classes = 10;
    ten_labels.labels = 10;
    EXPECT_EQ(FewShotTask(ten_labels).exhaustive().count, 10 * 9 * 36 * 2 * 2);
}

TEST(FewShotTask, EvaluationSplitsKeepApartWhatTheTableSays) {
    FewShotTask task{FewShotTaskConfig{}};
    for (const Pair& p : task.heldout_pairs()) EXPECT_FALSE(contains(task.train_pairs(), p[0], p[1]));
    for (FewShotSplit split : SPLITS) {
        const FewShotSequences s = task.evaluation_split(split);
        ASSERT_EQ(s.count, 1000) << split_name(split);
        ASSERT_EQ(s.context_pairs, 2);
        int query_first = 0, query_repeats_exemplar = 0;
        std::set<int32_t> exemplars_used;
        for (int64_t row = 0; row < s.count; ++row) {
            ASSERT_TRUE(follows_split(task, s, row, split));
            query_first += s.correct[size_t(row)] == 0;
            const int32_t* m = &s.exemplar_index[size_t(row * 3)];
            query_repeats_exemplar += m[2] == m[s.correct[size_t(row)]];
            exemplars_used.insert(m, m + 3);
        }
        EXPECT_NEAR(query_first, 500, 80) << split_name(split) << ": the pair order is not a uniform permutation";
        if (split == FewShotSplit::TRAIN_HELDOUT_EXEMPLARS) {
            EXPECT_EQ(exemplars_used, (std::set<int32_t>{1, 2, 3, 4}));
            EXPECT_NEAR(query_repeats_exemplar, 250, 70) << "query and in-context m are not independent draws";
        }
    }
    EXPECT_STREQ(split_name(FewShotSplit::TRAIN), "train");
    EXPECT_STREQ(split_name(FewShotSplit::TEST_RELABEL), "test_relabel");
    EXPECT_STREQ(split_name(FewShotSplit::TRAIN_HELDOUT_EXEMPLARS), "train_heldout_exemplars");
    EXPECT_STREQ(split_name(FewShotSplit::TEST_CLASSES), "test_classes");
}

TEST(FewShotTask, TrainingSequencesFollowTheMainLayout) {
    FewShotTask task{FewShotTaskConfig{}};
    const FewShotSequences s = task.sample_training(2000, 0);
    ASSERT_EQ(s.count, 2000);
    std::vector<int> query_class_counts(50, 0);
    for (int64_t row = 0; row < s.count; ++row) {
        ASSERT_TRUE(follows_split(task, s, row, FewShotSplit::TRAIN));
        ++query_class_counts[size_t(s.exemplar_class[size_t(row * 3 + 2)])];
    }
    for (int count : query_class_counts) EXPECT_NEAR(count, 40, 25) << "c_q is not uniform over the train classes";
    EXPECT_EQ(task.sample_training(0, 0).count, 0);
    EXPECT_THROW_MESSAGE(task.sample_training(-1, 0), "count");
}

TEST(FewShotTask, SamplingIsAPureFunctionOfTheSeeds) {
    const FewShotTaskConfig base;
    FewShotTask a(base), b(base);
    EXPECT_EQ(a.exemplar_table().to_vector(), b.exemplar_table().to_vector());
    EXPECT_EQ(a.train_pairs(), b.train_pairs());
    EXPECT_TRUE(same(a.sample_training(64, 3), b.sample_training(64, 3)));
    EXPECT_TRUE(same(a.sample_training(32, 3), prefix(b.sample_training(64, 3), 32))) << "depends on the batch size";
    EXPECT_FALSE(same(a.sample_training(64, 3), a.sample_training(64, 4))) << "streams repeat";
    for (FewShotSplit split : SPLITS) EXPECT_TRUE(same(a.evaluation_split(split), b.evaluation_split(split)));
    EXPECT_FALSE(same(a.evaluation_split(FewShotSplit::TRAIN), a.sample_training(1000, 0)));

    FewShotTaskConfig other_train = base, other_eval = base, other_data = base, more_test = base;
    other_train.train_seed = 7;
    other_eval.eval_seed = 7;
    other_data.data_seed = 7;
    more_test.test_classes = 120;
    FewShotTask t(other_train), e(other_eval), d(other_data), m(more_test);
    EXPECT_FALSE(same(t.sample_training(64, 3), a.sample_training(64, 3)));
    EXPECT_TRUE(same(t.evaluation_split(FewShotSplit::TRAIN), a.evaluation_split(FewShotSplit::TRAIN)));
    EXPECT_EQ(t.exemplar_table().to_vector(), a.exemplar_table().to_vector());
    EXPECT_FALSE(same(e.evaluation_split(FewShotSplit::TRAIN), a.evaluation_split(FewShotSplit::TRAIN)));
    EXPECT_TRUE(same(e.sample_training(64, 3), a.sample_training(64, 3)));
    EXPECT_NE(d.exemplar_table().to_vector(), a.exemplar_table().to_vector());
    // The train classes' exemplars do not move when the test-class count changes.
    const std::vector<double> table = a.exemplar_table().to_vector(), wider = m.exemplar_table().to_vector();
    const size_t train_values = size_t(50 * 5 * 64);
    EXPECT_TRUE(std::equal(table.begin(), table.begin() + ptrdiff_t(train_values), wider.begin()));
}

TEST(FewShotTask, ClustersHaveThePromisedCosines) {
    for (double epsilon : {0.25, 0.5, 1.0}) {
        FewShotTaskConfig config;
        config.epsilon = epsilon;
        FewShotTask task(config);
        const Tensor& table = task.exemplar_table();
        ASSERT_EQ(table.shape(), Shape({150, 5, 64}));
        ASSERT_EQ(table.dtype(), DType::F64);
        const double* e = table.data<double>();
        auto row = [&](int c, int m) { return e + (c * 5 + m) * 64; };  // e_{c,m}
        double within = 0, norms = 0, between = 0, between_sq = 0;
        int n_within = 0, n_between = 0;
        for (int c = 0; c < 150; ++c)
            for (int m = 0; m < 5; ++m) {
                norms += dot(row(c, m), row(c, m), 64) / 750;
                for (int m2 = m + 1; m2 < 5; ++m2, ++n_within) within += cosine(row(c, m), row(c, m2), 64);
            }
        for (int c = 0; c < 150; ++c)
            for (int c2 = c + 1; c2 < 150; ++c2, ++n_between) {
                const double cos = cosine(row(c, 0), row(c2, 0), 64);
                between += cos;
                between_sq += cos * cos;
            }
        // Observed at the default seeds: within 1/(1+ε²) ± 0.001, between -0.002, rms 0.124.
        EXPECT_NEAR(within / n_within, 1 / (1 + epsilon * epsilon), 0.02) << "epsilon " << epsilon;
        EXPECT_NEAR(norms, 1.0, 0.05) << "epsilon " << epsilon;
        EXPECT_NEAR(between / n_between, 0.0, 0.01) << "epsilon " << epsilon;
        EXPECT_NEAR(std::sqrt(between_sq / n_between), 1 / std::sqrt(64.0), 0.02) << "epsilon " << epsilon;
    }
}

TEST(FewShotTask, InputsPutExemplarsAndLabelsWhereTheLayoutSays) {
    FewShotTask task{FewShotTaskConfig{}};
    const FewShotSequences s = task.evaluation_split(FewShotSplit::TRAIN_HELDOUT_EXEMPLARS);
    const int64_t begin = 5, b = 20, T = 5, D = 64, L = 5;
    const FewShotInputs in = task.inputs(s, begin, begin + b, DType::F64);
    ASSERT_EQ(in.exemplars.shape(), Shape({b, T, D}));
    ASSERT_EQ(in.labels.shape(), Shape({b, T}));
    ASSERT_EQ(in.is_label.shape(), Shape({b, T, 1}));
    ASSERT_EQ(in.in_context.shape(), Shape({b, L}));
    ASSERT_EQ(in.targets.shape(), Shape({b}));
    const double* x = in.exemplars.data<double>();
    const double* table = task.exemplar_table().data<double>();
    const std::vector<int32_t> labels = in.labels.to_ints(), targets = in.targets.to_ints();
    const std::vector<int32_t> correct = in.correct.to_ints();
    const std::vector<double> is_label = in.is_label.to_vector(), in_context = in.in_context.to_vector();
    for (int64_t r = 0; r < b; ++r) {
        const int64_t row = begin + r;
        for (int64_t t = 0; t < T; ++t) {
            const double* token = x + (r * T + t) * D;
            if (t % 2 == 0) {
                const size_t j = size_t(row * 3 + t / 2);
                const int64_t c = s.exemplar_class[j], m = s.exemplar_index[j];
                EXPECT_TRUE(std::equal(token, token + D, table + (c * 5 + m) * D)) << "row " << r << " position " << t;
                EXPECT_EQ(labels[size_t(r * T + t)], 0);
            } else {
                EXPECT_TRUE(std::all_of(token, token + D, [](double v) { return v == 0; })) << "label position " << t;
                EXPECT_EQ(labels[size_t(r * T + t)], s.context_label[size_t(row * 2 + t / 2)]);
            }
            EXPECT_EQ(is_label[size_t(r * T + t)], t % 2);
        }
        EXPECT_EQ(targets[size_t(r)], s.query_label[size_t(row)]);
        EXPECT_EQ(correct[size_t(r)], s.correct[size_t(row)]);
        EXPECT_EQ(labels[size_t(r * T + 2 * correct[size_t(r)] + 1)], targets[size_t(r)]);
        for (int32_t y = 0; y < L; ++y) {
            const bool present = y == s.context_label[size_t(row * 2)] || y == s.context_label[size_t(row * 2 + 1)];
            EXPECT_EQ(in_context[size_t(r * L + y)], present ? 1.0 : 0.0) << "row " << r << " label " << y;
        }
    }
    EXPECT_EQ(task.inputs(s, 0, 3).exemplars.dtype(), DType::F32);
    EXPECT_THROW_MESSAGE(task.inputs(s, 990, 1001), "rows");
    EXPECT_THROW_MESSAGE(task.inputs(s, 0, 3, DType::I32), "dtype");
    FewShotSequences foreign = s;
    foreign.context_label[0] = 5;
    EXPECT_THROW_MESSAGE(task.inputs(foreign, 0, 1), "label 5");
}

TEST(FewShotTask, PresentationNoiseIsPerSequenceAndReproducible) {
    FewShotTaskConfig config;
    config.noise_scale = 0.1;
    FewShotTask task(config);
    const FewShotSequences s = task.sample_training(8, 0);
    ASSERT_EQ(s.noise_key.size(), size_t(8));
    const std::vector<double> all = task.inputs(s, 0, 8, DType::F64).exemplars.to_vector();
    const std::vector<double> tail = task.inputs(s, 4, 8, DType::F64).exemplars.to_vector();
    EXPECT_TRUE(std::equal(tail.begin(), tail.end(), all.begin() + 4 * 5 * 64)) << "noise depends on the batch";
    const double* table = task.exemplar_table().data<double>();
    double sum_sq = 0;
    for (int64_t r = 0; r < 8; ++r)
        for (int64_t j = 0; j < 3; ++j)
            for (int64_t d = 0; d < 64; ++d) {
                const double* e = table + s.exemplar_class[size_t(r * 3 + j)] * 5 * 64;  // m = 0
                const double n = all[size_t((r * 5 + 2 * j) * 64 + d)] - e[d];
                sum_sq += n * n;
            }
    EXPECT_NEAR(std::sqrt(sum_sq / (8 * 3)), 0.1, 0.03) << "noise norm is not noise_scale";
    // The query and its in-context copy (both m = 0) get their own noise.
    const int64_t q = s.correct[0];
    EXPECT_NE(all[size_t(2 * q * 64)], all[size_t(4 * 64)]);
    EXPECT_TRUE(task.exhaustive().noise_key.empty());
}

TEST(FewShotTask, BurstySamplingEmbedsKShotWWayProblems) {
    FewShotTaskConfig config;
    config.sampling = "bursty";
    config.labels = 10;
    for (double p_bursty : {0.0, 0.9, 1.0}) {
        config.p_bursty = p_bursty;
        FewShotTask task(config);
        const FewShotSequences s = task.sample_training(2000, 1);
        ASSERT_EQ(s.context_pairs, 8);
        int bursty = 0, absent = 0;
        for (int64_t row = 0; row < s.count; ++row) {
            const int32_t* c = &s.exemplar_class[size_t(row * 9)];
            const int32_t* y = &s.context_label[size_t(row * 8)];
            std::map<int32_t, int> occurrences;
            std::map<int32_t, int32_t> label_of, class_of;
            for (int j = 0; j < 8; ++j) {
                ++occurrences[c[j]];
                ASSERT_EQ(label_of.try_emplace(c[j], y[j]).first->second, y[j]) << "a class with two labels";
                ASSERT_EQ(class_of.try_emplace(y[j], c[j]).first->second, c[j]) << "a label on two classes";
            }
            const int shots_of_query = occurrences.count(c[8]) ? occurrences[c[8]] : 0;
            const int32_t first = int32_t(std::find(c, c + 8, c[8]) - c);
            EXPECT_EQ(s.correct[size_t(row)], first == 8 ? -1 : first);
            if (first < 8) EXPECT_EQ(s.query_label[size_t(row)], y[first]);
            else EXPECT_EQ(class_of.count(s.query_label[size_t(row)]), 0u) << "an absent class took a context label";
            const auto ways =
                std::count_if(occurrences.begin(), occurrences.end(), [](const auto& o) { return o.second >= 3; });
            bursty += shots_of_query >= 3 && ways >= 2;
            absent += first == 8;
        }
        EXPECT_NEAR(bursty / 2000.0, p_bursty, 0.03) << "p_bursty " << p_bursty;
        if (p_bursty < 1) EXPECT_GT(absent, 0) << "i.i.d. sequences never miss the query class";
        else EXPECT_EQ(absent, 0);
        EXPECT_EQ(task.evaluation_split(FewShotSplit::TRAIN).context_pairs, 2) << "evaluators keep the §8.2 layout";
        EXPECT_EQ(task.inputs(s, 0, 4).exemplars.shape(), Shape({4, 17, 64}));
    }
}

TEST(FewShotTaskConfig, JsonRoundTrips) {
    FewShotTaskConfig c;
    c.feature_dim = 512;
    c.epsilon = 0.25;
    c.labels = 15;
    c.noise_scale = 0.1;
    c.data_seed = 3;
    c.train_seed = 9007199254740992ull;
    c.sampling = "bursty";
    c.p_bursty = 0.5;
    const json::Value back = FewShotTaskConfig::from_json(json::parse(json::dump(c.to_json())), "c.json").to_json();
    EXPECT_EQ(json::dump(back), json::dump(c.to_json()));
    EXPECT_EQ(json::dump(FewShotTaskConfig::from_json(json::parse("{}")).to_json()),
              json::dump(FewShotTaskConfig{}.to_json()));
}

TEST(FewShotTaskConfig, UnknownOrMistypedKeysNameTheSourceAndKey) {
    auto read = [](const char* text) { return FewShotTaskConfig::from_json(json::parse(text), "task.json"); };
    EXPECT_THROW_MESSAGE(read(R"({"labelz": 5})"), "task.json: unknown few-shot task config field 'labelz'");
    EXPECT_THROW_MESSAGE(read(R"({"labels": "5"})"), "field 'labels' must be a number");
    EXPECT_THROW_MESSAGE(read(R"({"labels": 5.5})"), "field 'labels' must be an integer");
    EXPECT_THROW_MESSAGE(read(R"({"labels": 4294967301})"), "field 'labels' must be an integer");
    EXPECT_THROW_MESSAGE(read(R"({"data_seed": -1})"), "field 'data_seed'");
    EXPECT_THROW_MESSAGE(read(R"({"sampling": 1})"), "field 'sampling' must be a string");
    EXPECT_THROW_MESSAGE(read(R"({"labels": 2})"), "task.json: field 'labels'");
    EXPECT_THROW_MESSAGE(read("[]"), "must be a JSON object");
}

TEST(FewShotTaskConfig, BadValuesNameTheField) {
    const std::vector<std::pair<std::function<void(FewShotTaskConfig&)>, const char*>> cases = {
        {[](auto& c) { c.feature_dim = 0; }, "field 'feature_dim'"},
        {[](auto& c) { c.epsilon = -0.5; }, "field 'epsilon'"},
        {[](auto& c) { c.epsilon = std::nan(""); }, "field 'epsilon'"},
        {[](auto& c) { c.train_classes = 1; }, "field 'train_classes'"},
        {[](auto& c) { c.test_classes = 1; }, "field 'test_classes'"},
        {[](auto& c) { c.labels = 2; }, "field 'labels'"},
        {[](auto& c) { c.labels = 5000; }, "field 'labels'"},
        {[](auto& c) { c.noise_scale = -1; }, "field 'noise_scale'"},
        {[](auto& c) { c.eval_seed = uint64_t(1) << 60; }, "field 'eval_seed'"},
        {[](auto& c) { c.eval_sequences = 0; }, "field 'eval_sequences'"},
        {[](auto& c) { c.feature_dim = 65536; c.train_classes = 1000; }, "'feature_dim'"},
        {[](auto& c) { c.sampling = "zipf"; }, "field 'sampling'"},
        {[](auto& c) { c.context_pairs = 0; }, "field 'context_pairs'"},
        {[](auto& c) { c.shots = 9; }, "field 'shots'"},
        {[](auto& c) { c.ways = 3; }, "field 'ways'"},
        {[](auto& c) { c.p_bursty = 1.5; }, "field 'p_bursty'"},
        {[](auto& c) { c.sampling = "bursty"; }, "field 'labels' must be at least context_pairs + 1 = 9"},
        {[](auto& c) { c.sampling = "bursty"; c.labels = 9; c.train_classes = 2; }, "field 'ways'"},
    };
    for (const auto& [change, message] : cases) {
        FewShotTaskConfig config;
        change(config);
        EXPECT_THROW_MESSAGE(FewShotTask{config}, message);
    }
}

}  // namespace induction::testing
