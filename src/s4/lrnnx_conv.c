/* fft_conv's patterns in frequency space: spectra of x (and of the kernel), the pattern's
 * contractions (s4_contract.comp), the inverse into y. FFT size 2L throughout. */
#include "s4/lrnnx_conv.h"

s4_signals s4_signals_channels_last(const subq_tensor *t, int64_t batch, int64_t length, int64_t inner,
                                    int64_t parts)
{
    return (s4_signals){.tensor = t, .outer = batch, .inner = inner, .parts = parts, .length = length,
                        .stride_a = length * inner * parts, .stride_i = parts, .stride_part = 1,
                        .stride_t = inner * parts};
}

static subq_status spectra(const s4_conv_call *c, int slot, const s4_signals *s, int64_t fft, subq_tensor **out)
{
    int64_t shape[5] = {s->outer, s->inner, s->parts, fft / 2 + 1, 2};
    SUBQ_TRY(s4_workspace_tensor(c->ws, slot, 5, shape, out));
    return s4_spectra(c->stream, s, fft, *out);
}

/* y = contraction into the slot's tensor; returns its parts. */
static subq_status contract(const s4_conv_call *c, int slot, const s4_contraction *k, subq_tensor **y,
                            int64_t *parts)
{
    *parts = s4_contract_parts(k);
    int64_t shape[5] = {k->outer, k->out_dim, *parts, k->points, 2};
    SUBQ_TRY(s4_workspace_tensor(c->ws, slot, 5, shape, y));
    return s4_contract(c->stream, k, *y);
}

subq_status s4_conv_run(const s4_conv_call *c)
{
    int64_t fft = 2 * c->x.length, points = fft / 2 + 1, batch = c->x.outer, parts;
    subq_tensor *x, *w, *y;
    SUBQ_TRY(spectra(c, S4_SLOT_X, &c->x, fft, &x));
    SUBQ_TRY(spectra(c, S4_SLOT_W, &c->kernel, fft, &w));
    s4_contraction k = {.x = x, .w = w, .outer = batch, .in_dim = c->x.inner, .x_parts = c->x.parts,
                        .w_parts = c->kernel.parts, .points = points};
    if (c->pattern == SUBQ_LRNNX_FULL) {
        k.mode = S4_CONTRACT_SPECTRAL;
        k.out_dim = c->kernel.outer;
        SUBQ_TRY(contract(c, S4_SLOT_Y, &k, &y, &parts));
    } else if (c->pattern == SUBQ_LRNNX_DIAGONAL) {
        k.mode = S4_CONTRACT_DIAGONAL;
        k.out_dim = c->x.inner;
        SUBQ_TRY(contract(c, S4_SLOT_Y, &k, &y, &parts));
    } else {
        subq_tensor *u, *v;
        int64_t n = c->kernel.inner;
        s4_contraction project = {.mode = S4_CONTRACT_SCALAR, .x = x, .w = c->b_proj, .outer = batch,
                                  .in_dim = c->x.inner, .out_dim = n, .x_parts = c->x.parts,
                                  .w_parts = c->b_parts, .points = points};
        SUBQ_TRY(contract(c, S4_SLOT_U, &project, &u, &parts));
        s4_contraction filter = {.mode = S4_CONTRACT_DIAGONAL, .x = u, .w = w, .outer = batch, .in_dim = n,
                                 .out_dim = n, .x_parts = parts, .w_parts = c->kernel.parts, .points = points};
        SUBQ_TRY(contract(c, S4_SLOT_V, &filter, &v, &parts));
        s4_contraction output = {.mode = S4_CONTRACT_SCALAR, .x = v, .w = c->c_proj, .outer = batch, .in_dim = n,
                                 .out_dim = c->out_dim, .x_parts = parts, .w_parts = c->c_parts, .points = points};
        SUBQ_TRY(contract(c, S4_SLOT_Y, &output, &y, &parts));
    }
    return s4_inverse(c->stream, y, parts, fft, &c->y, c->complex_out);
}
