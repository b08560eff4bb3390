/* cpu_wait.c - a thread's run-queue wait from /proc (see cpu_wait.h). */
#include "cpu_wait.h"

#include <fcntl.h>
#include <unistd.h>

int cpu_wait_open(void)
{
    return open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
}

/* A decimal count at *p, skipping leading blanks; -1 when there is none or
 * it overflows. */
static int64_t count_at(const char **p)
{
    while (**p == ' ')
        (*p)++;
    if (**p < '0' || **p > '9')
        return -1;
    int64_t v = 0;
    for (; **p >= '0' && **p <= '9'; (*p)++) {
        int d = **p - '0';
        if (v > (INT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

int64_t cpu_wait_parse(const char *text)
{
    const char *p = text;
    int64_t v[3];
    for (int i = 0; i < 3; i++)
        if ((v[i] = count_at(&p)) < 0)
            return -1;
    for (; *p; p++)
        if (*p != ' ' && *p != '\n')
            return -1;
    return v[1];
}

int64_t cpu_wait_ns(int fd)
{
    if (fd < 0)
        return -1;
    char buf[96];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return cpu_wait_parse(buf);
}
