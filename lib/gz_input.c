/* gz_input.c - see gz_input.h. */
#include "gz_input.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "atomic_file.h"

const char *gz_error_text(gzFile gz)
{
    int zerr = Z_OK;
    const char *msg = gzerror(gz, &zerr);
    if (zerr == Z_OK)
        return NULL;
    if (zerr == Z_ERRNO)
        return strerror(errno);
    if (msg && strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": "))
        msg = strstr(msg, ": ") + 2;
    return msg && *msg ? msg : "I/O error";
}

gzFile gz_open_in(const char *path, err *e)
{
    const int from_stdin = !path || strcmp(path, "-") == 0;
    const char *name = from_stdin ? "<stdin>" : path;
    errno = 0;
    /* a duplicate of stdin, so that gzclose leaves fd 0 itself open */
    int fd = from_stdin ? dup(STDIN_FILENO) : open(path, O_RDONLY);
    if (fd < 0) {
        err_set(e, "%s: %s", name, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    if (check_input_not_stdout(fd, name, e) < 0) {
        close(fd);
        return NULL;
    }
    gzFile gz = gzdopen(fd, "rb");
    if (!gz) {
        close(fd);
        err_set(e, "%s: %s", name, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    gzbuffer(gz, 1 << 17);
    return gz;
}
