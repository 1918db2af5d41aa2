/* predict - class probabilities for every record of an image stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "cli.h"
#include "model_file.h"
#include "network.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: predict [OPTION]... MODEL [FILE]\n"
    "Read an image tensor stream (FILE or stdin) and write, for each record, its class\n"
    "probabilities as an f32 stream (one value per class), keeping each record's id and label.\n"
    "Memory stays constant whatever the stream length.\n"
    "\n"
    "  -b, --batch N       images per batch [256]\n"
    "  -j, --threads N     threads [all processors]\n"
    "      --tta[=VIEWS]   test-time augmentation: average the probabilities over views of\n"
    "                      each image; VIEWS 'flip' (the default: the image and its mirror)\n"
    "                      or 'flip,shift' (each of those also moved one pixel up, down,\n"
    "                      left and right: 10 views, 10 times the work)\n"
    "      --conv ALGO     convolutions: im2col | winograd (3x3 stride 1) | auto (by layer\n"
    "                      shape) [auto]\n"
    "      --no-fold       keep batch norm and the input's normalisation as passes of their\n"
    "                      own instead of folding them into the conv and dense weights\n"
    "                      (same classes, probabilities within about 1e-6)\n"
    "      --int8 FILE     int8 convolutions (all but the first), their input ranges\n"
    "                      calibrated on the first 2560 records of the stream FILE\n"
    "      --summary       print the model summary and how it was trained, and exit\n" CLI_STD_HELP
    "\n"
    "Example: csv2tensor < fashion-mnist_test.csv | predict model.bin | confmat\n";

typedef struct cmdline {
    const char *model, *input; /* input NULL: stdin */
    const char *int8;          /* calibration stream, or NULL: float throughout */
    int batch, threads, tta, summary, no_fold;
    conv_algo conv;
} cmdline;

static void parse_command_line(int argc, char **argv, cmdline *o)
{
    enum { O_TTA = 256, O_SUMMARY, O_CONV, O_NO_FOLD, O_INT8 };
    static const struct option longs[] = {
        {"batch", required_argument, 0, 'b'}, {"threads", required_argument, 0, 'j'},
        {"tta", optional_argument, 0, O_TTA},  {"summary", no_argument, 0, O_SUMMARY},
        {"conv", required_argument, 0, O_CONV}, {"no-fold", no_argument, 0, O_NO_FOLD},
        {"int8", required_argument, 0, O_INT8},
        CLI_STD_LONG,
    };
    memset(o, 0, sizeof *o);
    o->batch = 256, o->conv = CONV_AUTO;
    int ch;
    err e;
    while ((ch = getopt_long(argc, argv, "b:j:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'b': o->batch = (int)cli_long("--batch", optarg, 1, 65536); break;
        case 'j': o->threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case O_TTA:
            if (!optarg || strcmp(optarg, "flip") == 0)
                o->tta = 1;
            else if (strcmp(optarg, "flip,shift") == 0 || strcmp(optarg, "shift,flip") == 0)
                o->tta = 2;
            else
                cli_usage_error("--tta: expected 'flip' or 'flip,shift', got '%s'", optarg);
            break;
        case O_CONV:
            if (conv_algo_parse(optarg, &o->conv, &e) < 0)
                cli_usage_error("--conv: %s", e.msg);
            break;
        case O_NO_FOLD: o->no_fold = 1; break;
        case O_INT8:
            if (strcmp(optarg, "-") == 0)
                cli_usage_error("--int8: the calibration stream must be a file, not stdin");
            o->int8 = optarg;
            break;
        case O_SUMMARY: o->summary = 1; break;
        default: cli_std_option(ch, usage);
        }
    }
    int nargs = argc - optind;
    if (nargs < 1)
        cli_usage_error("missing MODEL");
    if (nargs > 2) /* cli_operands' message would not say how --tta takes its views */
        cli_usage_error("too many arguments (MODEL and one input file at most; --tta takes its views as --tta=flip,shift)");
    o->model = argv[optind], o->input = nargs == 2 ? argv[optind + 1] : NULL;
    if (o->threads == 0)
        o->threads = net_default_threads();
}

/* The stream's records must be the model's images, its classes at most the model's. */
static void check_stream(const ts_header *h, const network *n, const char *name, const char *model)
{
    char shape[64];
    if (h->rank != 3 || (int)h->dims[0] != n->in_h || (int)h->dims[1] != n->in_w || (int)h->dims[2] != n->in_c)
        cli_die("%s: records are %s, the model %s takes %dx%dx%d images", name, ts_shape_str(h, shape, sizeof shape),
                model, n->in_h, n->in_w, n->in_c);
    if (h->nclass && (int)h->nclass > n->nclass)
        cli_die("%s: the stream has %u classes, the model %s predicts %d", name, h->nclass, model, n->nclass);
}

/* What a batch needs besides the network's workspace. Static pointers: still reachable
 * when cli_die exits mid-stream (quiet leak checkers). */
static float *raw, *avg, *tmp;
static uint32_t *ids;
static int32_t *labels;

/* The model as trained, then what folding does to it for inference; exits. */
__attribute__((noreturn)) static void print_summary(network *n, char *meta, int no_fold)
{
    net_summary(n, stdout);
    printf("Input: %dx%dx%d, normalised as (x - %g) / %g\n", n->in_h, n->in_w, n->in_c, (double)n->norm_mean,
           (double)n->norm_std);
    int bn = 0, folded = 0;
    for (int i = 0; i < n->nlayers; i++)
        bn += n->layers[i].kind == LK_BATCHNORM;
    err e;
    if (!no_fold && (folded = net_fold_batchnorm(n, &e)) < 0)
        cli_die_err(&e);
    printf("Inference: %d of %d batch norm layers folded into conv/dense weights; input normalisation %s\n", folded,
           bn, n->norm_mean == 0.0f && n->norm_std == 1.0f ? "folded into the first conv" : "a pass of its own");
    if (meta && *meta)
        printf("Training:\n%s", meta);
    free(meta), net_free(n);
    exit(0);
}

static int alloc_batch(const network *n, int batch)
{
    const size_t elems = net_in_elems(n);
    raw = malloc((size_t)batch * elems * sizeof(float));
    avg = malloc((size_t)batch * n->nclass * sizeof(float));
    ids = malloc((size_t)batch * sizeof *ids);
    labels = malloc((size_t)batch * sizeof *labels);
    tmp = malloc(elems * sizeof(float)); /* scratch for shift_image */
    return raw && avg && ids && labels && tmp ? 0 : -1;
}

/* int8: the conv layers' input ranges over the first records of path, then quantize. */
static void calibrate_int8(network *n, net_work *w, int batch, const char *path, const char *model)
{
    enum { CALIBRATION_RECORDS = 2560 };
    err e;
    ts_reader *r = ts_open_path(path, &e);
    if (!r)
        cli_die_err(&e);
    check_stream(ts_header_of(r), n, path, model);
    static float *lo, *hi; /* static: reachable if cli_die exits (quiet leak checkers) */
    lo = calloc((size_t)n->nlayers, sizeof(float)), hi = calloc((size_t)n->nlayers, sizeof(float));
    if (!lo || !hi)
        cli_die("out of memory");
    long got = 0, done = 0;
    while (done < CALIBRATION_RECORDS) {
        long want = CALIBRATION_RECORDS - done < batch ? CALIBRATION_RECORDS - done : batch;
        if ((got = ts_read_f32(r, (size_t)want, ids, labels, net_input(w), &e)) <= 0)
            break;
        net_forward(n, w, (int)got, 0, 0);
        net_calibrate(n, w, (int)got, lo, hi);
        done += got;
    }
    if (got < 0)
        cli_die_err(&e);
    if (done == 0)
        cli_die("%s: no records to calibrate int8 on", path);
    ts_close(r);
    if (net_quantize_int8(n, lo, hi, &e) < 0)
        cli_die_err(&e);
    free(lo), free(hi);
}

/* avg (B, nclass) = the mean over the views of net_forward's probabilities. */
static void predict_views(network *n, net_work *w, int B, int tta)
{
    const size_t elems = net_in_elems(n), np = (size_t)B * n->nclass;
    const int nviews = tta == 0 ? 1 : tta == 1 ? 2 : 10; /* view v: mirrored if odd, shifts[v / 2] */
    static const int shifts[5][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
    /* net_forward normalises its input in place: each view starts again from the raw batch */
    for (int v = 0; v < nviews; v++) {
        float *x = net_input(w);
        memcpy(x, raw, (size_t)B * elems * sizeof(float));
        for (int i = 0; v > 0 && i < B; i++) {
            float *img = x + (size_t)i * elems;
            if (v % 2)
                flip_horizontal(img, n->in_h, n->in_w, n->in_c);
            shift_image(img, tmp, n->in_h, n->in_w, n->in_c, shifts[v / 2][0], shifts[v / 2][1]);
        }
        const float *p = net_forward(n, w, B, 0, 0);
        for (size_t k = 0; k < np; k++)
            avg[k] = v == 0 ? p[k] : avg[k] + p[k];
    }
    for (size_t k = 0; nviews > 1 && k < np; k++)
        avg[k] /= (float)nviews;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    cmdline o;
    parse_command_line(argc, argv, &o);
    err e;
    char *meta = NULL;
    static network *n; /* static: still reachable when cli_die exits below (quiet leak checkers) */
    n = model_load(o.model, &meta, NULL, NULL, &e);
    if (!n)
        cli_die_err(&e);
    net_set_conv_algo(n, o.conv);
    if (o.summary)
        print_summary(n, meta, o.no_fold); /* and exits */
    free(meta);
    if (!o.no_fold && net_fold_batchnorm(n, &e) < 0)
        cli_die_err(&e);
    const char *name = cli_name(o.input);
    ts_reader *r = ts_open_path(o.input, &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    check_stream(h, n, name, o.model);
    net_work *w = net_work_new(n, o.batch, o.threads, 0, &e);
    if (!w || alloc_batch(n, o.batch) < 0)
        cli_die("out of memory for a batch of %d", o.batch);
    if (o.int8)
        calibrate_int8(n, w, o.batch, o.int8, o.model);
    ts_header oh = ts_vector_header(TS_F32, (uint32_t)n->nclass, (uint32_t)n->nclass);
    oh.count = h->count;
    ts_writer *out = ts_create(stdout, "<stdout>", &oh, &e);
    if (!out)
        cli_die_err(&e);
    long got;
    while ((got = ts_read_f32(r, (size_t)o.batch, ids, labels, raw, &e)) > 0) {
        const int B = (int)got;
        const unsigned long long first = (unsigned long long)(ts_records_read(r) - (uint64_t)B) + 1;
        /* a stream that states no class count (nclass 0) may carry any label */
        for (int i = 0; i < B; i++)
            if (labels[i] >= n->nclass) {
                ts_fail(out);
                cli_die("%s: record %llu: label %d, but the model %s predicts %d classes", name, first + (unsigned)i,
                        (int)labels[i], o.model, n->nclass);
            }
        predict_views(n, w, B, o.tta);
        for (int i = 0; i < B; i++) {
            /* weights the loader accepts (finite) can still overflow to inf - inf: no NaN goes downstream */
            for (int k = 0; k < n->nclass; k++)
                if (!isfinite(avg[(size_t)i * n->nclass + k])) {
                    ts_fail(out);
                    cli_die("%s: record %llu: the model %s gives a non-finite probability (damaged weights?)", name,
                            first + (unsigned)i, o.model);
                }
            if (ts_write(out, ids[i], labels[i], avg + (size_t)i * n->nclass, &e) < 0) {
                ts_fail(out);
                cli_die_err(&e);
            }
        }
    }
    if (got < 0) {
        ts_fail(out);
        cli_die_err(&e);
    }
    if (ts_finish(out, &e) < 0)
        cli_die_err(&e);
    ts_close(r);
    net_work_free(w), net_free(n);
    free(raw), free(avg), free(ids), free(labels), free(tmp);
    return 0;
}
