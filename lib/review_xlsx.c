/* review_xlsx.c - the review workbook (see review_xlsx.h).
 *
 * libxlsxwriter writes a workbook by file name when it is closed; we give it
 * the temporary name of an atomic_file (it truncates that same file, so the
 * commit's fsync and rename act on what it wrote).
 */
#include "review_xlsx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

#include "atomic_file.h"
#include "png_image.h"

/* The review sheet's columns, in the order the reviewer reads them: the
 * picture and the answer cell first, what merge checks after. */
enum { X_ID, X_IMAGE, X_LABEL, X_PRED_NAME, X_PROB, X_RUNNER_NAME, X_RUNNER_PROB, X_PRED, X_RUNNER, X_SCORE, X_NCOL };
static const char *const x_header[X_NCOL] = {
    "id", "image", "reviewer_label", "predicted_name", "probability", "runner_up_name", "runner_up_probability",
    "predicted", "runner_up", "score",
};
static const double x_width[X_NCOL] = {8, 0 /* from the picture */, 18, 16, 12, 16, 22, 10, 10, 9};

#define REVIEW_SHEET "review"
#define CLASSES_SHEET "classes"

static const char *const instructions[] = {
    "How to review",
    "1. On the sheet 'review', look at each picture and the model's guess (predicted_name).",
    "2. In reviewer_label pick from the drop-down: the right class, ok where the model is right,",
    "   unsure where you cannot tell. A class number (0, 1, ...) or a name typed in works too.",
    "3. A blank reviewer_label means not reviewed: the model's answer stays.",
    "4. Leave the other columns as they are (merge checks them); sorting and filtering rows is fine,",
    "   and columns you add (notes) are ignored.",
    "5. Save as .xlsx (or as CSV UTF-8), then:  merge --reviews FILE -o final.csv PREDICTIONS",
};

/* Nearest-neighbour enlargement, so that the picture stays sharp at any zoom. */
static void enlarge(unsigned char *big, const unsigned char *src, uint32_t H, uint32_t W, uint32_t C, unsigned S)
{
    for (size_t y = 0; y < (size_t)H * S; y++)
        for (size_t x = 0; x < (size_t)W * S; x++)
            memcpy(big + (y * W * S + x) * C, src + ((y / S) * W + x / S) * C, C);
}

typedef struct formats {
    lxw_format *head, *cell, *prob, *label;
} formats;

static lxw_error write_review(lxw_workbook *wb, lxw_worksheet *ws, const rx_sheet *s, const formats *f,
                              unsigned char *big, err *e)
{
    lxw_error rc = LXW_NO_ERROR;
    uint32_t pw = s->W * s->scale, ph = s->H * s->scale;
    for (int c = 0; c < X_NCOL && !rc; c++) {
        rc = worksheet_write_string(ws, 0, (lxw_col_t)c, x_header[c], f->head);
        if (!rc)
            rc = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, c == X_IMAGE ? (pw + 6) / 7.0 : x_width[c],
                                      NULL);
    }
    worksheet_freeze_panes(ws, 1, 0);
    /* printed (or saved as PDF): landscape, one page wide, the header on every page */
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    if (!rc)
        rc = worksheet_repeat_rows(ws, 0, 0);
    for (size_t i = 0; i < s->n && !rc; i++) {
        const pred_rec *r = s->rows[i].r;
        lxw_row_t row = (lxw_row_t)(i + 1);
        rc = worksheet_set_row(ws, row, ph * 0.75 + 4, f->cell);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_ID, r->id, f->cell);
        if (!rc)
            rc = worksheet_write_blank(ws, row, X_LABEL, f->label);
        if (!rc)
            rc = worksheet_write_string(ws, row, X_PRED_NAME, s->cl->names[r->c1], f->cell);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_PROB, r->p1, f->prob);
        if (!rc)
            rc = worksheet_write_string(ws, row, X_RUNNER_NAME, s->cl->names[r->c2], f->cell);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_RUNNER_PROB, r->p2, f->prob);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_PRED, r->c1, f->cell);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_RUNNER, r->c2, f->cell);
        if (!rc)
            rc = worksheet_write_number(ws, row, X_SCORE, r->score[s->kind], f->prob);
        if (rc || !s->rows[i].image)
            continue;
        enlarge(big, s->rows[i].image, s->H, s->W, s->C, s->scale);
        unsigned char *png;
        size_t len;
        if (png_encode(pw, ph, (int)s->C, big, &png, &len, e) < 0)
            return LXW_ERROR_MEMORY_MALLOC_FAILED; /* e says what */
        char alt[64];
        snprintf(alt, sizeof alt, "record %u", r->id);
        /* anchored to its cell: sorting or filtering the rows takes the pictures along */
        lxw_image_options io = {.x_offset = 2, .y_offset = 2, .object_position = LXW_OBJECT_MOVE_AND_SIZE,
                                .description = alt};
        rc = worksheet_insert_image_buffer_opt(ws, row, X_IMAGE, png, len, &io); /* copies the bytes */
        free(png);
    }
    if (!rc)
        rc = worksheet_autofilter(ws, 0, 0, (lxw_row_t)s->n, X_NCOL - 1);
    /* The drop-down: the names themselves, where Excel's list can hold them (no ',' or
     * '"', 255 characters in all); else none, and the classes sheet lists them. (A list
     * taken from the classes sheet's range would hold any name, but libxlsxwriter 1.1.4
     * leaks its formula.) */
    int k = s->cl->k;
    size_t total = strlen("ok,unsure");
    for (int i = 0; i < k; i++)
        total += strlen(s->cl->names[i]) + 1 + (strpbrk(s->cl->names[i], ",\"") ? 256 : 0);
    if (!rc && s->n > 0 && total <= 255) {
        const char **list = calloc((size_t)k + 3, sizeof *list);
        if (!list)
            return LXW_ERROR_MEMORY_MALLOC_FAILED;
        for (int i = 0; i < k; i++)
            list[i] = s->cl->names[i];
        list[k] = "ok", list[k + 1] = "unsure";
        /* arrays, not literals: the struct's fields are char * */
        static char title[] = "reviewer_label", input[] = "The right class; ok if the model is right; unsure if "
                                                           "you cannot tell. Blank = not reviewed.",
                    err_title[] = "Not in the list",
                    err_msg[] = "merge also takes a class number or a class name typed in.";
        lxw_data_validation dv = {
            .validate = LXW_VALIDATION_TYPE_LIST,
            .value_list = (char **)list,
            .input_title = title,
            .input_message = input,
            /* a class number or a name typed in is fine too: say so, do not refuse it */
            .error_type = LXW_VALIDATION_ERROR_TYPE_INFORMATION,
            .error_title = err_title,
            .error_message = err_msg,
        };
        rc = worksheet_data_validation_range(ws, 1, X_LABEL, (lxw_row_t)s->n, X_LABEL, &dv);
        free(list);
    }
    (void)wb;
    return rc;
}

static lxw_error write_classes(lxw_worksheet *ws, const rx_sheet *s, const formats *f)
{
    static const char *const head[] = {"label", "reviewer_label", "meaning"};
    lxw_error rc = LXW_NO_ERROR;
    for (int c = 0; c < 3 && !rc; c++)
        rc = worksheet_write_string(ws, 0, (lxw_col_t)c, head[c], f->head);
    int k = s->cl->k;
    for (int i = 0; i < k && !rc; i++) {
        rc = worksheet_write_number(ws, (lxw_row_t)(i + 1), 0, i, NULL);
        if (!rc)
            rc = worksheet_write_string(ws, (lxw_row_t)(i + 1), 1, s->cl->names[i], NULL);
        if (!rc)
            rc = worksheet_write_string(ws, (lxw_row_t)(i + 1), 2, "the right class (reviewed)", NULL);
    }
    if (!rc)
        rc = worksheet_write_string(ws, (lxw_row_t)(k + 1), 1, "ok", NULL);
    if (!rc)
        rc = worksheet_write_string(ws, (lxw_row_t)(k + 1), 2, "the model is right (reviewed)", NULL);
    if (!rc)
        rc = worksheet_write_string(ws, (lxw_row_t)(k + 2), 1, "unsure", NULL);
    if (!rc)
        rc = worksheet_write_string(ws, (lxw_row_t)(k + 2), 2, "cannot tell: the model's answer stays", NULL);
    if (!rc)
        rc = worksheet_write_string(ws, (lxw_row_t)(k + 3), 2, "(blank: not reviewed; the model's answer stays)",
                                    NULL);
    for (size_t i = 0; i < sizeof instructions / sizeof instructions[0] && !rc; i++)
        rc = worksheet_write_string(ws, (lxw_row_t)i, 4, instructions[i], i == 0 ? f->head : NULL);
    if (!rc)
        rc = worksheet_set_column(ws, 0, 0, 7, NULL);
    if (!rc)
        rc = worksheet_set_column(ws, 1, 1, 16, NULL);
    if (!rc)
        rc = worksheet_set_column(ws, 2, 2, 42, NULL);
    if (!rc)
        rc = worksheet_set_column(ws, 4, 4, 90, NULL);
    return rc;
}

int review_xlsx_write(const char *path, const rx_sheet *s, err *e)
{
    if (s->n && (s->C != 1 && s->C != 3))
        return err_set(e, "%s: pictures must be gray or RGB (%u channels)", path, s->C);
    if (s->scale < 1 || s->scale > 32 || s->W > 4096 || s->H > 4096)
        return err_set(e, "%s: bad picture size %ux%u x%u", path, s->W, s->H, s->scale);
    atomic_file af;
    if (af_open(&af, path, e) < 0)
        return -1;
    if (!af.tmp[0]) {
        af_discard(&af);
        return err_set(e, "%s: an .xlsx workbook must go to a regular file (not stdout or a device)", path);
    }
    unsigned char *big = malloc((size_t)s->H * s->W * s->C * s->scale * s->scale + 1);
    lxw_workbook *wb = big ? workbook_new(af.tmp) : NULL;
    if (!wb) {
        free(big);
        af_discard(&af);
        return err_set(e, "%s: out of memory", path);
    }
    formats f;
    f.head = workbook_add_format(wb);
    format_set_bold(f.head);
    format_set_bg_color(f.head, 0xDDDDDD);
    format_set_bottom(f.head, LXW_BORDER_THIN);
    f.cell = workbook_add_format(wb);
    format_set_align(f.cell, LXW_ALIGN_VERTICAL_CENTER);
    f.prob = workbook_add_format(wb);
    format_set_align(f.prob, LXW_ALIGN_VERTICAL_CENTER);
    format_set_num_format(f.prob, "0.0000");
    format_set_align(f.prob, LXW_ALIGN_CENTER);
    f.label = workbook_add_format(wb);
    format_set_align(f.label, LXW_ALIGN_VERTICAL_CENTER);
    format_set_bold(f.label);
    format_set_bg_color(f.label, 0xFFF2CC); /* the one column to fill in */
    format_set_border(f.label, LXW_BORDER_THIN);
    lxw_worksheet *review = workbook_add_worksheet(wb, REVIEW_SHEET);
    lxw_worksheet *classes = workbook_add_worksheet(wb, CLASSES_SHEET);
    e->msg[0] = '\0';
    lxw_error rc = review && classes ? LXW_NO_ERROR : LXW_ERROR_MEMORY_MALLOC_FAILED;
    if (!rc)
        rc = write_review(wb, review, s, &f, big, e);
    if (!rc)
        rc = write_classes(classes, s, &f);
    lxw_error closed = workbook_close(wb); /* writes the file; frees wb either way */
    free(big);
    if (rc || closed) {
        af_discard(&af);
        if (e->msg[0] && rc)
            return err_prefix(e, "%s", path);
        return err_set(e, "%s: cannot write the workbook: %s", path, lxw_strerror(rc ? rc : closed));
    }
    return af_commit(&af, e);
}
