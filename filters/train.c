/* train - train a network on a labelled tensor stream; write a model file. The loop, checkpoints
 * and recipes are lib/trainer.h's; this is the command line: options, progress, the log, signals. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collective.h"
#include "trainer.h"

static const char usage[] =
    "Usage: train [OPTION]... -o MODEL [FILE]\n"
    "Train a network on a labelled image tensor stream (FILE or stdin) and write MODEL.\n"
    "\n"
    "  -p, --preset NAME       a named network and recipe (below) [default]; any option\n"
    "                          given as well overrides the preset's, whatever the order\n"
    "Data and network:\n"
    "  -a, --arch NAME|FILE    an .arch file, or a built-in one: %s\n"
    "      --val FILE          validation stream: decides the best epoch and the schedule\n"
    "      --normalise MODE    unit: x/255 (the study) | standard: (x-mean)/std of the data\n"
    "      --summary           print the model summary (like Keras) and exit\n"
    "      --conv ALGO         im2col | winograd | auto: Winograd where the layer's shape pays [auto]\n"
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

typedef struct options {
    trainer_config c; /* the recipe, the files and threads */
    const char *input, *val, *log;
    int quiet, summary, keep_ckpt; /* quiet 2: another process of the job reports */
} options;

__attribute__((noreturn)) static void print_help(void)
{
    char archs[256], list[2048];
    recipe_arch_names(archs, sizeof archs);
    recipe_preset_list(list, sizeof list);
    printf(usage, archs, list);
    exit(0);
}

/* an enum's value by name, or a usage error listing the names */
static int parse_name(int (*parse)(const char *), const char *opt, const char *names, const char *arg)
{
    int v = parse(arg);
    if (v < 0)
        cli_usage_error("%s: expected %s, got '%s'", opt, names, arg);
    return v;
}
static int norm_parse(const char *s) { return strcmp(s, "unit") == 0 ? 1 : strcmp(s, "standard") == 0 ? 0 : -1; }
static int monitor_parse(const char *s) { return strcmp(s, "acc") == 0 ? 1 : strcmp(s, "loss") == 0 ? 0 : -1; }
static int preset_parse(const char *s) { return recipe_preset_find(s) ? 0 : -1; }

/* One getopt pass over argv into *o; returns the index of the first operand. */
static int read_options(options *o, int argc, char **argv)
{
    enum { O_VAL = 256, O_NORM, O_SUMMARY, O_LR, O_OPT, O_WD, O_MOM, O_SCHED, O_WARM, O_PAT, O_FACTOR, O_MINLR,
           O_EARLY, O_SMOOTH, O_AUG, O_LOG, O_CKPT, O_RESUME, O_KEEP, O_MONITOR, O_CONV };
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
        {"conv", required_argument, 0, O_CONV},    {0, 0, 0, 0},
    };
    recipe *r = &o->c.rc;
    augment a;
    err ce;
    static char aug[64]; /* one spelling per augmentation, so that the model records it and --resume compares it */
    optind = 0; /* glibc: start afresh (this is called once per source of options) */
    int ch;
    while ((ch = getopt_long(argc, argv, "p:a:e:b:s:j:o:qhV", longs, NULL)) != -1) {
        switch (ch) {
        case 'p': parse_name(preset_parse, "--preset", "default, long or study", optarg), r->preset = optarg; break;
        case 'a': r->arch = optarg; break;
        case O_VAL: o->val = optarg; break;
        case O_NORM: r->unit_norm = parse_name(norm_parse, "--normalise", "unit or standard", optarg); break;
        case O_SUMMARY: o->summary = 1; break;
        case 'e': r->epochs = (int)cli_long("--epochs", optarg, 1, 100000); break;
        case 'b': r->batch = (int)cli_long("--batch", optarg, 1, 65536); break;
        case O_LR: r->lr = (float)cli_double("--lr", optarg, 1e-12, 10); break;
        case O_OPT: r->optimizer = parse_name(optim_kind_parse, "--optimizer", "adam, adamw or sgd", optarg); break;
        case O_WD: r->wd = (float)cli_double("--weight-decay", optarg, 0, 1); break;
        case O_MOM: r->momentum = (float)cli_double("--momentum", optarg, 0, 0.9999); break;
        case O_SCHED:
            r->schedule = parse_name(lr_schedule_parse, "--schedule", "plateau, cosine, onecycle or constant", optarg);
            break;
        case O_WARM: r->warmup = (int)cli_long("--warmup", optarg, 0, 1000); break;
        case O_PAT: r->patience = (int)cli_long("--patience", optarg, 1, 1000); break;
        case O_FACTOR: r->factor = (float)cli_double("--factor", optarg, 1e-6, 1); break;
        case O_MINLR: r->min_lr = (float)cli_double("--min-lr", optarg, 0, 10); break;
        case O_EARLY: r->early = (int)cli_long("--early-stop", optarg, 0, 100000); break;
        case O_SMOOTH: r->smoothing = (float)cli_double("--smoothing", optarg, 0, 0.99); break;
        case O_AUG:
            if (augment_parse(&a, optarg) < 0)
                cli_usage_error("--augment: bad spec '%s' (e.g. shift=2,flip,erase=0.5 or none)", optarg);
            augment_format(&a, aug, sizeof aug);
            r->augment = aug;
            break;
        case 's': r->seed = (uint64_t)cli_long("--seed", optarg, 0, 0x7fffffffffffffffL); break;
        case 'j': o->c.threads = (int)cli_long("--threads", optarg, 1, 256); break;
        case O_LOG: o->log = optarg; break;
        case O_CKPT: o->c.ckpt = optarg; break;
        case O_RESUME: o->c.resume = 1; break;
        case O_KEEP: o->keep_ckpt = 1; break;
        case O_MONITOR: r->monitor_acc = parse_name(monitor_parse, "--monitor", "loss or acc", optarg); break;
        case O_CONV: conv_algo_parse(optarg, &o->c.conv, &ce) < 0 ? cli_usage_error("--conv: %s", ce.msg) : (void)0; break;
        case 'o': o->c.output = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': print_help();
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    return optind;
}

static void note(const char *msg) { fprintf(stderr, "train: note: %s\n", msg); }

static options parse_command_line(int argc, char **argv)
{
    /* what neither the preset nor the command line sets (every preset sets the rest) */
    const options base = {.c.rc = {.preset = "default", .augment = "none", .optimizer = OPT_ADAM,
                                   .schedule = SCHED_PLATEAU, .epochs = 30, .batch = 64, .patience = 3, .early = 4,
                                   .lr = 1e-3f, .factor = 0.1f, .min_lr = 1e-8f, .momentum = 0.9f, .seed = 1}};
    /* first pass: which preset (and any usage error, reported once) */
    options o = base;
    read_options(&o, argc, argv);
    /* second pass: the preset's options, then the command line's over them
     * (text is static: the options keep pointers into it) */
    static char text[1024], ckpt[FM_PATH_MAX];
    char *pargv[64] = {argv[0]};
    int pargc = 1;
    snprintf(text, sizeof text, "%s", recipe_preset_find(o.c.rc.preset)->options);
    for (char *tok = strtok(text, " "); tok && pargc < 63; tok = strtok(NULL, " "))
        pargv[pargc++] = tok;
    const char *preset_name = o.c.rc.preset;
    o = base;
    read_options(&o, pargc, pargv);
    o.c.rc.preset = preset_name;
    int first = read_options(&o, argc, argv);
    if (argc - first > 1)
        cli_usage_error("too many arguments (one input stream at most)");
    o.input = first < argc ? argv[first] : NULL;
    if (!o.c.output && !o.summary)
        cli_usage_error("missing -o MODEL");
    if (o.c.output && strcmp(o.c.output, "-") == 0)
        cli_usage_error("-o: the model needs a file name (its checkpoint is written beside it)");
    if (o.c.ckpt && strcmp(o.c.ckpt, "-") == 0)
        cli_usage_error("--checkpoint: give a file name (a checkpoint is read back by --resume)");
    if (o.c.resume && !o.c.output && !o.c.ckpt)
        cli_usage_error("--resume needs -o MODEL (its checkpoint is MODEL.ckpt) or --checkpoint FILE");
    if (o.val && strcmp(o.val, "-") == 0 && (!o.input || strcmp(o.input, "-") == 0))
        cli_usage_error("--val - and the training data cannot both be stdin");
    o.c.threads = o.c.threads ? o.c.threads : net_default_threads();
    if (!o.c.ckpt && o.c.output)
        o.c.ckpt = (snprintf(ckpt, sizeof ckpt, "%s.ckpt", o.c.output), ckpt);
    o.c.note = o.quiet ? NULL : note;
    return o;
}

/* One process of a data-parallel job under mpirun (make MPI=1, docs/mpi.md): every process
 * reads the same files; process 0 alone reports, logs and writes. */
static void join_job(options *o, int *argc, char ***argv)
{
    err e;
    if (collective_init(argc, argv, &o->c.parts, &e) < 0)
        cli_die_err(&e);
    const net_parts *p = o->c.parts;
    static char name[64]; /* the others' errors say which process had them */
    if (p && p->part) /* process 0 reports (even with -q), logs and writes */
        o->quiet = 2, o->log = NULL, o->keep_ckpt = 1, o->c.note = NULL, o->summary = o->summary ? -1 : 0,
        cli_prog = (snprintf(name, sizeof name, "%s (process %d)", cli_prog, p->part), name);
    if (p && !o->summary && (!o->input || !strcmp(o->input, "-") || (o->val && !strcmp(o->val, "-"))))
        cli_usage_error("under mpirun every process reads the data: give files, not stdin");
}

/* ================================================================ progress and the log */

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { stop_requested = sig; }

static int tty, bar_epoch; /* stderr is a terminal (and not --quiet); the epoch on the bar */
static double bar_drawn;    /* seconds into the epoch when the bar was last drawn */

static void progress_bar(void *ctx, int epoch, size_t done, size_t total, double loss, double acc, double elapsed)
{
    if (epoch != bar_epoch)
        bar_epoch = epoch, bar_drawn = 0;
    if (!tty || (elapsed - bar_drawn <= 0.25 && done != total))
        return;
    bar_drawn = elapsed;
    static const char full[] = "========================", empty[] = "                        ";
    const int width = 24, fill = (int)((double)done / (double)total * width);
    double rate = (double)done / elapsed, eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\repoch %d/%d [%.*s%s%.*s] %zu/%zu loss %.4f acc %.4f %.0f img/s %ds ETA %ds ", epoch,
            ((const options *)ctx)->c.rc.epochs, fill, full, fill < width ? ">" : "", fill < width ? width - 1 - fill : 0,
            empty, done, total, loss, acc, rate, (int)elapsed, (int)eta);
    fflush(stderr);
}

static FILE *open_log(const options *o)
{
    if (!o->log)
        return NULL;
    FILE *f = strcmp(o->log, "-") == 0 ? stdout : fopen(o->log, o->c.resume ? "a" : "w");
    if (!f)
        cli_die("%s: cannot open log: %m", o->log);
    if (!o->c.resume)
        fprintf(f, "epoch,lr,loss,acc,val_loss,val_acc,seconds,images_per_s\n");
    return f;
}

static void report_epoch(const options *o, const trainer_report *r, FILE *log)
{
    double rate = (double)r->images / r->seconds;
    if (!o->quiet) {
        if (tty)
            fputc('\n', stderr);
        fprintf(stderr, "epoch %d/%d: loss %.4f acc %.4f", r->epoch, o->c.rc.epochs, r->loss, r->acc);
        if (o->val)
            fprintf(stderr, " val_loss %.4f val_acc %.4f", r->val_loss, r->val_acc);
        fprintf(stderr, " lr %.2g %.0fs %.0f img/s%s\n", (double)r->lr, r->seconds, rate, r->best ? " *best" : "");
    }
    if (log) {
        fprintf(log, "%d,%.9g,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f\n", r->epoch, (double)r->lr, r->loss, r->acc,
                o->val ? r->val_loss : NAN, o->val ? r->val_acc : NAN, r->seconds, rate);
        if (fflush(log) != 0) /* a full disk must not pass silently */
            cli_die("%s: write error: %m", o->log);
    }
}

/* ================================================================ main */

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    join_job(&o, &argc, &argv);
    err e;
    trainer t;
    if (trainer_check_files(&o.c, o.input, o.val, o.log, &e) < 0 || trainer_open(&t, &o.c, &e) < 0)
        cli_die_err(&e);
    if (o.summary) {
        if (o.summary > 0)
            net_summary(t.n, stdout);
        trainer_free(&t);
        collective_end();
        return 0;
    }
    if (trainer_start(&t, o.input, o.val, &e) < 0 || collective_reserve(t.n->nparams, &e) < 0)
        cli_die_err(&e);
    const uint64_t step0 = t.step;
    if (o.c.resume && !o.quiet)
        fprintf(stderr, "train: resuming %s after epoch %d (best epoch %d, val loss %.4f)\n", o.c.ckpt, t.epoch,
                t.best_epoch, t.best_metric);
    FILE *log = open_log(&o);
    struct sigaction sa = {.sa_handler = on_stop};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (!o.quiet)
        fprintf(stderr, "train: %zu training images%s%zu validation, %zu parameters, %d threads, %.0f MFLOP/image\n",
                t.train.n, o.val ? ", " : " (no validation set: best = lowest training loss), ", t.val.n,
                t.n->nparams, o.c.threads * (o.c.parts ? o.c.parts->parts : 1), net_flops_per_image(t.n) / 1e6);
    if (t.stopped && !o.quiet)
        fprintf(stderr, "train: the run stopped early after epoch %d: writing its best model\n", t.epoch);
    tty = isatty(STDERR_FILENO) && !o.quiet;
    const trainer_hooks hooks = {progress_bar, &o, &stop_requested};
    trainer_report r;
    int more;
    while ((more = trainer_epoch(&t, &hooks, &r, &e)) > 0) {
        report_epoch(&o, &r, log);
        if (trainer_checkpoint(&t, &e) < 0)
            cli_die_err(&e);
        if (t.stopped && !o.quiet)
            fprintf(stderr, "train: early stop: no val-%s improvement for %d epochs\n",
                    o.c.rc.monitor_acc ? "acc" : "loss", o.c.rc.early);
    }
    if (more < 0)
        cli_die_err(&e);
    if (trainer_restore_best(&t) && !o.quiet)
        fprintf(stderr, "train: best epoch %d: val_loss %.4f val_acc %.4f\n", t.best_epoch, t.val_loss, t.val_acc);
    if (trainer_save(&t, &e) < 0)
        cli_die_err(&e);
    if (log && log != stdout && fclose(log) != 0)
        cli_die("%s: write error: %m", o.log);
    /* a signal after the last epoch ended interrupts nothing: the run is complete */
    const int interrupted = stop_requested && t.epoch < o.c.rc.epochs && !t.stopped;
    if (interrupted && o.quiet < 2)
        fprintf(stderr, "train: interrupted in epoch %d: best model (epoch %d) written to %s; continue with --resume\n",
                t.epoch + 1, t.best_epoch, o.c.output);
    else if (!o.quiet)
        fprintf(stderr, "train: wrote %s (%s, %.0f s of training)\n", o.c.output,
                t.stopped ? "early stop" : "all epochs", t.seconds);
    if (!interrupted && !o.keep_ckpt)
        unlink(o.c.ckpt); /* finished: nothing left to resume */
    if (o.c.parts && !o.quiet && t.step > step0)
        fprintf(stderr, "train: %d processes: %.0f bytes summed across them per batch\n", o.c.parts->parts,
                (double)collective_bytes() / (double)(t.step - step0));
    collective_end();
    trainer_free(&t);
    return interrupted ? 130 : 0;
}
