// resume_state.cpp — writing and checking snapshots/resume.safetensors (resume_state.h).
#include "train/resume_state.h"

#include <charconv>
#include <set>

#include "model/io/safetensors.h"
#include "tensor/finite.h"

namespace induction {

namespace {

// A metadata value that must be a plain decimal integer in [0, 2^53] (no sign, no wrap-around).
int64_t metadata_integer(const SafetensorsFile& file, const std::string& key) {
    for (const auto& [k, text] : file.metadata) {
        if (k != key) continue;
        int64_t value = -1;
        const char* end = text.data() + text.size();
        auto [stop, error] = std::from_chars(text.data(), end, value);
        check(error == std::errc() && stop == end && !text.empty() && text[0] != '-' &&
                  value <= (int64_t{1} << 53),
              file.path, ": __metadata__ '", key, "' must be an integer in [0, 2^53], got \"", text, "\"");
        return value;
    }
    fail(file.path, ": no '", key, "' in __metadata__ (expected the step the state belongs to)");
}

// The moment `name` of parameter p, checked for dtype, shape and (unless allowed) finiteness.
Tensor checked_moment(const SafetensorsFile& file, const std::string& name, const NamedParameter& p,
                      bool non_negative, bool allow_nonfinite) {
    check(file.contains(name), file.path, ": tensor '", name, "' is missing (the optimizer moment of '",
          p.name, "')");
    const Tensor& t = file.get(name);
    const Tensor& value = p.var->value();
    check(t.dtype() == value.dtype() && t.shape() == value.shape(), file.path, ": tensor '", name, "' is ",
          describe(t), ", expected ", dtype_name(value.dtype()), value.shape().str(), " like '", p.name, "'");
    if (!allow_nonfinite) {
        const int64_t bad = first_nonfinite_index(t);
        check(bad < 0, file.path, ": tensor '", name, "' is not finite at flat index ", bad,
              "; a run resumes only from finite optimizer moments");
        if (non_negative)
            for (double x : t.reshape({t.numel()}).to_vector())
                check(x >= 0, file.path, ": tensor '", name, "' holds ", x,
                      "; second moments are never negative");
    }
    return t.clone();
}

}  // namespace

void write_resume_state(const std::string& path, int64_t step, AdamW& optimizer,
                        const std::vector<NamedParameter>& parameters) {
    std::vector<std::pair<std::string, Tensor>> state;
    size_t k = 0;
    for (const NamedParameter& p : parameters) {
        if (!p.var->requires_grad()) continue;
        state.push_back({"m." + p.name, optimizer.first_moments()[k]});
        state.push_back({"v." + p.name, optimizer.second_moments()[k]});
        ++k;
    }
    write_safetensors(path, state,
                      {{"step", std::to_string(step)}, {"adam_steps", std::to_string(optimizer.steps_taken())}});
}

ResumeState read_resume_state(const std::string& path, const std::vector<NamedParameter>& parameters,
                              bool allow_nonfinite) {
    const SafetensorsFile file = read_safetensors(path);
    ResumeState state;
    state.step = metadata_integer(file, "step");
    state.adam_steps = metadata_integer(file, "adam_steps");
    std::set<std::string> expected;
    for (const NamedParameter& p : parameters) {
        if (!p.var->requires_grad()) continue;
        expected.insert("m." + p.name);
        expected.insert("v." + p.name);
        state.first_moments.push_back(checked_moment(file, "m." + p.name, p, false, allow_nonfinite));
        state.second_moments.push_back(checked_moment(file, "v." + p.name, p, true, allow_nonfinite));
    }
    for (const auto& [name, tensor] : file.tensors)
        check(expected.count(name) > 0, path, ": unexpected tensor '", name, "' for this model");
    return state;
}

}  // namespace induction
