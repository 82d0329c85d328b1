// resume_state.cpp — libFuzzer target for read_resume_state (train/resume_state.h), the reader of
// snapshots/resume.safetensors: AdamW's moments and step counts for a resumed run.
//
// The input is the whole file, read against the parameters of one tiny fixed model (below; the
// seeds were written by write_resume_state for it), both with and without allow_nonfinite. It
// either loads or throws one clean Error line naming the file. A state that loads holds one
// first and one second moment per trainable parameter, each of that parameter's dtype and shape.
// Seeds: tests/fuzz/corpus/resume_state/.
#include <cstddef>
#include <cstdint>

#include "model/transformer.h"
#include "tests/fuzz/fuzz_support.h"
#include "train/resume_state.h"

using namespace induction;

namespace {

// 1 layer, d_model 4, one head of 4, vocabulary 5, context 4, smeared keys: 14 parameters.
Transformer& tiny_model() {
    static Transformer model = [] {
        ModelConfig config;
        config.n_layers = 1;
        config.d_model = 4;
        config.n_heads = 1;
        config.d_head = 4;
        config.d_vocab = 5;
        config.n_ctx = 4;
        config.smear_keys = true;
        return make_transformer(config, 0);
    }();
    return model;
}

// One moment per trainable parameter, in order, each of its parameter's dtype and shape.
bool matches(const std::vector<Tensor>& moments, const std::vector<NamedParameter>& parameters) {
    size_t k = 0;
    for (const NamedParameter& p : parameters) {
        if (!p.var->requires_grad()) continue;
        if (k == moments.size()) return false;
        const Tensor& moment = moments[k++];
        if (moment.dtype() != p.var->value().dtype() || moment.shape() != p.var->value().shape()) return false;
    }
    return k == moments.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fuzz::write_scratch_file({reinterpret_cast<const char*>(data), size});
    const std::vector<NamedParameter> parameters = tiny_model().parameters();
    for (bool allow_nonfinite : {false, true}) {
        fuzz::expect_success_or_clean_error(
            [&] {
                const ResumeState state = read_resume_state(path, parameters, allow_nonfinite);
                if (!matches(state.first_moments, parameters) || !matches(state.second_moments, parameters))
                    fuzz::crash("moments that do not match the parameters", path);
            },
            path);
    }
    return 0;
}
