/* nn_reference - dump what the C engine computes on a few images, for the
 * PyTorch reference check (tests/reference/torch_check.py, in llm.c's manner).
 *
 * Loads MODEL, reads the first N labelled records of STREAM, and writes OUT:
 *   (a) an inference forward pass (running statistics, no dropout) -> probabilities;
 *   (b) a training forward pass (batch statistics, dropout keyed by --key) and
 *       net_backward -> probabilities, mean loss, the gradient of every parameter,
 *       and the batch-norm running statistics after their update.
 *
 * OUT, all little-endian (the host order, which the check asserts is little):
 *   magic "NNREF01\0" (8)
 *   u32 B, H, W, C, K (classes), threads; u64 key; u64 nparams; u64 nbuffers
 *   f64 loss
 *   f32 input[B*H*W*C]   raw pixel values 0..255, NHWC
 *   i32 labels[B]
 *   f32 probs_infer[B*K], probs_train[B*K]
 *   f32 grad[nparams]      (the C parameter layout, see lib/network.c)
 *   f32 buffers_before[nbuffers], buffers_after[nbuffers]
 *   u32 L (layers), then for each layer: u32 elems per image, f32 act[B*elems]:
 *       its output in the training pass (NHWC), which lets the check compare
 *       layer by layer and take each ReLU's and max pool's decision from C
 * A test tool, not a filter: it lives in tests/tools/ and builds into build/tests/.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_file.h"
#include "network.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: nn_reference [OPTION]... MODEL STREAM OUT\n"
    "Run MODEL on the first N labelled records of STREAM (inference, then a training\n"
    "forward and backward pass) and write probabilities, loss and gradients to OUT.\n"
    "\n"
    "  -n, --count N       images [16]\n"
    "  -j, --threads N     threads (the batch is split between them) [2]\n"
    "      --key K         dropout key of the training pass [12345]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n";

static void put(FILE *f, const void *p, size_t size, size_t n)
{
    if (fwrite(p, size, n, f) != n)
        cli_die("write error");
}

static void put_u32(FILE *f, uint32_t v) { put(f, &v, 4, 1); }
static void put_u64(FILE *f, uint64_t v) { put(f, &v, 8, 1); }

int main(int argc, char **argv)
{
    cli_init(argv);
    int count = 16, threads = 2;
    uint64_t key = 12345;
    enum { O_KEY = 256 };
    static const struct option longs[] = {
        {"count", required_argument, 0, 'n'}, {"threads", required_argument, 0, 'j'},
        {"key", required_argument, 0, O_KEY}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},     {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "n:j:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'n': count = (int)cli_long("--count", optarg, 1, 4096); break;
        case 'j': threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case O_KEY: key = (uint64_t)cli_long("--key", optarg, 0, 1L << 62); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help();
        }
    }
    if (argc - optind != 3)
        cli_usage_error("expected MODEL STREAM OUT");
    const char *model_path = argv[optind], *path = argv[optind + 1], *out_path = argv[optind + 2];
    const uint32_t one = 1;
    if (*(const unsigned char *)&one != 1)
        cli_die("this tool writes host-order floats and needs a little-endian machine");

    err e;
    network *n = model_load(model_path, NULL, NULL, NULL, &e);
    if (!n)
        cli_die_err(&e);
    FILE *f = ts_fopen_in(path, &e);
    if (!f)
        cli_die_err(&e);
    ts_reader *r = ts_open(f, cli_name(path), &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    const size_t in = net_in_elems(n);
    if (ts_elems(h) != in)
        cli_die("%s: records of %zu values, the model takes %dx%dx%d", cli_name(path), ts_elems(h), n->in_h,
                n->in_w, n->in_c);
    float *x = malloc((size_t)count * in * sizeof(float));
    int32_t *labels = malloc((size_t)count * sizeof(int32_t));
    if (!x || !labels)
        cli_die("out of memory");
    long got = ts_read_f32(r, (size_t)count, NULL, labels, x, &e);
    if (got < 0)
        cli_die_err(&e);
    if (got < count)
        cli_die("%s: %ld records, %d wanted", cli_name(path), got, count);
    for (int i = 0; i < count; i++)
        if (labels[i] < 0 || labels[i] >= n->nclass)
            cli_die("%s: record %d: label %d is not a class of the model", cli_name(path), i + 1, (int)labels[i]);
    ts_close(r);
    if (f != stdin)
        fclose(f);

    const size_t K = (size_t)n->nclass, B = (size_t)count;
    float *p_infer = malloc(B * K * sizeof(float)), *p_train = malloc(B * K * sizeof(float));
    float *before = malloc((n->nbuffers + 1) * sizeof(float));
    if (!p_infer || !p_train || !before)
        cli_die("out of memory");
    memcpy(before, n->buffers, n->nbuffers * sizeof(float));

    /* (a) inference, as predict runs it; net_forward normalises its input in place */
    net_work *wi = net_work_new(n, count, threads, 0, &e);
    if (!wi)
        cli_die_err(&e);
    memcpy(net_input(wi), x, B * in * sizeof(float));
    memcpy(p_infer, net_forward(n, wi, count, 0, 0), B * K * sizeof(float));
    net_work_free(wi);

    /* (b) one training step's passes, as train runs them (no optimiser step) */
    net_work *wt = net_work_new(n, count, threads, 1, &e);
    if (!wt)
        cli_die_err(&e);
    memcpy(net_input(wt), x, B * in * sizeof(float));
    memcpy(p_train, net_forward(n, wt, count, 1, key), B * K * sizeof(float));
    double loss = net_backward(n, wt, labels, count, 0.0f);

    FILE *o = fopen(out_path, "wb");
    if (!o)
        cli_die("%s: cannot create", out_path);
    put(o, "NNREF01", 8, 1);
    put_u32(o, (uint32_t)count), put_u32(o, (uint32_t)n->in_h), put_u32(o, (uint32_t)n->in_w);
    put_u32(o, (uint32_t)n->in_c), put_u32(o, (uint32_t)K), put_u32(o, (uint32_t)threads);
    put_u64(o, key), put_u64(o, n->nparams), put_u64(o, n->nbuffers);
    put(o, &loss, 8, 1);
    put(o, x, sizeof(float), B * in);
    put(o, labels, sizeof(int32_t), B);
    put(o, p_infer, sizeof(float), B * K);
    put(o, p_train, sizeof(float), B * K);
    put(o, net_grad(wt), sizeof(float), n->nparams);
    put(o, before, sizeof(float), n->nbuffers);
    put(o, n->buffers, sizeof(float), n->nbuffers);
    put_u32(o, (uint32_t)n->nlayers);
    for (int i = 0; i < n->nlayers; i++) {
        const layer *l = &n->layers[i];
        const size_t el = (size_t)l->h * l->w * l->c;
        put_u32(o, (uint32_t)el);
        put(o, net_activation(wt, i), sizeof(float), B * el);
    }
    if (fclose(o) != 0)
        cli_die("%s: write error", out_path);
    net_work_free(wt);
    net_free(n);
    free(x), free(labels), free(p_infer), free(p_train), free(before);
    return 0;
}
