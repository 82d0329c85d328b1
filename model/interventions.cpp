// interventions.cpp — applying replace / scale / capture at a site of the forward pass.
#include "model/interventions.h"

#include "autograd/functions.h"

namespace induction {

namespace {

int head_axis(Site site) { return site == Site::RESULT ? 2 : 1; }
int position_axis(Site site) { return site_has_heads(site) && site != Site::RESULT ? 2 : 1; }

const char* site_suffix(Site site) {
    switch (site) {
        case Site::RESID_PRE: return "hook_resid_pre";
        case Site::Q: return "attn.hook_q";
        case Site::K: return "attn.hook_k";
        case Site::V: return "attn.hook_v";
        case Site::SCORES: return "attn.hook_attn_scores";
        case Site::PATTERN: return "attn.hook_pattern";
        case Site::Z: return "attn.hook_z";
        case Site::RESULT: return "attn.hook_result";
        case Site::ATTN_OUT: return "hook_attn_out";
        case Site::RESID_MID: return "hook_resid_mid";
        case Site::MLP_OUT: return "hook_mlp_out";
        case Site::RESID_POST: return "hook_resid_post";
        case Site::LOGITS: return "logits";
    }
    return "?";
}

// Replaces x[.., begin:end, ..] along axis by the same range of `part`, differentiably.
Var splice(const Var& x, int axis, int64_t begin, int64_t end, const Var& part) {
    int64_t size = x.size(axis);
    std::vector<Var> pieces;
    if (begin > 0) pieces.push_back(slice(x, axis, 0, begin));
    pieces.push_back(part);
    if (end < size) pieces.push_back(slice(x, axis, end, size));
    return pieces.size() == 1 ? pieces[0] : concat(pieces, axis);
}

// The factors of a SCALE intervention, built with ops on x's device: shape 1 on every axis but
// the position axis (T) and, for one head (head_axis >= 0), the head axis (H); `factor` at
// positions [begin, end) (of that head), 1 elsewhere.
Tensor scale_mask(const Tensor& x, double factor, int head, int pos_axis, int head_axis, int64_t begin,
                  int64_t end) {
    Shape dims;
    dims.ndim = x.ndim();
    for (int k = 0; k < dims.ndim; ++k) dims[k] = 1;
    auto constant = [&](int axis, int64_t length, double value, const Shape& like) {
        Shape s = like;
        s[axis] = length;
        return Tensor::full(s, value, x.dtype(), x.device());
    };
    std::vector<Tensor> along_positions;  // [1 .. begin) ones, [begin, end) factor, [end, T) ones
    const int64_t T = x.size(pos_axis);
    if (begin > 0) along_positions.push_back(constant(pos_axis, begin, 1.0, dims));
    if (end > begin) along_positions.push_back(constant(pos_axis, end - begin, factor, dims));
    if (T > end) along_positions.push_back(constant(pos_axis, T - end, 1.0, dims));
    Tensor mask = along_positions.size() == 1 ? along_positions[0] : concat(along_positions, pos_axis);
    if (head_axis < 0) return mask;
    const int64_t H = x.size(head_axis);  // the named head gets the mask, the others ones
    std::vector<Tensor> along_heads;
    if (head > 0) along_heads.push_back(constant(head_axis, head, 1.0, mask.shape()));
    along_heads.push_back(mask);
    if (H > head + 1) along_heads.push_back(constant(head_axis, H - head - 1, 1.0, mask.shape()));
    return along_heads.size() == 1 ? mask : concat(along_heads, head_axis);
}

}  // namespace

std::string hook_name(Site site, int layer) {
    if (site == Site::LOGITS) return "logits";
    return "blocks." + std::to_string(layer) + "." + site_suffix(site);
}

bool site_has_heads(Site site) {
    switch (site) {
        case Site::Q: case Site::K: case Site::V: case Site::SCORES: case Site::PATTERN:
        case Site::Z: case Site::RESULT: return true;
        default: return false;
    }
}

Interventions& Interventions::capture(Site site, int layer) {
    entries_.push_back({Kind::CAPTURE, site, layer, ALL_HEADS, 0, ALL_POSITIONS, Var(), 1.0, {}});
    return *this;
}

Interventions& Interventions::replace(Site site, int layer, Var value, int head, int64_t pos_begin,
                                      int64_t pos_end) {
    check(value.defined(), "interventions: replace at ", hook_name(site, layer), " needs a value");
    check(site != Site::RESULT, "interventions: ", hook_name(site, layer),
          " can only be captured (replace z or attn_out instead)");
    check(head == ALL_HEADS || site_has_heads(site), "interventions: ", hook_name(site, layer),
          " has no heads (got head ", head, ")");
    entries_.push_back({Kind::REPLACE, site, layer, head, pos_begin, pos_end, std::move(value), 1.0, {}});
    return *this;
}

Interventions& Interventions::scale(Site site, int layer, int head, double factor,
                                    int64_t pos_begin, int64_t pos_end) {
    check(site != Site::RESULT, "interventions: ", hook_name(site, layer),
          " can only be captured (scale z instead)");
    check(head == ALL_HEADS || site_has_heads(site), "interventions: ", hook_name(site, layer),
          " has no heads (got head ", head, ")");
    entries_.push_back({Kind::SCALE, site, layer, head, pos_begin, pos_end, Var(), factor, {}});
    return *this;
}

Interventions& Interventions::transform(Site site, int layer, Transform fn) {
    check(site != Site::RESULT, "interventions: ", hook_name(site, layer),
          " can only be captured (transform z or attn_out instead)");
    entries_.push_back({Kind::TRANSFORM, site, layer, ALL_HEADS, 0, ALL_POSITIONS, Var(), 1.0, std::move(fn)});
    return *this;
}

bool Interventions::wants(Site site, int layer) const {
    for (const Entry& e : entries_)
        if (e.site == site && (e.layer == layer || site == Site::LOGITS)) return true;
    return false;
}

namespace {
bool covers_whole_site(int64_t head, int64_t pos_begin, int64_t pos_end) {
    return head == Interventions::ALL_HEADS && pos_begin == 0 && pos_end == Interventions::ALL_POSITIONS;
}
}  // namespace

bool Interventions::replaces(Site site, int layer) const {
    for (const Entry& e : entries_)
        if ((e.kind == Kind::REPLACE || e.kind == Kind::TRANSFORM) && e.site == site && e.layer == layer)
            return true;
    return false;
}

bool Interventions::replaces_whole(Site site, int layer) const {
    for (const Entry& e : entries_)
        if (e.kind == Kind::REPLACE && e.site == site && e.layer == layer &&
            covers_whole_site(e.head, e.pos_begin, e.pos_end))
            return true;
    return false;
}

const Var& Interventions::whole_replacement(Site site, int layer) const {
    const Var* value = nullptr;
    for (const Entry& e : entries_)
        if (e.kind == Kind::REPLACE && e.site == site && e.layer == layer &&
            covers_whole_site(e.head, e.pos_begin, e.pos_end))
            value = &e.value;
    check(value != nullptr, "interventions: no whole replacement at ", hook_name(site, layer));
    return *value;
}

const Tensor& Interventions::captured(Site site, int layer) const { return captured_var(site, layer).value(); }

const Var& Interventions::captured_var(Site site, int layer) const {
    auto it = captured_.find({site, site == Site::LOGITS ? 0 : layer});
    check(it != captured_.end(), "interventions: nothing captured at ", hook_name(site, layer),
          " (request it with capture() before the forward pass)");
    return it->second;
}

Var Interventions::apply(Site site, int layer, const Var& activation) {
    Var x = activation;
    for (Kind kind : {Kind::REPLACE, Kind::SCALE, Kind::TRANSFORM, Kind::CAPTURE}) {
        for (const Entry& e : entries_) {
            if (e.kind != kind || e.site != site || (e.layer != layer && site != Site::LOGITS))
                continue;
            std::string where = hook_name(site, layer);
            int pos_axis = position_axis(site);
            int64_t T = x.size(pos_axis);
            int64_t begin = e.pos_begin, end = e.pos_end == ALL_POSITIONS ? T : e.pos_end;
            check(0 <= begin && begin <= end && end <= T, "interventions: positions [", begin, ", ",
                  end, ") out of range at ", where, " (T = ", T, ")");
            if (e.head != ALL_HEADS)
                check(e.head >= 0 && e.head < x.size(head_axis(site)), "interventions: head ",
                      e.head, " out of range at ", where);
            if (kind == Kind::CAPTURE) {
                captured_[{site, site == Site::LOGITS ? 0 : layer}] = x;
            } else if (kind == Kind::REPLACE) {
                Var value = e.value;
                if (e.head != ALL_HEADS) {  // value is one head's slice: give it its head axis back
                    std::vector<int64_t> dims = value.shape().to_vector();
                    check(dims.size() + 1 == size_t(x.value().ndim()), "interventions: replacement for ", where,
                          " head ", e.head, " is ", describe(value.value()), ", expected one head's slice (no head axis)");
                    dims.insert(dims.begin() + head_axis(site), 1);
                    value = reshape(value, Shape(dims));
                }
                Shape expected = x.shape();
                if (e.head != ALL_HEADS) expected[head_axis(site)] = 1;
                check(value.shape() == expected, "interventions: replacement for ", where, " is ",
                      describe(value.value()), ", expected shape ", expected.str());
                check(value.dtype() == x.dtype(), "interventions: replacement for ", where, " is ",
                      describe(value.value()), ", expected dtype ", dtype_name(x.dtype()));
                if (begin > 0 || end < T)  // keep the activation outside the position range
                    value = splice(e.head == ALL_HEADS ? x : slice(x, head_axis(site), e.head, e.head + 1),
                                   pos_axis, begin, end, slice(value, pos_axis, begin, end));
                x = e.head == ALL_HEADS ? value : splice(x, head_axis(site), e.head, e.head + 1, value);
            } else if (kind == Kind::TRANSFORM) {
                Var y = e.fn(x);
                check(y.shape() == x.shape() && y.dtype() == x.dtype(), "interventions: a transform at ", where,
                      " returned ", describe(y.value()), ", expected ", describe(x.value()));
                x = y;
            } else {  // SCALE: multiply by a constant mask of factors
                x = mul(x, Var(scale_mask(x.value(), e.factor, e.head, pos_axis,
                                          e.head == ALL_HEADS ? -1 : head_axis(site), begin, end)));
            }
        }
    }
    return x;
}

}  // namespace induction
