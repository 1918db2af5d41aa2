/* idx2tensor - original IDX image + label files (gzip or plain) to a tensor stream. */
#include <stdio.h>
#include <stdlib.h>

#include "classes.h"
#include "cli.h"
#include "idx.h"
#include "tensor_stream.h"

static const char usage[] =
    "Usage: idx2tensor [OPTION]... IMAGES [LABELS]\n"
    "Convert IDX files (as in /usr/share/datasets/fashion-mnist/, gzip or plain) to a tensor stream.\n"
    "IMAGES is N x H x W (or N x H x W x C) unsigned bytes; LABELS, if given, N bytes.\n"
    "Either file may be '-' for stdin.\n"
    "Record ids are 0-based item numbers.\n"
    "\n"
    "  -k, --classes N     labels must be 0..N-1 [10]\n" CLI_STD_HELP
    "\n"
    "Example: idx2tensor t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz | tensor2csv --header\n";

typedef struct options {
    uint32_t nclass;
    const char *images, *labels; /* labels NULL: none */
} options;

static options parse_command_line(int argc, char **argv)
{
    options o = {FM_NCLASS, NULL, NULL};
    static const struct option longs[] = {{"classes", required_argument, 0, 'k'}, CLI_STD_LONG};
    int ch;
    while ((ch = getopt_long(argc, argv, "k:" CLI_STD_SHORT, longs, NULL)) != -1) {
        switch (ch) {
        case 'k': o.nclass = (uint32_t)cli_long("--classes", optarg, 1, 65535); break;
        default: cli_std_option(ch, usage);
        }
    }
    int n = cli_operands(argc, argv, 1, 2, "IMAGES file ('-' for stdin)", "IMAGES and LABELS");
    o.images = argv[optind];
    o.labels = n == 2 ? argv[optind + 1] : NULL;
    return o;
}

int main(int argc, char **argv)
{
    cli_init(argv);
    options o = parse_command_line(argc, argv);
    const uint32_t nclass = o.nclass;
    err e;
    idx_file img, lab = {0};
    if (idx_open(&img, o.images, &e) < 0)
        cli_die_err(&e);
    if (img.rank < 3)
        cli_die("%s: IDX rank %d: expected images (N x H x W [x C])", img.name, img.rank);
    int labelled = o.labels != NULL;
    if (labelled) {
        if (idx_open(&lab, o.labels, &e) < 0)
            cli_die_err(&e);
        if (lab.rank != 1)
            cli_die("%s: IDX rank %d: expected labels (N)", lab.name, lab.rank);
        if (lab.items != img.items)
            cli_die("%s has %llu images but %s has %llu labels", img.name, (unsigned long long)img.items,
                    lab.name, (unsigned long long)lab.items);
    }
    ts_header h = ts_image_header(img.dims[1], img.dims[2], img.rank == 4 ? img.dims[3] : 1, nclass);
    h.count = img.items;
    ts_writer *w = ts_create(stdout, "<stdout>", &h, &e);
    if (!w)
        cli_die_err(&e);
    unsigned char *pix = malloc(img.item_bytes);
    if (!pix)
        cli_die("out of memory");
    int rc = 0;
    for (uint64_t i = 0; i < img.items && rc == 0; i++) {
        unsigned char l = 0;
        if (idx_read(&img, pix, 1, &e) < 0 || (labelled && idx_read(&lab, &l, 1, &e) < 0))
            rc = -1;
        else if (labelled && l >= nclass)
            rc = err_set(&e, "%s: item %llu: label %u out of range (0..%u)", lab.name, (unsigned long long)i + 1, l,
                         nclass - 1);
        else if (ts_write(w, (uint32_t)i, labelled ? l : TS_NO_LABEL, pix, &e) < 0)
            rc = -1;
    }
    if (rc == 0 && (idx_check_end(&img, &e) < 0 || (labelled && idx_check_end(&lab, &e) < 0)))
        rc = -1;
    if (rc < 0)
        ts_fail(w); /* downstream readers see a truncated record */
    else
        rc = ts_finish(w, &e);
    idx_close(&img);
    if (labelled)
        idx_close(&lab);
    free(pix);
    if (rc < 0)
        cli_die_err(&e);
    return 0;
}
