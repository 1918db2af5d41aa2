#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const optim_names[] = {"adam", "adamw", "sgd"};
static const char *const schedule_names[] = {"plateau", "cosine", "onecycle", "constant"};

static int name_index(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

int optim_kind_parse(const char *name) { return name_index(optim_names, 3, name); }
const char *optim_kind_name(optim_kind k) { return optim_names[k]; }
int lr_schedule_parse(const char *name) { return name_index(schedule_names, 4, name); }
const char *lr_schedule_name(lr_schedule s) { return schedule_names[s]; }

int optim_init(optim *o, optim_kind kind, size_t n, const uint8_t *decay)
{
    o->kind = kind;
    o->n = n;
    o->t = 0;
    o->decay = decay;
    if (o->beta1 == 0)
        o->beta1 = 0.9f;
    if (o->beta2 == 0)
        o->beta2 = 0.999f;
    if (o->eps == 0)
        o->eps = 1e-7f; /* Keras' Adam epsilon */
    o->m = calloc(n ? n : 1, sizeof(float));
    o->v = calloc(n ? n : 1, sizeof(float));
    return o->m && o->v ? 0 : -1;
}

void optim_free(optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

void optim_step(optim *o, float *params, const float *grad)
{
    o->t++;
    const float lr = o->lr, wd = o->weight_decay;
    if (o->kind == OPT_SGD) {
        for (size_t i = 0; i < o->n; i++) {
            float g = grad[i] + (o->decay && o->decay[i] ? wd * params[i] : 0.0f);
            o->m[i] = o->momentum * o->m[i] + g;
            params[i] -= lr * o->m[i];
        }
        return;
    }
    const float b1 = o->beta1, b2 = o->beta2;
    /* bias corrections folded into the step size, as Keras and PyTorch do */
    const double c1 = 1.0 - pow(b1, (double)o->t), c2 = 1.0 - pow(b2, (double)o->t);
    const float step = (float)(lr * sqrt(c2) / c1), eps_hat = (float)(o->eps * sqrt(c2));
    const int decoupled = o->kind == OPT_ADAMW && wd > 0;
    for (size_t i = 0; i < o->n; i++) {
        float g = grad[i];
        o->m[i] = b1 * o->m[i] + (1 - b1) * g;
        o->v[i] = b2 * o->v[i] + (1 - b2) * g * g;
        if (decoupled && o->decay && o->decay[i])
            params[i] -= lr * wd * params[i];
        params[i] -= step * o->m[i] / (sqrtf(o->v[i]) + eps_hat);
    }
}

float lr_cosine(float base, uint64_t step, uint64_t total, uint64_t warmup, float floor_frac)
{
    if (step < warmup)
        return base * (float)(step + 1) / (float)warmup;
    if (total <= warmup)
        return base;
    double x = (double)(step - warmup) / (double)(total - warmup);
    if (x > 1)
        x = 1;
    double lo = base * floor_frac;
    return (float)(lo + (base - lo) * 0.5 * (1 + cos(M_PI * x)));
}

float lr_onecycle(float base, uint64_t step, uint64_t total)
{
    uint64_t up = total * 3 / 10;
    if (step < up) /* from base/25 up to base */
        return base / 25 + (base - base / 25) * (float)step / (float)(up ? up : 1);
    return lr_cosine(base, step - up, total - up, 0, 1e-4f);
}

float lr_schedule_at(lr_schedule s, float base, float lr, uint64_t step, uint64_t total, uint64_t warmup)
{
    if (s == SCHED_COSINE)
        return lr_cosine(base, step, total, warmup, 1e-3f);
    return s == SCHED_ONECYCLE ? lr_onecycle(base, step, total) : lr;
}

float plateau_update(plateau *p, double metric, float lr)
{
    if (metric < p->best - 1e-4) {
        p->best = metric;
        p->wait = 0;
        return lr;
    }
    if (++p->wait >= p->patience) {
        p->wait = 0;
        float nl = lr * p->factor;
        nl = nl < p->min_lr ? p->min_lr : nl;
        return nl < lr ? nl : lr; /* reduces only: a min_lr above lr leaves lr alone (as Keras does) */
    }
    return lr;
}

int early_stop_update(early_stop *s, double metric)
{
    if (metric < s->best) {
        s->best = metric;
        s->wait = 0;
        return 0;
    }
    return ++s->wait >= s->patience;
}
