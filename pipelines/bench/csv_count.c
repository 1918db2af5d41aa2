/* csv_count - the benchmark's reference: a bare libcsv parse that only
 * counts fields and rows. Same strict options and buffer size as
 * csv2tensor, no conversion, no output but the two counts. */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counts {
    unsigned long long fields, rows;
} counts;

static void on_field(void *s, size_t len, void *ctx)
{
    (void)s, (void)len;
    ((counts *)ctx)->fields++;
}

static void on_row(int c, void *ctx)
{
    (void)c;
    ((counts *)ctx)->rows++;
}

int main(int argc, char **argv)
{
    FILE *f = argc > 1 ? fopen(argv[1], "rb") : stdin;
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return 1;
    static char buf[1 << 16];
    counts c = {0, 0};
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (csv_parse(&p, buf, n, on_field, on_row, &c) != n) {
            fprintf(stderr, "csv_count: %s\n", csv_strerror(csv_error(&p)));
            return 1;
        }
    if (ferror(f) || csv_fini(&p, on_field, on_row, &c) != 0) {
        fprintf(stderr, "csv_count: read or parse error\n");
        return 1;
    }
    csv_free(&p);
    printf("%llu fields, %llu rows\n", c.fields, c.rows);
    return 0;
}
