/* idx2tensor - original IDX image + label files (gzip or plain) to a tensor stream. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    "  -k, --classes N     labels must be 0..N-1 [10]\n"
    "  -h, --help          show this help and exit\n"
    "  -V, --version       show the version and exit\n"
    "\n"
    "Example: idx2tensor t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz | tensor2csv --header\n";

int main(int argc, char **argv)
{
    cli_init(argv);
    uint32_t nclass = FM_NCLASS;
    static const struct option longs[] = {
        {"classes", required_argument, 0, 'k'}, {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},       {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "k:hV", longs, NULL)) != -1) {
        switch (ch) {
        case 'k': nclass = (uint32_t)cli_long("--classes", optarg, 1, 65535); break;
        case 'h': cli_help(usage);
        case 'V': cli_version();
        default: cli_try_help(); /* getopt said what was wrong */
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || nargs > 2)
        cli_usage_error(nargs < 1 ? "missing IMAGES file ('-' for stdin)" : "too many arguments");
    if (nargs == 2 && strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0)
        cli_usage_error("IMAGES and LABELS cannot both be stdin");
    err e;
    idx_file img, lab = {0};
    if (idx_open(&img, argv[optind], &e) < 0)
        cli_die_err(&e);
    if (img.rank < 3)
        cli_die("%s: IDX rank %d: expected images (N x H x W [x C])", img.name, img.rank);
    int labelled = nargs == 2;
    if (labelled) {
        if (idx_open(&lab, argv[optind + 1], &e) < 0)
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
