#include "recipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "builtin_arch.h"
#include "model_file.h"

const recipe_preset recipe_presets[] = {
    {"default",
     "-a default --normalise standard --epochs 18 --batch 128 --lr 0.002 --optimizer adamw --weight-decay 0.02 "
     "--schedule onecycle --smoothing 0.1 --augment shift=1,flip --early-stop 0",
     "chosen for accuracy per minute of training: 18 epochs at 44 MFLOP per image"},
    {"long",
     "-a wide --normalise standard --epochs 40 --batch 128 --lr 0.002 --optimizer adamw --weight-decay 0.05 "
     "--schedule onecycle --smoothing 0.1 --augment shift=1,flip,erase=0.25 --early-stop 0",
     "the narrow network 1.5 times as wide, random erasing: 40 epochs at 99 MFLOP per image"},
    {"study",
     "-a study --normalise unit --epochs 30 --batch 64 --lr 0.001 --optimizer adam --weight-decay 0 "
     "--schedule plateau --factor 0.1 --patience 3 --min-lr 1e-8 --early-stop 4 --smoothing 0 --augment none",
     "the Keras study's network and recipe"},
    {0, 0, 0},
};

const recipe_preset *recipe_preset_find(const char *name)
{
    for (const recipe_preset *p = recipe_presets; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

void recipe_preset_list(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const recipe_preset *pr = recipe_presets; pr->name && at < len; pr++) {
        at += (size_t)snprintf(buf + at, len - at, "  %-8s %s:\n", pr->name, pr->what);
        /* the options, 11 columns in, each line cut before an option name so that it ends by column 80 */
        const int room = 80 - 11;
        for (const char *p = pr->options; *p && at < len;) {
            size_t n = strlen(p);
            const char *cut = NULL;
            for (const char *c = strstr(p, " -"); n > (size_t)room && c && c - p <= room; c = strstr(c + 1, " -"))
                cut = c;
            if (cut)
                n = (size_t)(cut - p);
            at += (size_t)snprintf(buf + at, len - at, "           %.*s\n", (int)n, p);
            p += n + (p[n] == ' ');
        }
    }
}

void recipe_text(char *buf, size_t len, const recipe *r)
{
    snprintf(buf, len,
             "normalise=%s\noptimizer=%s\nlr=%g\nweight_decay=%g\nmomentum=%g\nbatch=%d\nschedule=%s\n"
             "warmup=%d\npatience=%d\nfactor=%g\nmin_lr=%g\nearly_stop=%d\nmonitor=%s\naugment=%s\n"
             "smoothing=%g\nseed=%llu\n",
             r->unit_norm ? "unit" : "standard", optim_kind_name(r->optimizer), (double)r->lr, (double)r->wd,
             (double)r->momentum, r->batch, lr_schedule_name(r->schedule), r->warmup, r->patience,
             (double)r->factor, (double)r->min_lr, r->early, r->monitor_acc ? "acc" : "loss", r->augment,
             (double)r->smoothing, (unsigned long long)r->seed);
}

const char *recipe_hint(const char *saved)
{
    char had[256];
    return kv_get(saved, "preset", had, sizeof had)
               ? ""
               : " (it predates presets: its defaults are --preset study --normalise standard -a narrow)";
}

int recipe_check(const recipe *r, const char *saved, const char *ckpt, err *e)
{
    char text[1024], had[256], *save = NULL;
    recipe_text(text, sizeof text, r);
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *want = strchr(line, '=');
        if (!want || (*want++ = '\0', !kv_get(saved, line, had, sizeof had)))
            continue;
        augment a; /* compare what an augmentation means, not how it was spelt */
        if (strcmp(line, "augment") == 0 && augment_parse(&a, had) == 0)
            augment_format(&a, had, sizeof had);
        if (strcmp(had, want) != 0)
            return err_set(e,
                           "%s: the checkpoint was made with %s=%s, not %s; resume with the same options (only "
                           "--epochs may change)%s",
                           ckpt, line, had, want, recipe_hint(saved));
    }
    return 0;
}

void recipe_arch_names(char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (const builtin_arch *a = builtin_archs; a->name && at < len; a++)
        at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? ", " : "", a->name);
}

char *recipe_arch_text(const char *arch, err *e)
{
    if (builtin_arch_is_name(arch)) {
        const char *t = builtin_arch_text(arch);
        char names[256], *s = t ? strdup(t) : NULL;
        recipe_arch_names(names, sizeof names);
        if (!t)
            err_set(e, "%s: no such built-in architecture (built in: %s; a file path needs a '/' or an extension)",
                    arch, names);
        else if (!s)
            err_set(e, "out of memory");
        return s;
    }
    FILE *f = fopen(arch, "r");
    if (!f) {
        err_set(e, "%s: cannot open architecture: %m", arch);
        return NULL;
    }
    char *s = malloc(65536);
    size_t n = s ? fread(s, 1, 65535, f) : 0;
    int bad = ferror(f) || !feof(f);
    fclose(f);
    if (!s || bad) {
        free(s);
        err_set(e, "%s: cannot read architecture (or larger than 64 KiB)", arch);
        return NULL;
    }
    s[n] = '\0';
    return s;
}

/* skips blanks, and comments up to the line's end */
static const char *skip_space(const char *s)
{
    for (;;) {
        s += strspn(s, " \t\r\n");
        if (*s != '#')
            return s;
        s += strcspn(s, "\n");
    }
}

int recipe_same_layers(const char *a, const char *b)
{
    for (;;) {
        a = skip_space(a), b = skip_space(b);
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
