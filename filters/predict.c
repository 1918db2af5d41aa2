/* predict - class probabilities for every record of an image stream. */
#include <getopt.h>
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
    "      --summary       print the model summary and how it was trained, and exit\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Example: csv2tensor < fashion-mnist_test.csv | predict model.bin | confmat\n";

int main(int argc, char **argv)
{
    cli_init(argv);
    int batch = 256, threads = 0, tta = 0, summary = 0;
    enum { O_TTA = 256, O_SUMMARY };
    static const struct option longs[] = {
        {"batch", required_argument, 0, 'b'}, {"threads", required_argument, 0, 'j'},
        {"tta", optional_argument, 0, O_TTA},  {"summary", no_argument, 0, O_SUMMARY},
        {"help", no_argument, 0, 'h'},        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "b:j:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'b': batch = (int)cli_long("--batch", optarg, 1, 65536); break;
        case 'j': threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case O_TTA:
            if (!optarg || strcmp(optarg, "flip") == 0)
                tta = 1;
            else if (strcmp(optarg, "flip,shift") == 0 || strcmp(optarg, "shift,flip") == 0)
                tta = 2;
            else
                cli_usage_error("--tta: expected 'flip' or 'flip,shift', got '%s'", optarg);
            break;
        case O_SUMMARY: summary = 1; break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    int nargs = argc - optind;
    if (nargs < 1)
        cli_usage_error("missing MODEL");
    if (nargs > 2)
        cli_usage_error("too many arguments (MODEL and one input file at most; --tta takes its views as --tta=flip,shift)");
    const char *model_path = argv[optind], *path = nargs == 2 ? argv[optind + 1] : NULL;
    err e;
    char *meta = NULL;
    static network *n; /* static: still reachable when cli_die exits below (quiet leak checkers) */
    n = model_load(model_path, &meta, NULL, NULL, &e);
    if (!n)
        cli_die_err(&e);
    if (summary) {
        net_summary(n, stdout);
        printf("Input: %dx%dx%d, normalised as (x - %g) / %g\n", n->in_h, n->in_w, n->in_c, (double)n->norm_mean,
               (double)n->norm_std);
        if (meta && *meta)
            printf("Training:\n%s", meta);
        free(meta);
        net_free(n);
        return 0;
    }
    free(meta);
    if (threads == 0)
        threads = net_default_threads();

    FILE *f = ts_fopen_in(path, &e);
    if (!f)
        cli_die_err(&e);
    const char *name = cli_name(path);
    ts_reader *r = ts_open(f, name, &e);
    if (!r)
        cli_die_err(&e);
    const ts_header *h = ts_header_of(r);
    char shape[64];
    if (h->rank != 3 || (int)h->dims[0] != n->in_h || (int)h->dims[1] != n->in_w || (int)h->dims[2] != n->in_c)
        cli_die("%s: records are %s, the model %s takes %dx%dx%d images", name, ts_shape_str(h, shape, sizeof shape),
                model_path, n->in_h, n->in_w, n->in_c);
    if (h->nclass && (int)h->nclass > n->nclass)
        cli_die("%s: the stream has %u classes, the model %s predicts %d", name, h->nclass, model_path, n->nclass);

    const size_t elems = net_in_elems(n);
    net_work *w = net_work_new(n, batch, threads, 0, &e);
    /* static: still reachable when cli_die exits mid-stream (quiet leak checkers) */
    static float *raw, *avg, *tmp;
    static uint32_t *ids;
    static int32_t *labels;
    raw = malloc((size_t)batch * elems * sizeof(float));
    avg = malloc((size_t)batch * n->nclass * sizeof(float));
    ids = malloc((size_t)batch * sizeof *ids);
    labels = malloc((size_t)batch * sizeof *labels);
    tmp = malloc(elems * sizeof(float)); /* scratch for shift_image */
    if (!w || !raw || !avg || !ids || !labels || !tmp)
        cli_die("out of memory for a batch of %d", batch);
    ts_header oh = ts_vector_header(TS_F32, (uint32_t)n->nclass, (uint32_t)n->nclass);
    oh.count = h->count;
    ts_writer *out = ts_create(stdout, "<stdout>", &oh, &e);
    if (!out)
        cli_die_err(&e);
    const int nviews = tta == 0 ? 1 : tta == 1 ? 2 : 10; /* view v: mirrored if odd, shifts[v / 2] */
    for (;;) {
        long got = ts_read_f32(r, (size_t)batch, ids, labels, raw, &e);
        if (got < 0) {
            ts_fail(out);
            cli_die_err(&e);
        }
        if (got == 0)
            break;
        int B = (int)got;
        /* a stream that states no class count (nclass 0) may carry any label */
        for (int i = 0; i < B; i++)
            if (labels[i] >= n->nclass) {
                ts_fail(out);
                cli_die("%s: record %llu: label %d, but the model %s predicts %d classes", name,
                        (unsigned long long)(ts_records_read(r) - (uint64_t)B + (uint64_t)i + 1), (int)labels[i],
                        model_path, n->nclass);
            }
        /* net_forward normalises its input in place: each view starts again from the raw batch */
        for (int v = 0; v < nviews; v++) {
            static const int shifts[5][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}};
            float *x = net_input(w);
            memcpy(x, raw, (size_t)B * elems * sizeof(float));
            for (int i = 0; v > 0 && i < B; i++) {
                float *img = x + (size_t)i * elems;
                if (v % 2)
                    flip_horizontal(img, n->in_h, n->in_w, n->in_c);
                shift_image(img, tmp, n->in_h, n->in_w, n->in_c, shifts[v / 2][0], shifts[v / 2][1]);
            }
            const float *p = net_forward(n, w, B, 0, 0);
            if (v == 0)
                memcpy(avg, p, (size_t)B * n->nclass * sizeof(float));
            else
                for (size_t k = 0; k < (size_t)B * n->nclass; k++)
                    avg[k] += p[k];
        }
        if (nviews > 1)
            for (size_t k = 0; k < (size_t)B * n->nclass; k++)
                avg[k] /= (float)nviews;
        for (int i = 0; i < B; i++) {
            /* weights the loader accepts (finite) can still overflow to inf - inf: no NaN goes downstream */
            for (int k = 0; k < n->nclass; k++)
                if (!isfinite(avg[(size_t)i * n->nclass + k])) {
                    ts_fail(out);
                    cli_die("%s: record %llu: the model %s gives a non-finite probability (damaged weights?)", name,
                            (unsigned long long)(ts_records_read(r) - (uint64_t)B + (uint64_t)i + 1), model_path);
                }
            if (ts_write(out, ids[i], labels[i], avg + (size_t)i * n->nclass, &e) < 0) {
                ts_fail(out);
                cli_die_err(&e);
            }
        }
    }
    if (ts_finish(out, &e) < 0)
        cli_die_err(&e);
    ts_close(r);
    net_work_free(w);
    net_free(n);
    free(raw), free(avg), free(ids), free(labels), free(tmp);
    return 0;
}
