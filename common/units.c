/* units.c - durations, byte sizes and plain decimal numbers as text (see
 * units.h). */
#include "units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Largest first: the formatter takes the first unit that divides exactly. */
static const struct {
    const char *name;
    int64_t ns;
} duration_units[] = {
    {"h", 3600000000000LL}, {"m", 60000000000LL}, {"s", 1000000000LL}, {"ms", 1000000LL},
    {"us", 1000LL},         {"µs", 1000LL},       {"ns", 1LL},
};

#define UNIT_LIST "ns, us, ms, s, m or h"

/* Exact decimal arithmetic: "1.5s" is 1500000000 ns, not a float's guess. */
bool units_parse_duration(const char *t, int64_t *ns, char *why, size_t wl)
{
    const char *p = t;
    unsigned __int128 ip = 0, frac = 0, scale = 1;
    int digits = 0;

    if (*p == '\0') {
        snprintf(why, wl, "expected a duration like 250ms, got ''");
        return false;
    }
    if (*p == '-') {
        snprintf(why, wl, "must be >= 0, got %s", t);
        return false;
    }
    for (; is_digit(*p); p++, digits++) {
        ip = ip * 10 + (unsigned)(*p - '0');
        if (ip > INT64_MAX) {
            snprintf(why, wl, "too large, got %s", t);
            return false;
        }
    }
    if (*p == '.') {
        p++;
        int fd = 0;
        for (; is_digit(*p); p++, fd++, digits++) {
            if (fd < 18) {
                frac = frac * 10 + (unsigned)(*p - '0');
                scale *= 10;
            } else if (*p != '0') {
                snprintf(why, wl, "not a whole number of nanoseconds, got '%s'", t);
                return false;
            }
        }
        if (fd == 0) {
            snprintf(why, wl, "expected a duration like 250ms, got '%s'", t);
            return false;
        }
    }
    if (digits == 0) {
        snprintf(why, wl, "expected a duration like 250ms, got '%s'", t);
        return false;
    }
    while (*p == ' ')
        p++;
    if (*p == '\0') {
        snprintf(why, wl, "missing unit in '%s' (use " UNIT_LIST ")", t);
        return false;
    }
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        if (strcmp(p, duration_units[i].name))
            continue;
        unsigned __int128 mult = (unsigned __int128)duration_units[i].ns;
        unsigned __int128 f = frac * mult;
        if (f % scale != 0) {
            snprintf(why, wl, "not a whole number of nanoseconds, got '%s'", t);
            return false;
        }
        unsigned __int128 total = ip * mult + f / scale;
        if (total > INT64_MAX) {
            snprintf(why, wl, "too large, got %s", t);
            return false;
        }
        *ns = (int64_t)total;
        return true;
    }
    snprintf(why, wl, "unknown unit '%.32s' in '%.64s' (use " UNIT_LIST ")", p, t);
    return false;
}

void units_format_duration(int64_t ns, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    const char *sign = ns < 0 ? "-" : "";
    uint64_t v = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        uint64_t m = (uint64_t)duration_units[i].ns;
        if (!strcmp(duration_units[i].name, "µs")) /* read, never written */
            continue;
        if (v % m == 0) {
            snprintf(buf, len, "%s%llu%s", sign, (unsigned long long)(v / m),
                     duration_units[i].name);
            return;
        }
    }
}

/* Binary units first: the formatter takes the first unit that divides
 * exactly, so a power-of-two size reads as one ("64KiB", not "65536B"). */
static const struct {
    const char *name;
    uint64_t bytes;
} size_units[] = {
    {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}, {"GB", 1000000000ULL},
    {"MB", 1000000ULL},  {"kB", 1000ULL},     {"B", 1ULL},
};

#define SIZE_UNIT_LIST "B, KiB, MiB, GiB, kB, MB or GB"

bool units_parse_bytes(const char *t, uint64_t *bytes, char *why, size_t wl)
{
    const char *p = t;
    unsigned __int128 ip = 0, frac = 0, scale = 1;
    int digits = 0;

    if (*p == '-') {
        snprintf(why, wl, "must be >= 0, got %.64s", t);
        return false;
    }
    for (; is_digit(*p); p++, digits++) {
        ip = ip * 10 + (unsigned)(*p - '0');
        if (ip > UINT64_MAX) {
            snprintf(why, wl, "too large, got %.64s", t);
            return false;
        }
    }
    if (*p == '.') {
        int fd = 0;
        for (p++; is_digit(*p); p++, fd++, digits++) {
            if (fd < 18) {
                frac = frac * 10 + (unsigned)(*p - '0');
                scale *= 10;
            } else if (*p != '0') {
                snprintf(why, wl, "not a whole number of bytes, got '%.64s'", t);
                return false;
            }
        }
        if (fd == 0)
            digits = 0;
    }
    if (digits == 0) {
        snprintf(why, wl, "expected a size like 256KiB, 1MiB or 1024 (bytes), got '%.64s'", t);
        return false;
    }
    while (*p == ' ')
        p++;
    uint64_t mult = 0;
    if (*p == '\0')
        mult = 1; /* plain bytes */
    for (size_t i = 0; !mult && i < sizeof size_units / sizeof size_units[0]; i++)
        if (!strcmp(p, size_units[i].name))
            mult = size_units[i].bytes;
    if (!mult) {
        snprintf(why, wl, "unknown unit '%.16s' in '%.64s' (use " SIZE_UNIT_LIST ")", p, t);
        return false;
    }
    unsigned __int128 f = frac * mult;
    if (f % scale != 0) {
        snprintf(why, wl, "not a whole number of bytes, got '%.64s'", t);
        return false;
    }
    unsigned __int128 total = ip * mult + f / scale;
    if (total > UINT64_MAX) {
        snprintf(why, wl, "too large, got %.64s", t);
        return false;
    }
    *bytes = (uint64_t)total;
    return true;
}

void units_format_bytes(uint64_t v, char *buf, size_t len)
{
    if (!buf || len == 0)
        return;
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
        if (v != 0 && v % size_units[i].bytes == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(v / size_units[i].bytes),
                     size_units[i].name);
            return;
        }
    }
    snprintf(buf, len, "0B");
}

int64_t units_ns_of_double(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 9.2e18)
        return INT64_MAX;
    return llround(v);
}

bool units_parse_number(const char *t, size_t len, double *out)
{
    char buf[64];
    size_t i = 0;
    int digits = 0;

    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, t, len);
    buf[len] = '\0';
    if (buf[i] == '-' || buf[i] == '+')
        i++;
    for (; is_digit(buf[i]); i++)
        digits++;
    if (buf[i] == '.')
        for (i++; is_digit(buf[i]); i++)
            digits++;
    if (digits == 0)
        return false;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '-' || buf[i] == '+')
            i++;
        if (!is_digit(buf[i]))
            return false;
        while (is_digit(buf[i]))
            i++;
    }
    if (buf[i] != '\0')
        return false;
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

int units_shortest_precision(double v)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return p;
    }
    return 17;
}
