// resume_state.h — snapshots/resume.safetensors: what continues a run exactly where it stopped.
//
// Beside the weights of the newest snapshot (step-NNNNNN.safetensors), a resume needs AdamW's
// moments m and v for every trainable parameter and the number of optimizer steps taken. They
// are stored as tensors "m.<parameter>" and "v.<parameter>" with metadata "step" and
// "adam_steps". Reading checks everything a crafted or damaged file could get wrong: the step
// fields are plain non-negative integers, every moment is present with its parameter's dtype and
// shape (a wrong shape once overflowed the heap in AdamW::step), nothing else is there, and the
// moments are finite with v >= 0 (unless allow_nonfinite, for forensic use).
#pragma once

#include <string>
#include <vector>

#include "model/transformer.h"
#include "train/adamw.h"

namespace induction {

struct ResumeState {
    int64_t step = 0;        // the snapshot the weights come from
    int64_t adam_steps = 0;  // optimizer steps taken (equals step for our trainer)
    std::vector<Tensor> first_moments, second_moments;  // one per trainable parameter, in order
};

// Writes the state of `optimizer` (built over the trainable parameters of `parameters`, in order).
void write_resume_state(const std::string& path, int64_t step, AdamW& optimizer,
                        const std::vector<NamedParameter>& parameters);

// Reads and checks a resume state against the model's parameters (the trainable ones take moments).
ResumeState read_resume_state(const std::string& path, const std::vector<NamedParameter>& parameters,
                              bool allow_nonfinite = false);

}  // namespace induction
