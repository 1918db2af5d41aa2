#include "trainer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic_file.h"
#include "builtin_arch.h"
#include "cli.h"
#include "confidence.h"
#include "rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* v summed over the processes of a data-parallel job (a no-op alone) */
static void sum_parts(const trainer *t, double *v, size_t n)
{
    if (t->c.parts)
        t->c.parts->sum(t->c.parts->ctx, v, n);
}

/* Every process must stop at the same step: a stop asked of any is agreed by all. */
static int stop_agreed(const trainer *t, const trainer_hooks *h, double *also)
{
    double v[2] = {h->stop && *h->stop, also ? *also : 0};
    sum_parts(t, v, 2);
    if (also)
        *also = v[1];
    return v[0] > 0;
}

/* The threads of every process: what the run's result depends on. */
static int all_threads(const trainer *t) { return t->c.threads * (t->c.parts ? t->c.parts->parts : 1); }

/* The directory a file would be created in must take new files (an existing
 * device or FIFO is written in place instead). */
static int check_output(const char *path, err *e)
{
    struct stat st;
    if (!*path)
        return err_set(e, "empty output file name");
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return err_set(e, "%s: is a directory", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return access(path, W_OK) == 0 ? 0 : err_set(e, "%s: cannot write: %s", path, strerror(errno));
    char dir[FM_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (access(dir, W_OK | X_OK) != 0)
        return err_set(e, "%s: cannot write there: %s: %s", path, dir, strerror(errno));
    return 0;
}

int trainer_check_files(const trainer_config *c, const char *train, const char *val, const char *log, err *e)
{
    const char *outs[] = {c->output, c->ckpt, log};
    const char *ins[] = {train ? train : "-", val, builtin_arch_is_name(c->rc.arch) ? NULL : c->rc.arch};
    if (check_not_inputs(outs, 3, ins, 3, e) < 0)
        return -1;
    if (!c->output || (c->parts && c->parts->part)) /* --summary; or not the process that writes */
        return 0;
    return check_output(c->output, e) < 0 || check_output(c->ckpt, e) < 0 ||
                   (log && strcmp(log, "-") != 0 && check_output(log, e) < 0)
               ? -1
               : 0;
}

/* ================================================================ the network */

int trainer_open(trainer *t, const trainer_config *c, err *e)
{
    memset(t, 0, sizeof *t);
    t->c = *c;
    const recipe *rc = &t->c.rc;
    if (c->resume) {
        int has_state = 0;
        if (access(c->ckpt, F_OK) != 0)
            return err_set(e, "%s: no checkpoint to resume from (a finished run removes it unless --keep-checkpoint)",
                           c->ckpt);
        if (!(t->n = model_load(c->ckpt, &t->ckpt_meta, &t->st, &has_state, e)))
            return -1;
        if (!has_state)
            return err_set(e, "%s: not a checkpoint (no training state)", c->ckpt);
        int done = (int)kv_get_double(t->st.text, "epoch", 0);
        if (done > rc->epochs)
            return err_set(e, "%s: the checkpoint has run %d epochs; --epochs %d is fewer (it may only grow)",
                           c->ckpt, done, rc->epochs);
        net_set_conv_algo(t->n, c->conv);
        return 0;
    }
    char *text = recipe_arch_text(rc->arch, e);
    if (!text)
        return -1;
    t->n = net_from_arch(text, rc->arch, e);
    free(text);
    if (!t->n)
        return -1;
    if (t->n->nclass > 65535) /* the stream header's nclass is a u16 */
        return err_set(e, "%s: the network has %d outputs; a prediction stream carries at most 65535 classes",
                       rc->arch, t->n->nclass);
    if (model_file_bound(t->n, 1) >= MODEL_MAX_BYTES)
        return err_set(e, "%s: %zu parameters: the checkpoint would pass the %u MiB a model file may hold", rc->arch,
                       t->n->nparams, MODEL_MAX_BYTES >> 20);
    net_init(t->n, rc->seed);
    net_set_conv_algo(t->n, c->conv);
    return 0;
}

/* ================================================================ data and state */

/* --resume continues the run the checkpoint holds: every setting but --epochs
 * (and --threads, with a note) must be the one it was made with, or the model
 * file would record a recipe it was not trained with. */
static int check_resume(trainer *t, err *e)
{
    const char *saved = t->ckpt_meta ? t->ckpt_meta : "", *ckpt = t->c.ckpt;
    char had[256], want[256];
    /* an arch file gone since the run began: the checkpoint holds the network anyway */
    char *now_text = recipe_arch_text(t->c.rc.arch, e), note[600];
    snprintf(note, sizeof note, "%s; resuming with the checkpoint's network", e->msg);
    if (!now_text && t->c.note)
        t->c.note(note);
    int same = !now_text || recipe_same_layers(t->n->arch, now_text);
    free(now_text);
    if (recipe_check(&t->c.rc, saved, ckpt, e) < 0)
        return -1;
    if (kv_get(saved, "train_images", had, sizeof had) && strtoull(had, NULL, 10) != t->train.n)
        return err_set(e, "%s: the checkpoint was made on %s training images, not %zu; resume with the same data",
                       ckpt, had, t->train.n);
    static const char *const sets[][2] = {{"train_crc32", "training"}, {"val_crc32", "validation"}};
    for (size_t i = 0; i < 2; i++)
        if (kv_get(saved, sets[i][0], had, sizeof had) && kv_get(t->data_crc, sets[i][0], want, sizeof want) &&
            strcmp(had, want) != 0)
            return err_set(e, "%s: the checkpoint was made on other %s data (%s %s, this data %s); resume with the "
                              "same data",
                           ckpt, sets[i][1], sets[i][0], had, want);
    if (!same)
        return err_set(e, "%s: the checkpoint's network is not the one -a %s describes; resume with the same options%s",
                       ckpt, t->c.rc.arch, recipe_hint(saved));
    return 0;
}

/* The run's counters and the optimiser's moments, as the checkpoint left them. */
static int restore_state(trainer *t, err *e)
{
    const char *s = t->st.text;
    const network *n = t->n;
    t->epoch = (int)kv_get_double(s, "epoch", 0);
    t->step = (uint64_t)kv_get_double(s, "step", 0);
    t->lr = (float)kv_get_double(s, "lr", t->c.rc.lr);
    t->plat.best = kv_get_double(s, "plateau_best", INFINITY);
    t->plat.wait = (int)kv_get_double(s, "plateau_wait", 0);
    t->es.best = kv_get_double(s, "es_best", INFINITY);
    t->es.wait = (int)kv_get_double(s, "es_wait", 0);
    t->best_metric = kv_get_double(s, "best_metric", INFINITY);
    t->best_epoch = (int)kv_get_double(s, "best_epoch", 0);
    t->seconds = kv_get_double(s, "seconds", 0);
    t->stopped = (int)kv_get_double(s, "stopped", 0);
    int threads = (int)kv_get_double(s, "threads", all_threads(t)), batch = (int)kv_get_double(s, "batch", t->c.rc.batch);
    if (batch != t->c.rc.batch)
        return err_set(e, "%s: checkpoint was made with --batch %d; resume with the same options", t->c.ckpt, batch);
    char note[128];
    snprintf(note, sizeof note, "checkpoint used %d threads, now %d: the result will differ slightly", threads,
             all_threads(t));
    if (threads != all_threads(t) && t->c.note)
        t->c.note(note);
    t->opt.t = t->step;
    if (t->st.m && t->st.v) {
        memcpy(t->opt.m, t->st.m, n->nparams * sizeof(float));
        memcpy(t->opt.v, t->st.v, n->nparams * sizeof(float));
    }
    if (t->st.best_params)
        memcpy(t->best_params, t->st.best_params, n->nparams * sizeof(float));
    if (t->st.best_buffers)
        memcpy(t->best_buffers, t->st.best_buffers, n->nbuffers * sizeof(float));
    train_state_free(&t->st);
    return 0;
}

int trainer_start(trainer *t, const char *train, const char *val, err *e)
{
    network *n = t->n;
    const recipe *rc = &t->c.rc;
    t->has_val = val != NULL;
    if (dataset_load(&t->train, train, n, e) < 0 || (val && dataset_load(&t->val, val, n, e) < 0))
        return -1;
    char v[16] = "none";
    if (val)
        snprintf(v, sizeof v, "%08x", (unsigned)t->val.crc);
    snprintf(t->data_crc, sizeof t->data_crc, "train_crc32=%08x\nval_crc32=%s\n", (unsigned)t->train.crc, v);
    if (rc->unit_norm && !t->c.resume)
        n->norm_mean = 0, n->norm_std = 255;
    else if (!t->c.resume && dataset_moments(&t->train, &n->norm_mean, &n->norm_std, e) < 0)
        return err_prefix(e, "%s", cli_name(train));
    if (t->c.resume && check_resume(t, e) < 0)
        return -1;
    int lo, rows; /* this process's rows of a batch */
    net_parts_rows(t->c.parts, rc->batch, &lo, &rows);
    rows = rows - lo > 0 ? rows - lo : 1; /* a batch smaller than the processes leaves some none */
    if (!(t->w = net_work_new(n, rows, t->c.threads, 1, e)) || !(t->we = net_work_new(n, 256, t->c.threads, 0, e)))
        return -1;
    if (t->c.parts)
        net_work_set_parts(t->w, n, t->c.parts, rc->batch);
    t->decay = calloc(n->nparams, 1);
    for (int i = 0; t->decay && i < n->nlayers; i++)
        if (n->layers[i].kind == LK_CONV || n->layers[i].kind == LK_DENSE)
            memset(t->decay + n->layers[i].w_off, 1, n->layers[i].nw);
    t->opt.weight_decay = rc->wd;
    t->opt.momentum = rc->momentum;
    t->lr = rc->lr;
    t->plat = (plateau){rc->factor, rc->min_lr, rc->patience, 0, INFINITY};
    t->es = (early_stop){rc->early, 0, INFINITY};
    t->best_metric = INFINITY;
    t->best_params = malloc(n->nparams * sizeof(float));
    t->best_buffers = malloc((n->nbuffers ? n->nbuffers : 1) * sizeof(float));
    t->order = malloc(t->train.n * sizeof *t->order);
    t->labels = malloc((size_t)rows * sizeof *t->labels);
    t->scratch = malloc(t->train.elems * sizeof(float));
    if (!t->decay || optim_init(&t->opt, rc->optimizer, n->nparams, t->decay) < 0 || !t->best_params ||
        !t->best_buffers || !t->order || !t->labels || !t->scratch)
        return err_set(e, "out of memory");
    memcpy(t->best_params, n->params, n->nparams * sizeof(float));
    memcpy(t->best_buffers, n->buffers, n->nbuffers * sizeof(float));
    augment_parse(&t->aug, rc->augment);
    return t->c.resume ? restore_state(t, e) : 0;
}

/* ================================================================ epochs */

/* Mean loss (probabilities clipped as Keras does) and accuracy over d. */
static void evaluate(trainer *t, const dataset *d, double *loss_out, double *acc_out)
{
    const int bmax = 256, K = t->n->nclass;
    size_t correct = 0;
    double loss = 0;
    for (size_t b0 = 0; b0 < d->n; b0 += (size_t)bmax) {
        int B = (int)(d->n - b0 < (size_t)bmax ? d->n - b0 : (size_t)bmax);
        float *x = net_input(t->we);
        for (int i = 0; i < B; i++)
            dataset_image(d, b0 + (size_t)i, x + (size_t)i * d->elems);
        const float *p = net_forward(t->n, t->we, B, 0, 0);
        for (int i = 0; i < B; i++) {
            const float *pi = p + (size_t)i * K;
            correct += conf_argmax(pi, K) == d->y[b0 + (size_t)i];
            float py = pi[d->y[b0 + (size_t)i]];
            loss -= log(py > 1e-7f ? py : 1e-7f);
        }
    }
    *loss_out = loss / (double)d->n;
    *acc_out = (double)correct / (double)d->n;
}

int trainer_epoch(trainer *t, const trainer_hooks *h, trainer_report *r, err *e)
{
    const recipe *rc = &t->c.rc;
    const dataset *d = &t->train;
    network *n = t->n;
    if (t->epoch >= rc->epochs || t->stopped || stop_agreed(t, h, NULL))
        return 0;
    const int ep = t->epoch + 1;
    const uint64_t per_epoch = (d->n + (size_t)rc->batch - 1) / (size_t)rc->batch;
    /* this epoch's order depends on (seed, epoch) only, so a resumed run matches */
    rng sh;
    rng_seed(&sh, rng_hash(rc->seed, (uint64_t)ep));
    for (size_t i = 0; i < d->n; i++)
        t->order[i] = i;
    for (size_t i = d->n - 1; i > 0; i--) {
        size_t j = (size_t)rng_below(&sh, i + 1), tmp = t->order[i];
        t->order[i] = t->order[j], t->order[j] = tmp;
    }
    double t0 = now(), loss_sum = 0, correct = 0;
    size_t seen = 0;
    int stop = 0;
    for (size_t b0 = 0; b0 < d->n && !stop; b0 += (size_t)rc->batch) {
        int B = (int)(d->n - b0 < (size_t)rc->batch ? d->n - b0 : (size_t)rc->batch), lo, hi;
        net_parts_rows(t->c.parts, B, &lo, &hi); /* this process's rows of the batch */
        float *x = net_input(t->w);
        for (int i = 0; i < hi - lo; i++) {
            size_t idx = t->order[b0 + (size_t)(lo + i)];
            float *img = x + (size_t)i * d->elems;
            dataset_image(d, idx, img);
            if (augment_active(&t->aug))
                augment_image(img, t->scratch, d->h, d->w, d->c, &t->aug,
                              rng_hash(rc->seed ^ 0xa5a5a5a5ULL, (uint64_t)ep * d->n + idx));
            t->labels[i] = d->y[idx];
        }
        t->lr = lr_schedule_at(rc->schedule, rc->lr, t->lr, t->step, per_epoch * (uint64_t)rc->epochs,
                               (uint64_t)rc->warmup * per_epoch);
        t->opt.lr = t->lr;
        const float *p = net_forward(n, t->w, B, 1, rng_hash(rc->seed, t->step));
        double loss = net_backward(n, t->w, t->labels, B, rc->smoothing);
        if (!isfinite(loss))
            return err_set(e, "epoch %d, step %llu: the loss is not finite (%g): lower --lr?", ep,
                           (unsigned long long)t->step + 1, loss);
        optim_step(&t->opt, n->params, net_grad(t->w));
        t->step++;
        double right = 0; /* training accuracy from the forward pass just made */
        for (int i = 0; i < hi - lo; i++)
            right += conf_argmax(p + (size_t)i * n->nclass, n->nclass) == t->labels[i];
        stop = stop_agreed(t, h, &right);
        correct += right;
        loss_sum += loss * B;
        seen += (size_t)B;
        if (h->progress)
            h->progress(h->ctx, ep, seen, d->n, loss_sum / (double)seen, correct / (double)seen, now() - t0);
    }
    if (stop)
        return 0; /* a partial epoch is not kept: the checkpoint holds the last whole one */
    *r = (trainer_report){.epoch = ep, .lr = t->lr, .seconds = now() - t0, .images = seen};
    t->seconds += r->seconds;
    r->loss = r->val_loss = loss_sum / (double)seen;
    r->acc = r->val_acc = correct / (double)seen;
    if (t->has_val)
        evaluate(t, &t->val, &r->val_loss, &r->val_acc);
    t->epoch = ep;
    /* lower is better for every figure we monitor */
    double metric = rc->monitor_acc ? 1.0 - r->val_acc : r->val_loss;
    if ((r->best = metric < t->best_metric)) {
        t->best_metric = metric;
        t->best_epoch = ep;
        memcpy(t->best_params, n->params, n->nparams * sizeof(float));
        memcpy(t->best_buffers, n->buffers, n->nbuffers * sizeof(float));
    }
    if (rc->schedule == SCHED_PLATEAU)
        t->lr = plateau_update(&t->plat, metric, t->lr);
    t->stopped = rc->early > 0 && early_stop_update(&t->es, metric);
    return 1;
}

/* ================================================================ files */

static void meta_text(char *buf, size_t len, const trainer *t, const char *extra)
{
    char rc[1024];
    recipe_text(rc, sizeof rc, &t->c.rc);
    snprintf(buf, len,
             "trained_by=train " FM_VERSION "\npreset=%s\narch_file=%s\nepochs=%d\nepochs_run=%d\nbest_epoch=%d\n"
             "best_metric=%.6f\n%sthreads=%d\ntrain_images=%zu\n%strain_seconds=%.1f\n%s",
             t->c.rc.preset, t->c.rc.arch, t->c.rc.epochs, t->epoch, t->best_epoch, t->best_metric, rc,
             all_threads(t), t->train.n, t->data_crc, t->seconds, extra);
}

int trainer_checkpoint(trainer *t, err *e)
{
    train_state cs = {{0}, t->opt.m, t->opt.v, t->best_params, t->best_buffers};
    snprintf(cs.text, sizeof cs.text,
             "epoch=%d\nstep=%llu\nlr=%.9g\nplateau_best=%.17g\nplateau_wait=%d\nes_best=%.17g\nes_wait=%d\n"
             "best_metric=%.17g\nbest_epoch=%d\nseconds=%.3f\nseed=%llu\nthreads=%d\nbatch=%d\nstopped=%d\n",
             t->epoch, (unsigned long long)t->step, (double)t->lr, t->plat.best, t->plat.wait, t->es.best,
             t->es.wait, t->best_metric, t->best_epoch, t->seconds, (unsigned long long)t->c.rc.seed, all_threads(t),
             t->c.rc.batch, t->stopped);
    char meta[2048];
    meta_text(meta, sizeof meta, t, "");
    return t->c.parts && t->c.parts->part ? 0 : model_save(t->c.ckpt, t->n, meta, &cs, e); /* one writer */
}

int trainer_restore_best(trainer *t)
{
    memcpy(t->n->params, t->best_params, t->n->nparams * sizeof(float));
    memcpy(t->n->buffers, t->best_buffers, t->n->nbuffers * sizeof(float));
    if (!t->has_val || t->best_epoch == 0)
        return 0;
    evaluate(t, &t->val, &t->val_loss, &t->val_acc);
    return 1;
}

int trainer_save(trainer *t, err *e)
{
    char extra[256] = "", meta[2048];
    if (t->has_val && t->best_epoch > 0) /* the figures of the weights restored */
        snprintf(extra, sizeof extra, "val_acc=%.6f\nval_loss=%.6f\n", t->val_acc, t->val_loss);
    meta_text(meta, sizeof meta, t, extra);
    if (t->best_epoch == 0)
        return err_set(e, "interrupted before the first epoch ended: no model written");
    return t->c.parts && t->c.parts->part ? 0 : model_save(t->c.output, t->n, meta, NULL, e);
}

void trainer_free(trainer *t)
{
    free(t->order), free(t->labels), free(t->scratch), free(t->decay), free(t->best_params), free(t->best_buffers);
    free(t->ckpt_meta);
    train_state_free(&t->st);
    optim_free(&t->opt);
    net_work_free(t->w), net_work_free(t->we);
    dataset_free(&t->train), dataset_free(&t->val);
    net_free(t->n);
}
