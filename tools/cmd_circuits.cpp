// cmd_circuits.cpp — `induction circuits CHECKPOINT [--json]`: every head of one snapshot read
// from its weights (METHODS §4, analysis/circuits.h): the OV circuit's eigenvalues and the
// eigenvalue copying score, the previous-token K-composition trace, the positional QK term's
// previous-token attention, the singular values of W_OV and W_QK, and the Q-, K- and
// V-composition scores of every pair of heads in different layers against a random baseline.
//
// The §4.5 trace weighs earlier heads by their previous-token scores (§3.3), measured on the
// inputs the run's analysis uses (tools/analysis_inputs.h), so the numbers are those of
// metrics/<model>/circuits.json for the same snapshot. With --json the output is that file's
// format (analysis/metrics_schema.md).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "analysis/circuits.h"
#include "model/checkpoint.h"
#include "tools/analysis_inputs.h"
#include "tools/args.h"
#include "tools/format.h"
#include "tools/commands.h"

namespace induction {

namespace {

int run_circuits_command(const Args& args) {
    check(args.positional().size() == 1, "expected one CHECKPOINT argument");
    const std::string checkpoint = args.positional()[0];
    const int draws = int(args.get_int("baseline-draws"));
    check(draws >= 2, "option --baseline-draws must be at least 2, got ", draws);
    LoadedCheckpoint loaded = load_checkpoint(checkpoint, args.flag("allow-nonfinite"));
    const Transformer& model = loaded.model;
    const ModelConfig& config = model.config;
    EvaluatorInputs inputs = snapshot_evaluator_inputs(checkpoint, config, args);
    HeadTable previous = previous_token_score(model, inputs.previous_token);
    Circuits circuits = analyze_circuits(model, previous, inputs.previous_token.size(1), draws);

    if (args.flag("json")) {
        std::printf("%s\n", json::dump(circuits_json(circuits)).c_str());
        return 0;
    }
    std::printf("%s: %d layers x %d heads, LayerNorm %s\n\n", checkpoint.c_str(), config.n_layers,
                config.n_heads, circuits.layer_norm_folded ? "folded into the weights (METHODS §1.3)" : "none");
    std::printf("layer head  eig_copying  prev_kcomp_trace  (normalised)  positional_prev  "
                "top W_OV singular values\n");
    for (const HeadCircuit& h : circuits.heads) {
        std::string singular;
        for (size_t k = 0; k < std::min<size_t>(3, h.ov_singular_values.size()); ++k)
            singular += number_text(h.ov_singular_values[k], "%.3g") + " ";
        std::printf("%5d %4d %12s %17s %13s %16s  %s\n", h.layer, h.head,
                    number_text(h.eig_copying).c_str(),
                    number_text(h.prev_token_kcomp_trace, "%.4g").c_str(),
                    number_text(h.prev_token_kcomp_trace_normalised).c_str(),
                    number_text(h.positional_previous_token).c_str(), singular.c_str());
    }
    const CompositionBaseline& b = circuits.baseline;
    if (!circuits.pairs.empty()) {
        std::printf("\ncomposition scores (§4.6, LN-folded); random baseline %.4f ± %.4f (%d draws); "
                    "(z) = (score − mean) / std\n",
                    b.mean, b.std, b.draws);
        std::printf(" from -> to       K-comp (z)        Q-comp (z)        V-comp (z)\n");
        for (const CompositionPair& p : circuits.pairs) {
            auto z = [&](double x) { return number_text((x - b.mean) / b.std, "%+.1f"); };
            std::printf("L%dH%d -> L%dH%d  %7s (%6s)  %7s (%6s)  %7s (%6s)\n", p.from_layer,
                        p.from_head, p.to_layer, p.to_head, number_text(p.k_comp, "%.4f").c_str(),
                        z(p.k_comp).c_str(), number_text(p.q_comp, "%.4f").c_str(), z(p.q_comp).c_str(),
                        number_text(p.v_comp, "%.4f").c_str(), z(p.v_comp).c_str());
        }
    }
    std::printf("\neig_copying: Σλ/Σ|λ| of W_U W_OV W_E (+1 copying, −1 anti-copying, ≈0 random); "
                "prev_kcomp_trace: Σ_k prev(k) trace(W_E^T W_QK W_OV^k W_E) over earlier heads k, "
                "in unscaled logit units, normalised by the nuclear norm in brackets (§4.5); "
                "positional_prev: mean attention on p−1 from the positional QK term alone\n");
    return 0;
}

}  // namespace

const Command CIRCUITS_COMMAND = {
    {"circuits", "CHECKPOINT [options]",
     "Reads every head of one snapshot from its weights: QK and OV circuits, eigenvalues, singular values, "
     "and the composition scores of every pair of heads against a random baseline.",
     joined({{"baseline-draws", "N", "random weight pairs drawn for the composition baseline, at least 2", "200"},
             {"json", "", "print the result as JSON, in the format of metrics/<model>/circuits.json"},
             allow_nonfinite_option()},
            snapshot_input_options())},
    run_circuits_command};

}  // namespace induction
