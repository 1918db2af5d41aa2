/* test_model_file.c - model save/load round trip (bit-identical predictions),
 * checkpoint state, and every kind of damaged file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "model_file.h"
#include "network.h"
#include "rng.h"
#include "unit.h"

static const char arch[] = "input 8 8 1\nconv 4\nrelu\nbatchnorm\nmaxpool\nflatten\ndense 6\nrelu\ndropout 0.5\ndense 3\nsoftmax\n";

static void predict(network *n, const float *x, int B, float *out)
{
    err e;
    net_work *w = net_work_new(n, B, 2, 0, &e);
    memcpy(net_input(w), x, (size_t)B * 64 * sizeof(float));
    memcpy(out, net_forward(n, w, B, 0, 0), (size_t)B * 3 * sizeof(float));
    net_work_free(w);
}

static int write_bytes(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fwrite(p, 1, n, f);
    return fclose(f);
}

static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = malloc(1 << 20);
    *n = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static void expect_error(const char *path, const char *want, const char *what)
{
    err e = {{0}};
    network *n = model_load(path, NULL, NULL, NULL, &e);
    CHECK(!n && strstr(e.msg, want) != NULL, "%s: '%s' (got '%s')", what, want, e.msg);
    net_free(n);
}

int main(void)
{
    char dir[] = "/tmp/fm-model-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char path[256], bad[256], ckpt[256];
    snprintf(path, sizeof path, "%s/m.bin", dir);
    snprintf(bad, sizeof bad, "%s/bad.bin", dir);
    snprintf(ckpt, sizeof ckpt, "%s/m.ckpt", dir);
    err e;
    network *n = net_from_arch(arch, "t", &e);
    net_init(n, 3);
    n->norm_mean = 33.0f, n->norm_std = 77.0f;
    for (size_t i = 0; i < n->nbuffers; i++)
        n->buffers[i] = 0.5f + (float)i * 0.01f;
    rng r;
    rng_seed(&r, 9);
    float x[5 * 64], before[15], after[15];
    for (int i = 0; i < 5 * 64; i++)
        x[i] = (float)(rng_uniform(&r) * 255);
    predict(n, x, 5, before);
    CHECK(model_save(path, n, "note=hello\n", NULL, &e) == 0, "model saves (%s)", e.msg);
    char *meta = NULL;
    int has_state = 1;
    network *m = model_load(path, &meta, NULL, &has_state, &e);
    CHECK(m != NULL, "model loads (%s)", m ? "" : e.msg);
    if (!m)
        UNIT_EXIT();
    CHECK(m->nparams == n->nparams && memcmp(m->params, n->params, n->nparams * sizeof(float)) == 0,
          "parameters round-trip bit for bit");
    CHECK(memcmp(m->buffers, n->buffers, n->nbuffers * sizeof(float)) == 0, "batch-norm statistics round-trip");
    CHECK(m->norm_mean == 33.0f && m->norm_std == 77.0f, "normalisation round-trips");
    CHECK(meta && strcmp(meta, "note=hello\n") == 0, "meta text round-trips");
    CHECK(has_state == 0, "a model file has no training state");
    predict(m, x, 5, after);
    CHECK(memcmp(before, after, sizeof before) == 0, "predictions after a round trip are bit-identical");
    free(meta);

    /* a checkpoint carries the training state */
    train_state st = {{0}, NULL, NULL, NULL, NULL};
    snprintf(st.text, sizeof st.text, "epoch=7\nlr=0.0001\n");
    st.m = calloc(n->nparams, sizeof(float)), st.v = calloc(n->nparams, sizeof(float));
    st.best_params = malloc(n->nparams * sizeof(float)), st.best_buffers = malloc(n->nbuffers * sizeof(float));
    for (size_t i = 0; i < n->nparams; i++)
        st.m[i] = (float)i, st.v[i] = 2.0f * (float)i, st.best_params[i] = -(float)i;
    memcpy(st.best_buffers, n->buffers, n->nbuffers * sizeof(float));
    CHECK(model_save(ckpt, n, NULL, &st, &e) == 0, "checkpoint saves");
    train_state got = {{0}, NULL, NULL, NULL, NULL};
    network *c = model_load(ckpt, NULL, &got, &has_state, &e);
    CHECK(c && has_state && kv_get_double(got.text, "epoch", 0) == 7 && kv_get_double(got.text, "lr", 0) == 0.0001,
          "checkpoint state text round-trips");
    CHECK(got.m && got.v && got.best_params && got.m[5] == 5.0f && got.v[5] == 10.0f && got.best_params[5] == -5.0f,
          "checkpoint arrays round-trip");
    train_state_free(&got);
    train_state_free(&st);
    net_free(c);

    /* damaged files */
    size_t len;
    unsigned char *bytes = read_bytes(path, &len);
    unsigned char *copy = malloc(len);
    memcpy(copy, bytes, len);
    copy[len / 2] ^= 0x10;
    write_bytes(bad, copy, len);
    expect_error(bad, "damaged model file: checksum mismatch", "a flipped byte is caught by the CRC");
    write_bytes(bad, bytes, len - 100);
    expect_error(bad, "damaged model file: checksum mismatch", "a truncated file is caught");
    write_bytes(bad, bytes, 10);
    expect_error(bad, "damaged model file: truncated header", "a header-only stub is caught");
    write_bytes(bad, (const unsigned char *)"FMTS\1\0\1\3", 8);
    expect_error(bad, "not a model file (bad magic; make one with train)", "a tensor stream is not a model");
    write_bytes(bad, (const unsigned char *)"", 0);
    expect_error(bad, "not a model file", "an empty file is not a model");
    expect_error("/nonexistent/m.bin", "/nonexistent/m.bin: No such file or directory", "a missing file");
    /* a future version with a valid checksum gets the version message and a hint */
    memcpy(copy, bytes, len);
    copy[8] = 2;
    uLong crc = crc32(0L, copy, (uInt)(len - 4));
    for (int i = 0; i < 4; i++)
        copy[len - 4 + i] = (unsigned char)(crc >> (8 * i));
    write_bytes(bad, copy, len);
    expect_error(bad, "model format version 2, this program reads version 1 (retrain it", "a future version");
    free(bytes), free(copy);
    /* batch-norm statistics that no training gives (the CRC is right: they were saved so) */
    float keep = n->buffers[n->nbuffers - 1];
    n->buffers[n->nbuffers - 1] = -1.0f; /* the last layer's last variance */
    CHECK(model_save(bad, n, NULL, NULL, &e) == 0, "saved with a negative running variance");
    expect_error(bad, "damaged model file: layer", "a negative running variance is refused");
    n->buffers[n->nbuffers - 1] = NAN;
    CHECK(model_save(bad, n, NULL, NULL, &e) == 0, "saved with a NaN running variance");
    expect_error(bad, "damaged model file: layer", "a NaN running variance is refused");
    n->buffers[n->nbuffers - 1] = keep;
    net_free(m);
    net_free(n);
    unlink(path), unlink(bad), unlink(ckpt), rmdir(dir);
    UNIT_EXIT();
}
