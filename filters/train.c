/* train - train a network on a labelled tensor stream; write a model file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "augment.h"
#include "builtin_arch.h"
#include "cli.h"
#include "model_file.h"
#include "network.h"
#include "optim.h"
#include "rng.h"
#include "tensor_stream.h"

#include <zlib.h>

static const char usage[] =
    "Usage: train [OPTION]... -o MODEL [FILE]\n"
    "Train a network on a labelled image tensor stream (FILE or stdin) and write MODEL.\n"
    "\n"
    "  -p, --preset NAME       a named network and recipe (below) [default]; any option\n"
    "                          given as well overrides the preset's, whatever the order\n"
    "Data and network:\n"
    "  -a, --arch NAME|FILE    a built-in architecture (%s)\n"
    "                          or an .arch file\n"
    "      --val FILE          validation stream: decides the best epoch and the schedule\n"
    "      --normalise MODE    unit: x/255 (the study) | standard: (x-mean)/std of the data\n"
    "      --summary           print the model summary (like Keras) and exit\n"
    "Recipe (an option shown without a [default] takes the preset's):\n"
    "  -e, --epochs N          epochs at most\n"
    "  -b, --batch N           batch size\n"
    "      --lr X              learning rate (the peak, for onecycle)\n"
    "      --optimizer NAME    adam | adamw | sgd\n"
    "      --weight-decay X    AdamW decoupled decay / SGD L2\n"
    "      --momentum X        SGD momentum [0.9]\n"
    "      --schedule NAME     plateau | cosine | onecycle | constant\n"
    "      --warmup N          cosine: warm-up epochs [0]\n"
    "      --patience N        plateau: epochs without improvement before lr *= factor [3]\n"
    "      --factor X          plateau: lr reduction factor [0.1]\n"
    "      --min-lr X          plateau: lowest lr [1e-8]\n"
    "      --early-stop N      stop after N epochs without improvement; 0 = never\n"
    "      --monitor WHAT      loss | acc: the validation figure that picks the best epoch and\n"
    "                          drives plateau and early stopping [loss]\n"
    "      --smoothing X       label smoothing\n"
    "      --augment SPEC      e.g. shift=2,flip,erase=0.5 or none\n"
    "Run:\n"
    "  -s, --seed N            same seed and thread count, same model [1]\n"
    "  -j, --threads N         threads [all processors]\n"
    "      --log FILE          per-epoch CSV log ('-': stdout)\n"
    "                          (epoch,lr,loss,acc,val_loss,val_acc,seconds,images_per_s)\n"
    "      --checkpoint FILE   written after every epoch [MODEL.ckpt]\n"
    "      --resume            continue from the checkpoint (with the same options; --epochs may grow)\n"
    "      --keep-checkpoint   do not remove the checkpoint when training ends\n"
    "  -o, --output MODEL      the model file (written atomically) (required)\n"
    "  -q, --quiet             no progress output\n"
    "  -h, --help              show this help and exit\n"
    "  -V, --version           show the version and exit\n"
    "\n"
    "Presets (the options each stands for):\n"
    "%s"
    "\n"
    "The model kept is the epoch with the best validation figure (Keras' restore_best_weights).\n"
    "Ctrl-C stops cleanly: the best model so far is written; --resume continues from the last epoch.\n";

/* A preset is a list of options read before the command line's own, so that
 * `train` alone runs the default recipe, `--preset study` the Keras study's,
 * and anything given as well wins. Kept as option text so that --help can
 * show exactly what each one means. */
typedef struct preset {
    const char *name, *options, *what;
} preset;

static const preset presets[] = {
    {"default",
     "-a default --normalise standard --epochs 18 --batch 128 --lr 0.002 --optimizer adamw --weight-decay 0.02 "
     "--schedule onecycle --smoothing 0.1 --augment shift=1,flip --early-stop 0",
     "chosen for accuracy per minute of training: about 20 minutes on 2 cores"},
    {"long",
     "-a wide --normalise standard --epochs 40 --batch 128 --lr 0.002 --optimizer adamw --weight-decay 0.05 "
     "--schedule onecycle --smoothing 0.1 --augment shift=1,flip,erase=0.25 --early-stop 0",
     "the narrow network 1.5 times as wide, 40 epochs, random erasing: about 80 minutes"},
    {"study",
     "-a study --normalise unit --epochs 30 --batch 64 --lr 0.001 --optimizer adam --weight-decay 0 "
     "--schedule plateau --factor 0.1 --patience 3 --min-lr 1e-8 --early-stop 4 --smoothing 0 --augment none",
     "the Keras study's network and recipe"},
};
enum { NPRESETS = sizeof presets / sizeof presets[0] };

typedef struct options {
    const char *preset, *arch, *val, *input, *output, *log, *ckpt, *augment_spec, *optimizer, *schedule;
    int epochs, batch, threads, patience, early, warmup, resume, quiet, summary, unit_norm, keep_ckpt, monitor_acc;
    float lr, factor, min_lr, smoothing, wd, momentum;
    uint64_t seed;
} options;

/* "default, narrow, small, study, wide": the built-in architectures' names */
static void builtin_names(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const builtin_arch *a = builtin_archs; a->name && at < len; a++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", a->name);
}

__attribute__((noreturn)) static void print_help(void)
{
    char archs[256], list[2048] = "";
    size_t at = 0;
    builtin_names(archs, sizeof archs);
    for (int i = 0; i < NPRESETS && at < sizeof list; i++) {
        at += (size_t)snprintf(list + at, sizeof list - at, "  %-8s %s:\n", presets[i].name, presets[i].what);
        /* the options, 11 columns in, each line cut before an option name so
         * that it ends by column 80 */
        const int room = 80 - 11;
        for (const char *p = presets[i].options; *p && at < sizeof list;) {
            size_t len = strlen(p);
            const char *cut = NULL;
            for (const char *c = strstr(p, " -"); len > (size_t)room && c && c - p <= room; c = strstr(c + 1, " -"))
                cut = c;
            if (cut)
                len = (size_t)(cut - p);
            at += (size_t)snprintf(list + at, sizeof list - at, "           %.*s\n", (int)len, p);
            p += len + (p[len] == ' ');
        }
    }
    printf(usage, archs, list);
    exit(0);
}

static const preset *find_preset(const char *name)
{
    for (int i = 0; i < NPRESETS; i++)
        if (strcmp(presets[i].name, name) == 0)
            return &presets[i];
    return NULL;
}

/* One getopt pass over argv into *o; returns the index of the first operand. */
static int read_options(options *o, int argc, char **argv)
{
    enum { O_VAL = 256, O_NORM, O_SUMMARY, O_LR, O_OPT, O_WD, O_MOM, O_SCHED, O_WARM, O_PAT, O_FACTOR, O_MINLR,
           O_EARLY, O_SMOOTH, O_AUG, O_LOG, O_CKPT, O_RESUME, O_KEEP, O_MONITOR };
    static const struct option longs[] = {
        {"preset", required_argument, 0, 'p'},     {"arch", required_argument, 0, 'a'},
        {"val", required_argument, 0, O_VAL},      {"normalise", required_argument, 0, O_NORM},
        {"summary", no_argument, 0, O_SUMMARY},    {"epochs", required_argument, 0, 'e'},
        {"batch", required_argument, 0, 'b'},      {"lr", required_argument, 0, O_LR},
        {"optimizer", required_argument, 0, O_OPT}, {"weight-decay", required_argument, 0, O_WD},
        {"momentum", required_argument, 0, O_MOM}, {"schedule", required_argument, 0, O_SCHED},
        {"warmup", required_argument, 0, O_WARM},  {"patience", required_argument, 0, O_PAT},
        {"factor", required_argument, 0, O_FACTOR}, {"min-lr", required_argument, 0, O_MINLR},
        {"early-stop", required_argument, 0, O_EARLY}, {"smoothing", required_argument, 0, O_SMOOTH},
        {"augment", required_argument, 0, O_AUG},  {"seed", required_argument, 0, 's'},
        {"threads", required_argument, 0, 'j'},    {"log", required_argument, 0, O_LOG},
        {"checkpoint", required_argument, 0, O_CKPT}, {"resume", no_argument, 0, O_RESUME},
        {"output", required_argument, 0, 'o'},     {"keep-checkpoint", no_argument, 0, O_KEEP},
        {"monitor", required_argument, 0, O_MONITOR}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},             {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    optind = 0; /* glibc: start afresh (this is called once per source of options) */
    int ch;
    while ((ch = getopt_long(argc, argv, "p:a:e:b:s:j:o:qhV", longs, NULL)) != -1) {
        switch (ch) {
        case 'p':
            if (!find_preset(optarg))
                cli_usage_error("--preset: expected default, long or study, got '%s'", optarg);
            o->preset = optarg;
            break;
        case 'a': o->arch = optarg; break;
        case O_VAL: o->val = optarg; break;
        case O_NORM:
            if (strcmp(optarg, "unit") && strcmp(optarg, "standard"))
                cli_usage_error("--normalise: expected unit or standard, got '%s'", optarg);
            o->unit_norm = optarg[0] == 'u';
            break;
        case O_SUMMARY: o->summary = 1; break;
        case 'e': o->epochs = (int)cli_long("--epochs", optarg, 1, 100000); break;
        case 'b': o->batch = (int)cli_long("--batch", optarg, 1, 65536); break;
        case O_LR: o->lr = (float)cli_double("--lr", optarg, 1e-12, 10); break;
        case O_OPT:
            if (strcmp(optarg, "adam") && strcmp(optarg, "adamw") && strcmp(optarg, "sgd"))
                cli_usage_error("--optimizer: expected adam, adamw or sgd, got '%s'", optarg);
            o->optimizer = optarg;
            break;
        case O_WD: o->wd = (float)cli_double("--weight-decay", optarg, 0, 1); break;
        case O_MOM: o->momentum = (float)cli_double("--momentum", optarg, 0, 0.9999); break;
        case O_SCHED:
            if (strcmp(optarg, "plateau") && strcmp(optarg, "cosine") && strcmp(optarg, "onecycle") &&
                strcmp(optarg, "constant"))
                cli_usage_error("--schedule: expected plateau, cosine, onecycle or constant, got '%s'", optarg);
            o->schedule = optarg;
            break;
        case O_WARM: o->warmup = (int)cli_long("--warmup", optarg, 0, 1000); break;
        case O_PAT: o->patience = (int)cli_long("--patience", optarg, 1, 1000); break;
        case O_FACTOR: o->factor = (float)cli_double("--factor", optarg, 1e-6, 1); break;
        case O_MINLR: o->min_lr = (float)cli_double("--min-lr", optarg, 0, 10); break;
        case O_EARLY: o->early = (int)cli_long("--early-stop", optarg, 0, 100000); break;
        case O_SMOOTH: o->smoothing = (float)cli_double("--smoothing", optarg, 0, 0.99); break;
        case O_AUG: {
            augment a;
            if (augment_parse(&a, optarg) < 0)
                cli_usage_error("--augment: bad spec '%s' (e.g. shift=2,flip,erase=0.5 or none)", optarg);
            o->augment_spec = optarg;
            break;
        }
        case 's': o->seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case 'j': o->threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case O_LOG: o->log = optarg; break;
        case O_CKPT: o->ckpt = optarg; break;
        case O_RESUME: o->resume = 1; break;
        case O_KEEP: o->keep_ckpt = 1; break;
        case O_MONITOR:
            if (strcmp(optarg, "loss") && strcmp(optarg, "acc"))
                cli_usage_error("--monitor: expected loss or acc, got '%s'", optarg);
            o->monitor_acc = optarg[0] == 'a';
            break;
        case 'o': o->output = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': print_help();
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    return optind;
}

static options parse_command_line(int argc, char **argv)
{
    /* what neither the preset nor the command line sets (every preset sets the rest) */
    const options base = {.preset = "default", .augment_spec = "none", .optimizer = "adam", .schedule = "plateau",
                          .epochs = 30, .batch = 64, .patience = 3, .early = 4, .lr = 1e-3f, .factor = 0.1f,
                          .min_lr = 1e-8f, .momentum = 0.9f, .seed = 1};
    /* first pass: which preset (and any usage error, reported once) */
    options o = base;
    read_options(&o, argc, argv);
    /* second pass: the preset's options, then the command line's over them
     * (text is static: the options keep pointers into it) */
    static char text[1024];
    char *pargv[64];
    int pargc = 0;
    snprintf(text, sizeof text, "%s", find_preset(o.preset)->options);
    pargv[pargc++] = argv[0];
    for (char *tok = strtok(text, " "); tok && pargc < 63; tok = strtok(NULL, " "))
        pargv[pargc++] = tok;
    pargv[pargc] = NULL;
    const char *preset_name = o.preset;
    o = base;
    read_options(&o, pargc, pargv);
    o.preset = preset_name;
    int first = read_options(&o, argc, argv);

    if (argc - first > 1)
        cli_usage_error("too many arguments (one input stream at most)");
    o.input = first < argc ? argv[first] : NULL;
    if (!o.output && !o.summary)
        cli_usage_error("missing -o MODEL");
    if (o.output && strcmp(o.output, "-") == 0)
        cli_usage_error("-o: the model needs a file name (its checkpoint is written beside it)");
    if (o.ckpt && strcmp(o.ckpt, "-") == 0)
        cli_usage_error("--checkpoint: give a file name (a checkpoint is read back by --resume)");
    if (o.resume && !o.output && !o.ckpt)
        cli_usage_error("--resume needs -o MODEL (its checkpoint is MODEL.ckpt) or --checkpoint FILE");
    if (o.val && strcmp(o.val, "-") == 0 && (!o.input || strcmp(o.input, "-") == 0))
        cli_usage_error("--val - and the training data cannot both be stdin");
    /* one spelling per augmentation, so that the model records it and --resume compares it */
    static char aug[64];
    augment a;
    augment_parse(&a, o.augment_spec);
    augment_format(&a, aug, sizeof aug);
    o.augment_spec = aug;
    return o;
}

/* ================================================================ data */

typedef struct dataset {
    size_t n, elems;
    int h, w, c;
    unsigned char *x; /* (n, elems) pixels as stored (u8), or NULL when f32 */
    float *xf;        /* (n, elems) when the stream is f32 */
    int32_t *y;
    uint32_t *id;
    uint32_t crc; /* CRC-32 of the ids, labels and pixels in order: --resume checks it is the same data */
} dataset;

static int load_dataset(dataset *d, const char *path, const network *n, err *e)
{
    memset(d, 0, sizeof *d);
    FILE *f = ts_fopen_in(path, e);
    if (!f)
        return -1;
    const char *name = cli_name(path);
    ts_reader *r = ts_open(f, name, e);
    if (!r) {
        if (f != stdin)
            fclose(f);
        return -1;
    }
    const ts_header *h = ts_header_of(r);
    char got[64];
    if (h->rank != 3 || (int)h->dims[0] != n->in_h || (int)h->dims[1] != n->in_w || (int)h->dims[2] != n->in_c) {
        err_set(e, "%s: records are %s, the network takes %dx%dx%d images", name, ts_shape_str(h, got, sizeof got),
                n->in_h, n->in_w, n->in_c);
        goto fail;
    }
    if ((int)h->nclass > n->nclass) { /* predict would refuse the stream for this model */
        err_set(e, "%s: the stream has %u classes, the network %d outputs", name, h->nclass, n->nclass);
        goto fail;
    }
    d->elems = ts_elems(h);
    d->h = n->in_h, d->w = n->in_w, d->c = n->in_c;
    /* sized from the header's count up to 65,536 records, then grown as the data comes:
     * a damaged count must not make us allocate what the data does not hold */
    size_t cap = h->count != TS_COUNT_UNKNOWN ? (h->count < 65536 ? (size_t)h->count : 65536) : 4096;
    size_t esz = ts_dtype_size(h->dtype);
    for (;;) {
        if (d->n == cap || !d->y) {
            cap = d->y ? cap * 2 : cap ? cap : 1;
            void *nx = realloc(h->dtype == TS_U8 ? (void *)d->x : (void *)d->xf, cap * d->elems * esz);
            int32_t *ny = realloc(d->y, cap * sizeof *ny);
            uint32_t *ni = realloc(d->id, cap * sizeof *ni);
            if (nx) {
                if (h->dtype == TS_U8)
                    d->x = nx;
                else
                    d->xf = nx;
            }
            if (ny)
                d->y = ny;
            if (ni)
                d->id = ni;
            if (!nx || !ny || !ni) {
                err_set(e, "%s: out of memory after %zu records", name, d->n);
                goto fail;
            }
        }
        void *dst = h->dtype == TS_U8 ? (void *)(d->x + d->n * d->elems) : (void *)(d->xf + d->n * d->elems);
        long got1 = h->dtype == TS_U8 ? ts_read(r, 1, &d->id[d->n], &d->y[d->n], dst, e)
                                      : ts_read_f32(r, 1, &d->id[d->n], &d->y[d->n], dst, e); /* finite */
        if (got1 < 0)
            goto fail;
        if (got1 == 0)
            break;
        if (d->y[d->n] < 0) {
            err_set(e, "%s: record %zu: no label (train needs labelled data)", name, d->n + 1);
            goto fail;
        }
        if (d->y[d->n] >= n->nclass) {
            err_set(e, "%s: record %zu: label %d, the network has %d classes", name, d->n + 1, d->y[d->n], n->nclass);
            goto fail;
        }
        d->n++;
    }
    if (d->n == 0) {
        err_set(e, "%s: no records", name);
        goto fail;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32_z(crc, (const Bytef *)d->id, d->n * sizeof *d->id);
    crc = crc32_z(crc, (const Bytef *)d->y, d->n * sizeof *d->y);
    crc = d->x ? crc32_z(crc, d->x, d->n * d->elems) : crc32_z(crc, (const Bytef *)d->xf, d->n * d->elems * sizeof *d->xf);
    d->crc = (uint32_t)crc;
    ts_close(r);
    if (f != stdin)
        fclose(f);
    return 0;
fail:
    ts_close(r);
    if (f != stdin)
        fclose(f);
    free(d->x), free(d->xf), free(d->y), free(d->id);
    memset(d, 0, sizeof *d);
    return -1;
}

static void data_crc_text(char *buf, size_t len, const dataset *train, const dataset *val)
{
    char v[16] = "none";
    if (val)
        snprintf(v, sizeof v, "%08x", (unsigned)val->crc);
    snprintf(buf, len, "train_crc32=%08x\nval_crc32=%s\n", (unsigned)train->crc, v);
}

static void dataset_free(dataset *d) { free(d->x), free(d->xf), free(d->y), free(d->id); }

static void get_image(const dataset *d, size_t i, float *dst)
{
    if (d->x)
        for (size_t k = 0; k < d->elems; k++)
            dst[k] = d->x[i * d->elems + k];
    else
        memcpy(dst, d->xf + i * d->elems, d->elems * sizeof(float));
}

/* ================================================================ progress */

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { stop_requested = sig; }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static void progress_bar(int epoch, int epochs, size_t done, size_t total, double loss, double acc, double rate,
                         double elapsed)
{
    int width = 24, fill = (int)((double)done / (double)total * width);
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '=' : i == fill ? '>' : ' ';
    bar[width] = '\0';
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\repoch %d/%d [%s] %zu/%zu loss %.4f acc %.4f %.0f img/s %ds ETA %ds ", epoch, epochs, bar, done,
            total, loss, acc, rate, (int)elapsed, (int)eta);
    fflush(stderr);
}

/* ================================================================ evaluation */

typedef struct eval_result {
    double loss, acc;
} eval_result;

static eval_result evaluate(network *n, net_work *w, const dataset *d, int bmax)
{
    eval_result r = {0, 0};
    size_t correct = 0;
    double loss = 0;
    for (size_t b0 = 0; b0 < d->n; b0 += (size_t)bmax) {
        int B = (int)(d->n - b0 < (size_t)bmax ? d->n - b0 : (size_t)bmax);
        float *x = net_input(w);
        for (int i = 0; i < B; i++)
            get_image(d, b0 + (size_t)i, x + (size_t)i * d->elems);
        const float *p = net_forward(n, w, B, 0, 0);
        for (int i = 0; i < B; i++) {
            const float *pi = p + (size_t)i * n->nclass;
            int best = 0;
            for (int k = 1; k < n->nclass; k++)
                best = pi[k] > pi[best] ? k : best;
            correct += best == d->y[b0 + (size_t)i];
            float py = pi[d->y[b0 + (size_t)i]];
            loss -= log(py > 1e-7f ? py : 1e-7f); /* Keras clips probabilities the same way */
        }
    }
    r.loss = loss / (double)d->n;
    r.acc = (double)correct / (double)d->n;
    return r;
}

/* ================================================================ state */

typedef struct run {
    int epoch;            /* epochs completed */
    uint64_t step;
    float lr;
    plateau plat;
    early_stop es;
    double best_metric;
    int best_epoch;
    float *best_params, *best_buffers;
    double seconds;
    int stopped; /* early stopping ended the run: a resumed one has nothing left to do */
    size_t ntrain; /* training images */
    char data_crc[64]; /* "train_crc32=...\nval_crc32=...\n": which data it was trained on */
} run;

static void state_text(char *buf, size_t len, const run *r, const options *o)
{
    snprintf(buf, len,
             "epoch=%d\nstep=%llu\nlr=%.9g\nplateau_best=%.17g\nplateau_wait=%d\nes_best=%.17g\nes_wait=%d\n"
             "best_metric=%.17g\nbest_epoch=%d\nseconds=%.3f\nseed=%llu\nthreads=%d\nbatch=%d\nstopped=%d\n",
             r->epoch, (unsigned long long)r->step, (double)r->lr, r->plat.best, r->plat.wait, r->es.best, r->es.wait,
             r->best_metric, r->best_epoch, r->seconds, (unsigned long long)o->seed, o->threads, o->batch, r->stopped);
}

/* The settings that make a run what it is, as key=value lines: recorded in
 * the model and checkpoint, and compared on --resume. */
static void recipe_text(char *buf, size_t len, const options *o)
{
    snprintf(buf, len,
             "normalise=%s\noptimizer=%s\nlr=%g\nweight_decay=%g\nmomentum=%g\nbatch=%d\nschedule=%s\n"
             "warmup=%d\npatience=%d\nfactor=%g\nmin_lr=%g\nearly_stop=%d\nmonitor=%s\naugment=%s\n"
             "smoothing=%g\nseed=%llu\n",
             o->unit_norm ? "unit" : "standard", o->optimizer, (double)o->lr, (double)o->wd, (double)o->momentum,
             o->batch, o->schedule, o->warmup, o->patience, (double)o->factor, (double)o->min_lr, o->early,
             o->monitor_acc ? "acc" : "loss", o->augment_spec, (double)o->smoothing, (unsigned long long)o->seed);
}

static void meta_text(char *buf, size_t len, const run *r, const options *o, const char *extra)
{
    char recipe[1024];
    recipe_text(recipe, sizeof recipe, o);
    snprintf(buf, len,
             "trained_by=train " FM_VERSION "\npreset=%s\narch_file=%s\nepochs=%d\nepochs_run=%d\nbest_epoch=%d\n"
             "best_metric=%.6f\n%sthreads=%d\ntrain_images=%zu\n%strain_seconds=%.1f\n%s",
             o->preset, o->arch, o->epochs, r->epoch, r->best_epoch, r->best_metric, recipe, o->threads, r->ntrain,
             r->data_crc, r->seconds, extra ? extra : "");
}

/* Do two architecture texts describe the same layers? Comments, blank lines
 * and spacing do not count (a shipped .arch file's comment may be edited). */
static int same_layers(const char *a, const char *b)
{
    for (;;) {
        /* skip what does not count: blanks, and comments up to the line's end */
        for (;;) {
            while (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n')
                a++;
            while (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
                b++;
            if (*a != '#' && *b != '#')
                break;
            if (*a == '#')
                a += strcspn(a, "\n");
            if (*b == '#')
                b += strcspn(b, "\n");
        }
        if (!*a || !*b)
            return !*a && !*b;
        /* one word each */
        size_t la = strcspn(a, " \t\r\n#"), lb = strcspn(b, " \t\r\n#");
        if (la != lb || memcmp(a, b, la) != 0)
            return 0;
        a += la, b += lb;
        /* a line break in one where the other goes on is a difference */
        const char *ea = a + strspn(a, " \t\r"), *eb = b + strspn(b, " \t\r");
        int enda = !*ea || *ea == '\n' || *ea == '#', endb = !*eb || *eb == '\n' || *eb == '#';
        if (enda != endb)
            return 0;
    }
}

/* --resume continues the run the checkpoint holds: every setting but --epochs
 * (and --threads, with a note) must be the one it was made with, or the model
 * file would record a recipe it was not trained with. Keys missing from an
 * older checkpoint are not checked. */
static int check_resume(const options *o, const char *saved, const network *n, size_t ntrain, const char *data_crc,
                        const char *arch_now, err *e)
{
    char recipe[1024], want[256], had[256];
    recipe_text(recipe, sizeof recipe, o);
    /* a checkpoint from before presets took train's old defaults */
    const char *hint = kv_get(saved, "preset", had, sizeof had)
                           ? ""
                           : " (it predates presets: its defaults are --preset study --normalise standard -a narrow)";
    char *save = NULL;
    for (char *line = strtok_r(recipe, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        snprintf(want, sizeof want, "%s", eq + 1);
        if (!kv_get(saved, line, had, sizeof had))
            continue;
        if (strcmp(line, "augment") == 0) { /* compare what it means, not how it was spelt */
            augment a;
            if (augment_parse(&a, had) == 0)
                augment_format(&a, had, sizeof had);
        }
        if (strcmp(had, want) != 0)
            return err_set(e,
                           "%s: the checkpoint was made with %s=%s, not %s; resume with the same options (only "
                           "--epochs may change)%s",
                           o->ckpt, line, had, want, hint);
    }
    if (kv_get(saved, "train_images", had, sizeof had) && strtoull(had, NULL, 10) != ntrain)
        return err_set(e, "%s: the checkpoint was made on %s training images, not %zu; resume with the same data",
                       o->ckpt, had, ntrain);
    static const char *const sets[][2] = {{"train_crc32", "training"}, {"val_crc32", "validation"}};
    for (size_t i = 0; i < 2; i++)
        if (kv_get(saved, sets[i][0], had, sizeof had) && kv_get(data_crc, sets[i][0], want, sizeof want) &&
            strcmp(had, want) != 0)
            return err_set(e, "%s: the checkpoint was made on other %s data (%s %s, this data %s); resume with the "
                              "same data",
                           o->ckpt, sets[i][1], sets[i][0], had, want);
    if (arch_now && !same_layers(n->arch, arch_now))
        return err_set(e, "%s: the checkpoint's network is not the one -a %s describes; resume with the same options%s",
                       o->ckpt, o->arch, hint);
    return 0;
}

/* The directory a file would be created in must take new files (an existing
 * device or FIFO is written in place instead). */
static int check_writable_dir(const char *path, err *e)
{
    struct stat st;
    if (!*path)
        return err_set(e, "empty output file name");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(e, "%s: is a directory", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return access(path, W_OK) == 0 ? 0 : err_set(e, "%s: cannot write: %s", path, strerror(errno));
    char dir[4200];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0)
        return err_set(e, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
    return 0;
}

/* The architecture text for -a: a built-in one by name, else the file's bytes. */
static char *arch_text(const char *arg, err *e)
{
    if (builtin_arch_is_name(arg)) {
        const char *t = builtin_arch_text(arg);
        if (!t) {
            char names[256];
            builtin_names(names, sizeof names);
            err_set(e, "%s: no such built-in architecture (built in: %s; a file path needs a '/' or an extension)",
                    arg, names);
            return NULL;
        }
        char *s = strdup(t);
        if (!s)
            err_set(e, "out of memory");
        return s;
    }
    FILE *f = fopen(arg, "r");
    if (!f) {
        err_set(e, "%s: cannot open architecture: %m", arg);
        return NULL;
    }
    char *s = malloc(65536);
    size_t n = s ? fread(s, 1, 65535, f) : 0;
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (!s || bad) {
        free(s);
        err_set(e, "%s: cannot read architecture (or larger than 64 KiB)", arg);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

/* ================================================================ main */

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    err e;
    if (o.threads == 0)
        o.threads = net_default_threads();
    char ckpt_default[4200];
    if (!o.ckpt && o.output) {
        snprintf(ckpt_default, sizeof ckpt_default, "%s.ckpt", o.output);
        o.ckpt = ckpt_default;
    }

    /* never write over the data, the network or another output */
    const char *outs[] = {o.output, o.ckpt, o.log};
    const char *ins[] = {o.input ? o.input : "-", o.val, builtin_arch_is_name(o.arch) ? NULL : o.arch};
    if (check_not_inputs(outs, 3, ins, 3, &e) < 0)
        cli_die_err(&e);
    /* find out now, not after the first epoch, if the model cannot be written */
    if (o.output && (check_writable_dir(o.output, &e) < 0 || check_writable_dir(o.ckpt, &e) < 0 ||
                     (o.log && strcmp(o.log, "-") != 0 && check_writable_dir(o.log, &e) < 0)))
        cli_die_err(&e);

    /* the network: from the checkpoint when resuming, else from -a */
    char *ckpt_meta = NULL;
    network *n = NULL;
    train_state st = {0};
    int has_state = 0;
    if (o.resume) {
        if (access(o.ckpt, F_OK) != 0)
            cli_die("%s: no checkpoint to resume from (a finished run removes it unless --keep-checkpoint)", o.ckpt);
        n = model_load(o.ckpt, &ckpt_meta, &st, &has_state, &e);
        if (!n)
            cli_die_err(&e);
        if (!has_state)
            cli_die("%s: not a checkpoint (no training state)", o.ckpt);
        int done = (int)kv_get_double(st.text, "epoch", 0);
        if (done > o.epochs)
            cli_die("%s: the checkpoint has run %d epochs; --epochs %d is fewer (it may only grow)", o.ckpt, done,
                    o.epochs);
    } else {
        char *text = arch_text(o.arch, &e);
        if (!text)
            cli_die_err(&e);
        n = net_from_arch(text, o.arch, &e);
        free(text);
        if (!n)
            cli_die_err(&e);
        if (n->nclass > 65535) /* the stream header's nclass is a u16 */
            cli_die("%s: the network has %d outputs; a prediction stream carries at most 65535 classes", o.arch,
                    n->nclass);
        if (model_file_bound(n, 1) >= MODEL_MAX_BYTES)
            cli_die("%s: %zu parameters: the checkpoint would pass the %u MiB a model file may hold", o.arch,
                    n->nparams, MODEL_MAX_BYTES >> 20);
        net_init(n, o.seed);
    }
    if (o.summary) {
        free(ckpt_meta);
        net_summary(n, stdout);
        train_state_free(&st);
        net_free(n);
        return 0;
    }

    dataset train = {0}, val = {0};
    if (load_dataset(&train, o.input, n, &e) < 0)
        cli_die_err(&e);
    if (o.val && load_dataset(&val, o.val, n, &e) < 0)
        cli_die_err(&e);
    char data_crc[64]; /* which data: compared on --resume, recorded in the model */
    data_crc_text(data_crc, sizeof data_crc, &train, o.val ? &val : NULL);
    if (o.resume) {
        /* an arch file gone since the run began: the checkpoint holds the network anyway */
        char *text = arch_text(o.arch, &e);
        if (!text && !o.quiet)
            fprintf(stderr, "train: note: %s; resuming with the checkpoint's network\n", e.msg);
        int bad = check_resume(&o, ckpt_meta ? ckpt_meta : "", n, train.n, data_crc, text, &e) < 0;
        free(text);
        free(ckpt_meta);
        if (bad)
            cli_die_err(&e);
    }
    if (!o.resume) {
        if (o.unit_norm) {
            n->norm_mean = 0, n->norm_std = 255;
        } else { /* mean and std of every pixel of the training set */
            double s = 0, ss = 0;
            size_t cnt = train.n * train.elems;
            for (size_t i = 0; i < cnt; i++) {
                double v = train.x ? train.x[i] : train.xf[i];
                s += v, ss += v * v;
            }
            double m = s / (double)cnt, var = ss / (double)cnt - m * m;
            if (!isfinite(m) || !isfinite(var) || fabs(m) > 1e30 || var > 1e60)
                cli_die("%s: pixel values too large to normalise (mean %g, variance %g)", cli_name(o.input), m, var);
            n->norm_mean = (float)m, n->norm_std = (float)(var > 1e-6 ? sqrt(var) : 1.0);
        }
    }

    net_work *w = net_work_new(n, o.batch, o.threads, 1, &e);
    net_work *we = net_work_new(n, 256, o.threads, 0, &e);
    if (!w || !we)
        cli_die_err(&e);
    uint8_t *decay = calloc(n->nparams, 1);
    for (int i = 0; decay && i < n->nlayers; i++)
        if (n->layers[i].kind == LK_CONV || n->layers[i].kind == LK_DENSE)
            memset(decay + n->layers[i].w_off, 1, n->layers[i].nw);
    optim opt = {0};
    opt.weight_decay = o.wd;
    opt.momentum = o.momentum;
    optim_kind kind = strcmp(o.optimizer, "sgd") == 0 ? OPT_SGD : strcmp(o.optimizer, "adamw") == 0 ? OPT_ADAMW : OPT_ADAM;
    run r = {0};
    r.ntrain = train.n;
    snprintf(r.data_crc, sizeof r.data_crc, "%s", data_crc);
    r.lr = o.lr;
    r.plat = (plateau){o.factor, o.min_lr, o.patience, 0, INFINITY};
    r.es = (early_stop){o.early, 0, INFINITY};
    r.best_metric = INFINITY;
    r.best_params = malloc(n->nparams * sizeof(float));
    r.best_buffers = malloc((n->nbuffers ? n->nbuffers : 1) * sizeof(float));
    size_t *order = malloc(train.n * sizeof *order);
    int32_t *labels = malloc((size_t)o.batch * sizeof *labels);
    float *scratch = malloc(train.elems * sizeof(float));
    if (!decay || optim_init(&opt, kind, n->nparams, decay) < 0 || !r.best_params || !r.best_buffers || !order ||
        !labels || !scratch)
        cli_die("out of memory");
    memcpy(r.best_params, n->params, n->nparams * sizeof(float));
    memcpy(r.best_buffers, n->buffers, n->nbuffers * sizeof(float));
    if (o.resume) {
        const char *t = st.text;
        r.epoch = (int)kv_get_double(t, "epoch", 0);
        r.step = (uint64_t)kv_get_double(t, "step", 0);
        r.lr = (float)kv_get_double(t, "lr", o.lr);
        r.plat.best = kv_get_double(t, "plateau_best", INFINITY);
        r.plat.wait = (int)kv_get_double(t, "plateau_wait", 0);
        r.es.best = kv_get_double(t, "es_best", INFINITY);
        r.es.wait = (int)kv_get_double(t, "es_wait", 0);
        r.best_metric = kv_get_double(t, "best_metric", INFINITY);
        r.best_epoch = (int)kv_get_double(t, "best_epoch", 0);
        r.seconds = kv_get_double(t, "seconds", 0);
        r.stopped = (int)kv_get_double(t, "stopped", 0);
        int saved_threads = (int)kv_get_double(t, "threads", o.threads), saved_batch = (int)kv_get_double(t, "batch", o.batch);
        if (saved_batch != o.batch)
            cli_die("%s: checkpoint was made with --batch %d; resume with the same options", o.ckpt, saved_batch);
        if (saved_threads != o.threads && !o.quiet)
            fprintf(stderr, "train: note: checkpoint used %d threads, now %d: the result will differ slightly\n",
                    saved_threads, o.threads);
        opt.t = r.step;
        if (st.m && st.v) {
            memcpy(opt.m, st.m, n->nparams * sizeof(float));
            memcpy(opt.v, st.v, n->nparams * sizeof(float));
        }
        if (st.best_params)
            memcpy(r.best_params, st.best_params, n->nparams * sizeof(float));
        if (st.best_buffers)
            memcpy(r.best_buffers, st.best_buffers, n->nbuffers * sizeof(float));
        train_state_free(&st);
        if (!o.quiet)
            fprintf(stderr, "train: resuming %s after epoch %d (best epoch %d, val loss %.4f)\n", o.ckpt, r.epoch,
                    r.best_epoch, r.best_metric);
    }

    FILE *logf = NULL;
    if (o.log) {
        logf = strcmp(o.log, "-") == 0 ? stdout : fopen(o.log, o.resume ? "a" : "w");
        if (!logf)
            cli_die("%s: cannot open log: %m", o.log);
        if (!o.resume)
            fprintf(logf, "epoch,lr,loss,acc,val_loss,val_acc,seconds,images_per_s\n");
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    augment aug;
    augment_parse(&aug, o.augment_spec);
    const int tty = isatty(STDERR_FILENO) && !o.quiet;
    const uint64_t steps_per_epoch = (train.n + (size_t)o.batch - 1) / (size_t)o.batch;
    const uint64_t total_steps = steps_per_epoch * (uint64_t)o.epochs;
    if (!o.quiet)
        fprintf(stderr, "train: %zu training images%s%zu validation, %zu parameters, %d threads, %.0f MFLOP/image\n",
                train.n, o.val ? ", " : " (no validation set: best = lowest training loss), ", val.n, n->nparams,
                o.threads, net_flops_per_image(n) / 1e6);
    if (r.stopped && !o.quiet)
        fprintf(stderr, "train: the run stopped early after epoch %d: writing its best model\n", r.epoch);
    while (r.epoch < o.epochs && !r.stopped && !stop_requested) {
        const int ep = r.epoch + 1;
        /* this epoch's order depends on (seed, epoch) only, so a resumed run matches */
        rng sh;
        rng_seed(&sh, rng_hash(o.seed, (uint64_t)ep));
        for (size_t i = 0; i < train.n; i++)
            order[i] = i;
        for (size_t i = train.n - 1; i > 0; i--) {
            size_t j = (size_t)rng_below(&sh, i + 1), t = order[i];
            order[i] = order[j], order[j] = t;
        }
        double t0 = now(), last_draw = 0, loss_sum = 0;
        size_t seen = 0, correct = 0;
        for (size_t b0 = 0; b0 < train.n && !stop_requested; b0 += (size_t)o.batch) {
            int B = (int)(train.n - b0 < (size_t)o.batch ? train.n - b0 : (size_t)o.batch);
            float *x = net_input(w);
            for (int i = 0; i < B; i++) {
                size_t idx = order[b0 + (size_t)i];
                float *img = x + (size_t)i * train.elems;
                get_image(&train, idx, img);
                if (augment_active(&aug))
                    augment_image(img, scratch, train.h, train.w, train.c, &aug,
                                  rng_hash(o.seed ^ 0xa5a5a5a5ULL, (uint64_t)ep * train.n + idx));
                labels[i] = train.y[idx];
            }
            if (strcmp(o.schedule, "cosine") == 0)
                r.lr = lr_cosine(o.lr, r.step, total_steps, (uint64_t)o.warmup * steps_per_epoch, 1e-3f);
            else if (strcmp(o.schedule, "onecycle") == 0)
                r.lr = lr_onecycle(o.lr, r.step, total_steps);
            opt.lr = r.lr;
            const float *p = net_forward(n, w, B, 1, rng_hash(o.seed, r.step));
            double loss = net_backward(n, w, labels, B, o.smoothing);
            if (!isfinite(loss))
                cli_die("epoch %d, step %llu: the loss is not finite (%g): lower --lr?", ep,
                        (unsigned long long)r.step + 1, loss);
            optim_step(&opt, n->params, net_grad(w));
            r.step++;
            for (int i = 0; i < B; i++) { /* training accuracy from the forward pass just made */
                const float *pi = p + (size_t)i * n->nclass;
                int best = 0;
                for (int k = 1; k < n->nclass; k++)
                    best = pi[k] > pi[best] ? k : best;
                correct += best == labels[i];
            }
            loss_sum += loss * B;
            seen += (size_t)B;
            double t = now();
            if (tty && (t - last_draw > 0.25 || seen == train.n)) {
                progress_bar(ep, o.epochs, seen, train.n, loss_sum / (double)seen, (double)correct / (double)seen,
                             (double)seen / (t - t0), t - t0);
                last_draw = t;
            }
        }
        if (stop_requested)
            break; /* a partial epoch is not kept: the checkpoint holds the last whole one */
        double secs = now() - t0;
        r.seconds += secs;
        double tr_loss = loss_sum / (double)seen, tr_acc = (double)correct / (double)seen;
        eval_result v = {tr_loss, tr_acc};
        if (o.val)
            v = evaluate(n, we, &val, 256);
        r.epoch = ep;
        /* lower is better for every figure we monitor */
        double metric = o.monitor_acc ? 1.0 - v.acc : v.loss;
        if (metric < r.best_metric) {
            r.best_metric = metric;
            r.best_epoch = ep;
            memcpy(r.best_params, n->params, n->nparams * sizeof(float));
            memcpy(r.best_buffers, n->buffers, n->nbuffers * sizeof(float));
        }
        float lr_used = r.lr;
        if (strcmp(o.schedule, "plateau") == 0)
            r.lr = plateau_update(&r.plat, metric, r.lr);
        r.stopped = o.early > 0 && early_stop_update(&r.es, metric);
        if (!o.quiet) {
            if (tty)
                fputc('\n', stderr);
            fprintf(stderr, "epoch %d/%d: loss %.4f acc %.4f", ep, o.epochs, tr_loss, tr_acc);
            if (o.val)
                fprintf(stderr, " val_loss %.4f val_acc %.4f", v.loss, v.acc);
            fprintf(stderr, " lr %.2g %.0fs %.0f img/s%s\n", (double)lr_used, secs, (double)seen / secs,
                    r.best_epoch == ep ? " *best" : "");
        }
        if (logf) {
            fprintf(logf, "%d,%.9g,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n", ep, (double)lr_used, tr_loss, tr_acc,
                    o.val ? v.loss : NAN, o.val ? v.acc : NAN, secs, (double)seen / secs);
            if (fflush(logf) != 0) /* a full disk must not pass silently */
                cli_die("%s: write error: %m", o.log);
        }
        /* checkpoint: everything needed to continue exactly from here */
        train_state cs = {{0}, opt.m, opt.v, r.best_params, r.best_buffers};
        state_text(cs.text, sizeof cs.text, &r, &o);
        char meta[2048];
        meta_text(meta, sizeof meta, &r, &o, NULL);
        if (model_save(o.ckpt, n, meta, &cs, &e) < 0)
            cli_die_err(&e);
        if (r.stopped) {
            if (!o.quiet)
                fprintf(stderr, "train: early stop: no val-%s improvement for %d epochs\n",
                        o.monitor_acc ? "acc" : "loss", o.early);
            break;
        }
    }
    /* restore the best epoch's weights and statistics, and write the model */
    memcpy(n->params, r.best_params, n->nparams * sizeof(float));
    memcpy(n->buffers, r.best_buffers, n->nbuffers * sizeof(float));
    char extra[256] = "";
    if (o.val && r.best_epoch > 0) {
        eval_result v = evaluate(n, we, &val, 256);
        snprintf(extra, sizeof extra, "val_acc=%.6f\nval_loss=%.6f\n", v.acc, v.loss);
        if (!o.quiet)
            fprintf(stderr, "train: best epoch %d: val_loss %.4f val_acc %.4f\n", r.best_epoch, v.loss, v.acc);
    }
    char meta[2048];
    meta_text(meta, sizeof meta, &r, &o, extra);
    if (r.best_epoch == 0)
        cli_die("interrupted before the first epoch ended: no model written");
    if (model_save(o.output, n, meta, NULL, &e) < 0)
        cli_die_err(&e);
    if (logf && logf != stdout && fclose(logf) != 0)
        cli_die("%s: write error: %m", o.log);
    /* a signal after the last epoch ended interrupts nothing: the run is complete */
    const int interrupted = stop_requested && r.epoch < o.epochs && !r.stopped;
    if (interrupted) {
        fprintf(stderr, "train: interrupted in epoch %d: best model (epoch %d) written to %s; continue with --resume\n",
                r.epoch + 1, r.best_epoch, o.output);
    } else {
        if (!o.quiet)
            fprintf(stderr, "train: wrote %s (%s, %.0f s of training)\n", o.output,
                    r.stopped ? "early stop" : "all epochs", r.seconds);
        if (!o.keep_ckpt)
            unlink(o.ckpt); /* finished: nothing left to resume */
    }
    free(order), free(labels), free(scratch), free(decay), free(r.best_params), free(r.best_buffers);
    optim_free(&opt);
    net_work_free(w), net_work_free(we);
    dataset_free(&train), dataset_free(&val);
    net_free(n);
    return interrupted ? 130 : 0;
}
