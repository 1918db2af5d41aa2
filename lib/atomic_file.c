#include "atomic_file.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Pending temporary files, removed if the process dies before commit. */
#define AF_MAX_PENDING 16
static char pending[AF_MAX_PENDING][FM_PATH_MAX];
static int handlers_installed;

static void remove_pending(void)
{
    for (int i = 0; i < AF_MAX_PENDING; i++)
        if (pending[i][0])
            unlink(pending[i]);
}

static void on_signal(int sig)
{
    remove_pending(); /* unlink is async-signal-safe */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void track(const char *tmp)
{
    if (!handlers_installed) {
        handlers_installed = 1;
        atexit(remove_pending);
        int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE}; /* SIGPIPE: a closed stdout mid-write */
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
            struct sigaction sa, old;
            if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_DFL)
                continue; /* the program has its own handler (train) */
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sigaction(sigs[i], &sa, NULL);
        }
    }
    for (int i = 0; i < AF_MAX_PENDING; i++)
        if (!pending[i][0]) {
            snprintf(pending[i], sizeof pending[i], "%s", tmp);
            return;
        }
}

static void untrack(const char *tmp)
{
    for (int i = 0; i < AF_MAX_PENDING; i++)
        if (strcmp(pending[i], tmp) == 0)
            pending[i][0] = '\0';
}

int af_open(atomic_file *af, const char *path, err *e)
{
    memset(af, 0, sizeof *af);
    if (!*path)
        return err_set(e, "empty output file name");
    if (strlen(path) >= sizeof af->path)
        return err_set(e, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    if (strcmp(path, "-") == 0) {
        snprintf(af->path, sizeof af->path, "<stdout>");
        af->f = stdout;
        af->is_stdout = 1;
        return 0;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A device or FIFO (/dev/null, /dev/full, a pipe): write to it directly.
         * Renaming a temporary file over it would replace the device itself. */
        if (S_ISDIR(st.st_mode))
            return err_set(e, "%s: is a directory", path);
        af->f = fopen(path, "wb");
        if (!af->f)
            return err_set(e, "%s: cannot open: %s", path, strerror(errno));
        return 0; /* af->tmp stays empty: commit closes, discard closes */
    }
    int fd = -1;
    errno = ENAMETOOLONG;
    if (snprintf(af->tmp, sizeof af->tmp, "%s.tmp.XXXXXX", path) < (int)sizeof af->tmp)
        fd = mkstemp(af->tmp);
    if (fd < 0 && errno == ENAMETOOLONG) {
        /* a legal name within 11 bytes of NAME_MAX (or of FM_PATH_MAX): a short temporary
         * name in the same directory instead (the rename stays within one file system) */
        const char *slash = strrchr(path, '/');
        int dirlen = slash ? (int)(slash - path + 1) : 0;
        snprintf(af->tmp, sizeof af->tmp, "%.*s.fm-tmp.XXXXXX", dirlen, path);
        fd = mkstemp(af->tmp);
    }
    if (fd < 0)
        return err_set(e, "%s: cannot create: %s", path, strerror(errno));
    mode_t um = umask(0); /* mkstemp makes 0600; outputs are ordinary files */
    umask(um);
    fchmod(fd, 0666 & ~um);
    af->f = fdopen(fd, "wb");
    if (!af->f) {
        close(fd);
        unlink(af->tmp);
        return err_set(e, "%s: %s", path, strerror(errno));
    }
    track(af->tmp);
    return 0;
}

int af_commit(atomic_file *af, err *e)
{
    errno = 0;
    if (!af->tmp[0]) { /* stdout or a special file opened directly: no fsync, no rename */
        int bad = fflush(af->f) != 0 || ferror(af->f);
        int saved = errno;
        if (af->is_stdout) { /* closed, and checked again, at exit (cli.h) */
            af->f = NULL;
            if (bad)
                return err_set(e, "%s: write error: %s", af->path, saved ? strerror(saved) : "I/O error");
            return 0;
        }
        if (fclose(af->f) != 0 && !bad) {
            bad = 1;
            saved = errno;
        }
        af->f = NULL;
        if (bad)
            return err_set(e, "%s: write error: %s", af->path, saved ? strerror(saved) : "I/O error");
        return 0;
    }
    int bad = fflush(af->f) != 0 || ferror(af->f) || fsync(fileno(af->f)) != 0;
    int saved = errno;
    if (fclose(af->f) != 0 && !bad) {
        bad = 1;
        saved = errno;
    }
    af->f = NULL;
    if (bad) {
        unlink(af->tmp);
        untrack(af->tmp);
        return err_set(e, "%s: write error: %s", af->path, saved ? strerror(saved) : "I/O error");
    }
    if (rename(af->tmp, af->path) != 0) {
        saved = errno;
        unlink(af->tmp);
        untrack(af->tmp);
        return err_set(e, "%s: cannot rename into place: %s", af->path, strerror(saved));
    }
    untrack(af->tmp);
    return 0;
}

void af_discard(atomic_file *af)
{
    if (af->f && !af->is_stdout) {
        fclose(af->f);
        af->f = NULL;
    }
    if (af->tmp[0]) {
        unlink(af->tmp);
        untrack(af->tmp);
    }
}

int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The name path has or would have: its directory resolved by realpath, then
 * its last component. -1 if the directory does not resolve. */
static int canonical_name(const char *path, char *out, size_t len)
{
    char dir[PATH_MAX], real[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (!realpath(dir, real))
        return -1;
    snprintf(out, len, "%s/%s", real, slash ? slash + 1 : path);
    return 0;
}

int same_path(const char *a, const char *b)
{
    char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
    if (same_file(a, b) || strcmp(a, b) == 0)
        return 1;
    return canonical_name(a, ca, sizeof ca) == 0 && canonical_name(b, cb, sizeof cb) == 0 && strcmp(ca, cb) == 0;
}

int check_input_not_stdout(int fd, const char *name, err *e)
{
    struct stat si, so;
    if (fd != STDOUT_FILENO && /* fd 1 itself: stdout was closed and open() reused it */
        fstat(fd, &si) == 0 && S_ISREG(si.st_mode) && fstat(STDOUT_FILENO, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return err_set(e, "%s: input file is output file (stdout)", name);
    return 0;
}

int check_not_inputs(const char *const outs[], size_t nout, const char *const ins[], size_t nin, err *e)
{
    for (size_t i = 0; i < nout; i++) {
        struct stat st;
        /* a device (/dev/null) or FIFO is not overwritten, whoever else uses it */
        if (!outs[i] || strcmp(outs[i], "-") == 0 || (stat(outs[i], &st) == 0 && !S_ISREG(st.st_mode)))
            continue;
        for (size_t j = 0; j < nin; j++) {
            const char *in = ins[j] && strcmp(ins[j], "-") == 0 ? "/dev/stdin" : ins[j];
            if (in && same_file(outs[i], in))
                return err_set(e, "%s: refusing to overwrite an input", outs[i]);
        }
        for (size_t j = i + 1; j < nout; j++)
            if (outs[j] && strcmp(outs[i], outs[j]) == 0)
                return err_set(e, "%s: named for two outputs: give each its own file", outs[i]);
            else if (outs[j] && same_path(outs[i], outs[j]))
                return err_set(e, "%s and %s are the same file: give each output its own", outs[i], outs[j]);
    }
    return 0;
}

int make_dirs(const char *path, int *created, err *e)
{
    if (created)
        *created = 0;
    char buf[FM_PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return err_set(e, "%s: bad directory name", n ? "(a long path)" : "''");
    memcpy(buf, path, n + 1);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    /* each parent in turn, then the whole path */
    for (char *p = buf + 1;; p++) {
        int last = *p == '\0';
        if (*p != '/' && !last)
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) == 0) {
            if (last && created)
                *created = 1;
        } else if (errno != EEXIST) {
            return err_set(e, "%s: cannot create directory: %s", buf, strerror(errno));
        }
        if (last)
            break;
        *p = '/';
    }
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(e, "%s: cannot create directory: %s", path, "a file of that name is in the way");
    return 0;
}
