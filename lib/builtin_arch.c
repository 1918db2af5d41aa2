/* builtin_arch.c - lookup in the generated table of shipped architectures. */
#include "builtin_arch.h"

#include <string.h>

const char *builtin_arch_text(const char *name)
{
    for (const builtin_arch *a = builtin_archs; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a->text;
    return NULL;
}

int builtin_arch_is_name(const char *arg)
{
    return arg[0] != '\0' && strpbrk(arg, "/.") == NULL;
}
