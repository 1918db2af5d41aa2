/* test_recipe.c - the recipe text --resume compares, the comparison itself,
 * the preset table, and when two architecture texts are the same layers. */
#include <string.h>

#include "recipe.h"
#include "unit.h"

static recipe base(void)
{
    return (recipe){.preset = "default", .arch = "small", .augment = "shift=1,flip", .optimizer = OPT_ADAMW,
                    .schedule = SCHED_ONECYCLE, .lr = 0.002f, .batch = 128, .epochs = 3, .patience = 3, .seed = 1};
}

static void test_check(void)
{
    recipe r = base();
    char saved[1024], e_text[600];
    err e = {{0}};
    recipe_text(saved, sizeof saved, &r);
    CHECK(strstr(saved, "optimizer=adamw\n") && strstr(saved, "schedule=onecycle\n"),
          "the enums are written by name");
    CHECK(recipe_check(&r, saved, "m.ckpt", &e) == 0, "a recipe matches its own text");
    r.epochs = 9; /* not part of the recipe text: --epochs may grow on --resume */
    CHECK(recipe_check(&r, saved, "m.ckpt", &e) == 0, "--epochs is not compared");
    r.schedule = SCHED_COSINE;
    CHECK(recipe_check(&r, saved, "m.ckpt", &e) == -1, "another schedule is refused");
    snprintf(e_text, sizeof e_text, "%s", e.msg);
    const char *want = "m.ckpt: the checkpoint was made with schedule=onecycle, not cosine;";
    CHECK(strncmp(e_text, want, strlen(want)) == 0,
          "the message names the file, the key and both values: %s", e_text);
    CHECK(strstr(e_text, "predates presets") != NULL, "a text without preset= gets the hint");
    r = base(); /* augmentations compare by meaning: the saved one is re-spelt */
    CHECK(recipe_check(&r, "augment=flip,shift=1\n", "m.ckpt", &e) == 0, "an augmentation spelt another way is the same");
    CHECK(recipe_check(&r, "augment=flip\n", "m.ckpt", &e) == -1, "another augmentation is not");
    CHECK(recipe_check(&r, "lr=0.5\n", "m.ckpt", &e) == -1 && strstr(e.msg, "lr=0.5, not 0.002"),
          "only the keys the checkpoint has are compared, and they are: %s", e.msg);
}

static void test_presets(void)
{
    int n = 0;
    for (const recipe_preset *p = recipe_presets; p->name; p++, n++)
        CHECK(recipe_preset_find(p->name) == p && strstr(p->options, "--epochs "), "preset %s is found", p->name);
    CHECK(n == 3 && recipe_preset_find("Default") == NULL, "three presets, names exact");
    char list[2048];
    recipe_preset_list(list, sizeof list);
    int longest = 0; /* of the option lines, 11 columns in */
    for (const char *l = list; *l; l += strcspn(l, "\n") + 1)
        if (strncmp(l, "           -", 12) == 0 && (int)strcspn(l, "\n") > longest)
            longest = (int)strcspn(l, "\n");
    CHECK(longest > 40 && longest <= 80 && strstr(list, "  study    the Keras study's network and recipe:\n"),
          "the --help list: option lines of 80 columns at most (%d)", longest);
}

static void test_same_layers(void)
{
    CHECK(recipe_same_layers("input 28 28 1\n# wide\nconv 8 k=3\n", "input 28  28 1 # shape\n\nconv 8 k=3"),
          "comments, blank lines and spacing do not count");
    CHECK(!recipe_same_layers("input 28 28 1\nconv 8\n", "input 28 28 1\nconv 16\n"), "another width is another network");
    CHECK(!recipe_same_layers("input 28 28 1\nconv 8 relu\n", "input 28 28 1\nconv 8\nrelu\n"),
          "a line break where the other goes on is a difference");
}

int main(void)
{
    test_check();
    test_presets();
    test_same_layers();
    UNIT_EXIT();
}
