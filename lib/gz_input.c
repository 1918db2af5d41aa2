/* gz_input.c - see gz_input.h. */
#include "gz_input.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

gzFile gz_open_in(const char *path, err *e)
{
    const int from_stdin = !path || strcmp(path, "-") == 0;
    gzFile gz = NULL;
    errno = 0;
    if (from_stdin) {
        /* a duplicate, so that gzclose leaves fd 0 itself open */
        int fd = dup(STDIN_FILENO);
        if (fd >= 0 && !(gz = gzdopen(fd, "rb")))
            close(fd);
    } else {
        gz = gzopen(path, "rb");
    }
    if (!gz) {
        err_set(e, "%s: %s", from_stdin ? "<stdin>" : path, errno ? strerror(errno) : "cannot open");
        return NULL;
    }
    gzbuffer(gz, 1 << 17);
    return gz;
}
