/* Batchnorm folding (pipeline/model/model.c): a conv followed by an eval-mode batchnorm is loaded as
 * one conv with w' = w * s and b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps). Checked
 * here against the same formula in double on random weights and statistics, with running
 * variances small enough (1e-5 to 2e-4) that leaving eps out, or using another eps than the
 * layer's (spec eps, else PyTorch's 1e-5), moves the folded values by several percent, far
 * past the tolerance. Also: a conv without bias, and a variance + eps that is not positive.
 * No device needed. */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixtures.h"
#include "io/h5util.h"
#include "pipeline/model/model.h"
#include "testutil.h"

enum { K = 5, C = 3, KS = 3, PER_K = C * KS * KS };

typedef struct {
    float w[K * PER_K], b[K], gamma[K], beta[K], mean[K], var[K];
} bn_params;

static void make_params(bn_params *p, unsigned seed)
{
    test_fill_uniform(p->w, K * PER_K, -1.0f, 1.0f, &seed);
    test_fill_uniform(p->b, K, -0.5f, 0.5f, &seed);
    test_fill_uniform(p->gamma, K, 0.5f, 1.5f, &seed);
    test_fill_uniform(p->beta, K, -0.5f, 0.5f, &seed);
    test_fill_uniform(p->mean, K, -0.3f, 0.3f, &seed);
    test_fill_uniform(p->var, K, 1e-5f, 2e-4f, &seed); /* of the order of eps: eps matters */
}

/* The weights file of conv "c" (with /c/bias unless no_bias) and batchnorm "bn". */
static int write_weights(const char *path, const bn_params *p, int no_bias)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t wd[4] = {K, C, KS, KS}, kd[1] = {K};
    int rc = f < 0 ? -1 : 0;
    if (f < 0) return rc;
    rc |= fixture_write_floats(f, "c/weight", 4, wd, p->w);
    if (!no_bias) rc |= fixture_write_floats(f, "c/bias", 1, kd, p->b);
    rc |= fixture_write_floats(f, "bn/weight", 1, kd, p->gamma);
    rc |= fixture_write_floats(f, "bn/bias", 1, kd, p->beta);
    rc |= fixture_write_floats(f, "bn/running_mean", 1, kd, p->mean);
    rc |= fixture_write_floats(f, "bn/running_var", 1, kd, p->var);
    H5Fclose(f);
    return rc;
}

/* conv 3x3 (no padding) on a 3x3 input -> K x 1 x 1, then the batchnorm: class scores, so
 * the two layers are a whole model. */
static clcam_status build(model *m, const char *path, float spec_eps, int no_bias, clcam_err *err)
{
    layer_spec specs[2] = {
        {.kind = LAYER_CONV, .name = "c", .kernel = KS, .stride = 1, .pad = 0, .out = K, .no_bias = no_bias},
        {.kind = LAYER_BATCHNORM, .name = "bn", .eps = spec_eps},
    };
    return model_build(m, specs, 2, path, (layer_shape){C, KS, KS}, err);
}

static void check_fold(const char *dir, const char *what, float spec_eps, double eps, int no_bias,
                       unsigned seed)
{
    char path[1100];
    bn_params p;
    float want_w[K * PER_K], want_b[K];
    clcam_err err = {0};
    model m;
    make_params(&p, seed);
    if (no_bias) memset(p.b, 0, sizeof p.b);
    snprintf(path, sizeof path, "%s/fold_%u.h5", dir, seed);
    CHECK(write_weights(path, &p, no_bias) == 0, "%s: write %s", what, path);
    for (int k = 0; k < K; k++) {
        double s = (double)p.gamma[k] / sqrt((double)p.var[k] + eps);
        for (int j = 0; j < PER_K; j++) want_w[k * PER_K + j] = (float)((double)p.w[k * PER_K + j] * s);
        want_b[k] = (float)(p.beta[k] + ((double)p.b[k] - p.mean[k]) * s);
    }
    if (build(&m, path, spec_eps, no_bias, &err) != CLCAM_OK) {
        CHECK(0, "%s: %s", what, err.msg);
        return;
    }
    CHECK(m.n_layers == 2 && m.layers[0].n_weight == K * PER_K && m.layers[0].n_bias == K && m.classes == K,
          "%s: %d layers, conv %d weights %d biases, %d classes", what, m.n_layers, m.layers[0].n_weight,
          m.layers[0].n_bias, m.classes);
    if (m.layers[0].n_weight == K * PER_K && m.layers[0].n_bias == K) {
        size_t worst;
        /* both sides are a double computation rounded once to float: a few ulps at most */
        double rw = test_tol_ratio(m.layers[0].weight, want_w, K * PER_K, 1e-30, 4e-7, &worst);
        CHECK(rw <= 1.0, "%s: folded weight[%zu] = %.9g, want %.9g (error/tolerance %.3g)", what, worst,
              m.layers[0].weight[worst], want_w[worst], rw);
        double rb = test_tol_ratio(m.layers[0].bias, want_b, K, 1e-30, 4e-7, &worst);
        CHECK(rb <= 1.0, "%s: folded bias[%zu] = %.9g, want %.9g (error/tolerance %.3g)", what, worst,
              m.layers[0].bias[worst], want_b[worst], rb);
    }
    model_free(&m);
}

int main(void)
{
    const char *dir = test_tmpdir();
    char path[1100], cmd[1200];
    clcam_err err = {0};
    model m;
    bn_params p;
    h5_quiet(0);
    if (!dir) return test_skip("test_fold", "no temporary directory");
    check_fold(dir, "eps 1e-3 from the spec", 1e-3f, (double)1e-3f, 0, 1u);
    check_fold(dir, "eps 2e-5 from the spec", 2e-5f, (double)2e-5f, 0, 2u);
    check_fold(dir, "no eps in the spec: PyTorch's 1e-5", 0.0f, (double)1e-5f, 0, 3u);
    check_fold(dir, "conv without bias", 1e-4f, (double)1e-4f, 1, 4u);

    /* running_var + eps <= 0: refused, naming the file and the entry */
    make_params(&p, 5u);
    p.var[2] = -1e-3f;
    snprintf(path, sizeof path, "%s/fold_negative.h5", dir);
    CHECK(write_weights(path, &p, 0) == 0, "write %s", path);
    CHECK(build(&m, path, 1e-5f, 0, &err) == CLCAM_ERR_INPUT && strstr(err.msg, "running_var[2]") &&
              strstr(err.msg, "fold_negative.h5"),
          "a negative variance: '%s'", err.msg);

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (test_failed == 0 && system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return test_finish("test_fold");
}
