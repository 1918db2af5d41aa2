/* npy2tensor - NumPy .npy image (and label) arrays to a tensor stream. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "classes.h"
#include "cli.h"
#include "npy.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: npy2tensor [OPTION]... IMAGES [LABELS]\n"
    "Convert NumPy .npy arrays (format 1.0/2.0/3.0, gzip or plain) to a u8 image tensor stream.\n"
    "IMAGES: shape N x 784 (28x28; any N x S*S is S x S), N x H x W or N x H x W x C;\n"
    "  integer or bool elements must be 0..255, float32/float64 elements 0..1 (scaled by 255, rounded).\n"
    "LABELS: N integers (shape N or N x 1), or N one-hot rows (N x K: K classes).\n"
    "Record ids are 0-based image numbers. C order only (fortran_order False). Either file may be\n"
    "'-' for stdin.\n"
    "\n"
    "  -k, --classes N     integer labels must be 0..N-1 [10; K for one-hot labels]\n" CLI_STD_HELP
    "\n"
    "Example: npy2tensor x_test.npy y_test.npy | predict model.bin | confmat\n";

/* The numpy index of flat element i of an array of the given shape: "[2, 5, 17]". */
static const char *np_index(const npy_header *h, uint64_t i, char *buf, size_t len)
{
    uint64_t idx[NPY_MAX_RANK];
    for (int d = h->rank - 1; d >= 0; d--) {
        idx[d] = h->shape[d] ? i % h->shape[d] : 0;
        i = h->shape[d] ? i / h->shape[d] : 0;
    }
    size_t n = (size_t)snprintf(buf, len, "[");
    for (int d = 0; d < h->rank && n < len; d++)
        n += (size_t)snprintf(buf + n, len - n, "%s%llu", d ? ", " : "", (unsigned long long)idx[d]);
    if (n < len)
        snprintf(buf + n, len - n, "]");
    return buf;
}

/* The image shape an array of images stands for; dies if there is none. */
static void image_shape(const npy_file *x, uint32_t *hh, uint32_t *ww, uint32_t *cc)
{
    const npy_header *h = &x->h;
    char s[160];
    uint64_t H = 0, W = 0, C = 1;
    if (h->rank == 2) {
        uint64_t side = (uint64_t)llround(sqrt((double)h->shape[1]));
        if (side * side == h->shape[1])
            H = W = side;
        else
            cli_die("%s: shape %s: rows of %llu values are not square images (N x 784 is 28x28)", x->name,
                    npy_shape_str(h, s, sizeof s), (unsigned long long)h->shape[1]);
    } else if (h->rank == 3 || h->rank == 4) {
        H = h->shape[1], W = h->shape[2], C = h->rank == 4 ? h->shape[3] : 1;
    } else {
        cli_die("%s: shape %s: expected images (N x 784, N x H x W or N x H x W x C)", x->name,
                npy_shape_str(h, s, sizeof s));
    }
    if (h->shape[0] > UINT32_MAX)
        cli_die("%s: %llu images: more than the stream's ids can number", x->name, (unsigned long long)h->shape[0]);
    /* H * W first: with each side up to 2^24, H * W * C could pass 2^64 */
    if (!H || !W || !C || H > TS_MAX_DIM || W > TS_MAX_DIM || C > TS_MAX_DIM || H * W > TS_MAX_ELEMS ||
        H * W * C > TS_MAX_ELEMS)
        cli_die("%s: shape %s: image size out of range", x->name, npy_shape_str(h, s, sizeof s));
    *hh = (uint32_t)H, *ww = (uint32_t)W, *cc = (uint32_t)C;
}

typedef struct options {
    uint32_t nclass;
    int nclass_given;
    const char *images, *labels; /* labels NULL: none */
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {FM_NCLASS, 0, NULL, NULL};
    static const struct option longs[] = {{"classes", required_argument, 0, 'k'}, CLI_STD_LONG};
    int ch;
    while ((ch = getopt_long(argc, argv, "k:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'k': o.nclass = (uint32_t)cli_long("--classes", optarg, 1, 65535), o.nclass_given = 1; break;
        default: cli_std_option(ch, usage);
        }
    }
    int n = cli_operands(argc, argv, 1, 2, "IMAGES file ('-' for stdin)", "IMAGES and LABELS");
    o.images = argv[optind];
    o.labels = n == 2 ? argv[optind + 1] : NULL;
    return o;
}

/* Checks the labels' shape against n images: integers (N or N x 1) or one-hot rows
 * (N x K, which sets the class count). Returns the values per label. */
static size_t label_shape(const npy_file *lab, uint64_t n, const char *images, options *o, int *onehot)
{
    const npy_header *lh = &lab->h;
    char s[160];
    *onehot = 0;
    if (lh->rank == 2 && lh->shape[1] > 1) {
        *onehot = 1;
        if (lh->shape[1] > 65535)
            cli_die("%s: shape %s: too many classes for one-hot labels", lab->name, npy_shape_str(lh, s, sizeof s));
        if (o->nclass_given && o->nclass != lh->shape[1])
            cli_die("%s: one-hot rows of %llu classes, but --classes says %u", lab->name,
                    (unsigned long long)lh->shape[1], o->nclass);
        o->nclass = (uint32_t)lh->shape[1];
    } else if (lh->rank != 1 && !(lh->rank == 2 && lh->shape[1] == 1)) {
        cli_die("%s: shape %s: expected labels (N integers or N x K one-hot rows)", lab->name,
                npy_shape_str(lh, s, sizeof s));
    }
    if (lh->shape[0] != n)
        cli_die("%s has %llu images but %s has %llu labels", images, (unsigned long long)n, lab->name,
                (unsigned long long)lh->shape[0]);
    return *onehot ? o->nclass : 1;
}

/* Image i's values x[elems] as pixels; -1 (e set) for a value out of range. */
static int to_pixels(const npy_file *img, uint64_t i, const double *x, size_t elems, unsigned char *pix, err *e)
{
    const int is_float = img->h.kind == NPY_FLOAT;
    char s[160];
    for (size_t j = 0; j < elems; j++) {
        double v = x[j];
        if (is_float ? !(v >= 0 && v <= 1) : !(v >= 0 && v <= 255))
            return err_set(e, "%s: value %.9g at index %s is outside %s", img->name, v,
                           np_index(&img->h, i * elems + j, s, sizeof s),
                           is_float ? "[0, 1] (float images must be scaled to 0..1)" : "0..255");
        pix[j] = (unsigned char)(is_float ? lround(v * 255.0) : v);
    }
    return 0;
}

/* Label i from its values y: one-hot row or integer; -1 (e set) if it is neither. */
static int to_label(const npy_file *lab, uint64_t i, const double *y, size_t per_label, int onehot,
                    uint32_t nclass, int32_t *label, err *e)
{
    if (onehot) {
        int ones = 0, others = 0;
        for (size_t k = 0; k < per_label; k++) {
            if (y[k] == 1)
                ones++, *label = (int32_t)k;
            else if (y[k] != 0)
                others++;
        }
        if (ones != 1 || others)
            return err_set(e, "%s: row [%llu] is not one-hot (one 1, the rest 0)", lab->name, (unsigned long long)i);
        return 0;
    }
    char s[160];
    if (!(y[0] >= 0 && y[0] < nclass && y[0] == floor(y[0])))
        return err_set(e, "%s: label %g at index %s is not a class (0..%u)", lab->name, y[0],
                       np_index(&lab->h, i, s, sizeof s), nclass - 1);
    *label = (int32_t)y[0];
    return 0;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    npy_file img, lab = {0};
    if (npy_open(&img, o.images, &e) < 0)
        cli_die_err(&e);
    uint32_t H, W, C;
    image_shape(&img, &H, &W, &C);
    const uint64_t n = img.h.shape[0];
    const size_t elems = (size_t)H * W * C;
    int onehot = 0;
    size_t per_label = 1;
    if (o.labels) {
        if (npy_open(&lab, o.labels, &e) < 0)
            cli_die_err(&e);
        per_label = label_shape(&lab, n, img.name, &o, &onehot);
    }
    ts_header th = ts_image_header(H, W, C, o.nclass);
    th.count = n;
    ts_writer *w = ts_create(stdout, "<stdout>", &th, &e);
    if (!w)
        cli_die_err(&e);
    /* static: still reachable when cli_die exits mid-loop (quiet leak checkers) */
    static double *x, *y;
    static unsigned char *pix;
    x = malloc(elems * sizeof *x), y = malloc(per_label * sizeof *y), pix = malloc(elems);
    if (!x || !y || !pix)
        cli_die("out of memory");
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++) {
        int32_t label = TS_NO_LABEL;
        if (npy_read(&img, x, elems, "image", elems, &e) < 0 || to_pixels(&img, i, x, elems, pix, &e) < 0 ||
            (o.labels && (npy_read(&lab, y, per_label, "label", per_label, &e) < 0 ||
                          to_label(&lab, i, y, per_label, onehot, o.nclass, &label, &e) < 0)) ||
            ts_write(w, (uint32_t)i, label, pix, &e) < 0)
            rc = -1;
    }
    if (rc == 0 && (npy_check_end(&img, &e) < 0 || (o.labels && npy_check_end(&lab, &e) < 0)))
        rc = -1;
    if (rc < 0) {
        ts_fail(w); /* downstream readers see a truncated record */
        cli_die_err(&e);
    }
    if (ts_finish(w, &e) < 0)
        cli_die_err(&e);
    npy_close(&img);
    if (o.labels)
        npy_close(&lab);
    free(x), free(y), free(pix);
    return 0;
}
