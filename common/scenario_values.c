/* scenario_values.c - the scenario loader's scalar parsers and formatters:
 * fractions, rates, bandwidths, IPv4/CIDR, booleans and conditions (internal
 * to the scenario loader, see scenario.c). Durations and plain numbers are in
 * units.c, distributions in dist.c: both are used outside the loader too. */
#include "scenario_values.h"

#include "metrics.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- text parsers (shared by the loader and the defaults) ---- */

bool scnv_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int scenario_parse_duration(const char *text, int64_t *ns)
{
    char why[160];
    if (!text || !ns)
        return -1;
    return units_parse_duration(text, ns, why, sizeof why) ? 0 : -1;
}

void scenario_format_duration(int64_t ns, char *buf, size_t len)
{
    units_format_duration(ns, buf, len);
}

/* Unsigned decimal, no sign, no exponent; a '-' only to say "must be >=". */
bool scnv_parse_uint_why(const char *t, uint64_t min, uint64_t max, uint64_t *out, char *why,
                         size_t wl)
{
    const char *p = t;
    bool neg = false, overflow = false;
    uint64_t v = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!scnv_is_digit(*p))
        goto bad;
    for (; scnv_is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (*p != '\0')
        goto bad;
    if (neg && (v != 0 || overflow)) {
        snprintf(why, wl, "must be >= %llu, got %s", (unsigned long long)min, t);
        return false;
    }
    if (overflow || v > max) {
        snprintf(why, wl, "must be <= %llu, got %.64s", (unsigned long long)max, t);
        return false;
    }
    if (v < min) {
        snprintf(why, wl, "must be >= %llu, got %s", (unsigned long long)min, t);
        return false;
    }
    *out = v;
    return true;
bad:
    snprintf(why, wl, "expected an unsigned integer, got '%.64s'", t);
    return false;
}

bool scnv_parse_fraction_why(const char *t, double *out, char *why, size_t wl)
{
    size_t len = strlen(t);
    bool pct = len > 0 && t[len - 1] == '%';
    double v;

    if (!units_parse_number(t, pct ? len - 1 : len, &v)) {
        snprintf(why, wl, "expected a fraction like 0.5 or 50%%, got '%.64s'", t);
        return false;
    }
    if (pct)
        v /= 100.0;
    if (!(v >= 0.0 && v <= 1.0)) {
        snprintf(why, wl, "must be in [0, 1] (or 0%% to 100%%), got %s", t);
        return false;
    }
    *out = v == 0.0 ? 0.0 : v; /* no -0 */
    return true;
}

/* Dotted quad, decimal octets without leading zeros (no octal surprises). */
bool scnv_parse_ipv4(const char *t, const char **end, uint32_t *out)
{
    uint32_t a = 0;
    const char *p = t;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (*p != '.')
                return false;
            p++;
        }
        if (!scnv_is_digit(*p))
            return false;
        unsigned v = 0;
        int nd = 0;
        const char *s = p;
        for (; scnv_is_digit(*p); p++, nd++) {
            if (nd == 3)
                return false;
            v = v * 10 + (unsigned)(*p - '0');
        }
        if (v > 255 || (nd > 1 && *s == '0'))
            return false;
        a = a << 8 | v;
    }
    *end = p;
    *out = a;
    return true;
}

uint32_t scnv_prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

bool scnv_parse_cidr_why(const char *t, struct scn_net *net, char *why, size_t wl)
{
    const char *p;
    uint32_t a;
    if (!scnv_parse_ipv4(t, &p, &a) || *p != '/' || !scnv_is_digit(p[1]))
        goto bad;
    p++;
    unsigned prefix = 0;
    int nd = 0;
    for (; scnv_is_digit(*p); p++, nd++) {
        if (nd == 2)
            goto range;
        prefix = prefix * 10 + (unsigned)(*p - '0');
    }
    if (*p != '\0')
        goto bad;
    if (prefix > 32)
        goto range;
    net->prefix = (uint8_t)prefix;
    net->addr = a & scnv_prefix_mask(prefix); /* host bits are accepted and dropped */
    return true;
range:
    snprintf(why, wl, "prefix length must be 0 to 32, got '%.64s'", t);
    return false;
bad:
    snprintf(why, wl, "expected an IPv4 network like 127.0.0.0/8, got '%.64s'", t);
    return false;
}

void scnv_format_ipv4(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

void scnv_format_cidr(const struct scn_net *n, char *buf, size_t len)
{
    char ip[16];
    scnv_format_ipv4(n->addr, ip, sizeof ip);
    snprintf(buf, len, "%s/%u", ip, (unsigned)n->prefix);
}

/* ---- numbers, rates, booleans, conditions ---- */

/* Digits for %.*g: the shortest that reads back as the same double, but never
 * so few that a whole number turns into an exponent (100, not 1e+02). */
int scnv_number_precision(double v)
{
    int p = units_shortest_precision(v);
    double a = fabs(v);
    if (a >= 1 && a < 1e17) {
        int d = 1;
        for (double x = a; x >= 10; x /= 10)
            d++;
        if (d > p)
            p = d;
    }
    return p;
}

void scnv_format_number(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.*g", scnv_number_precision(v), v == 0.0 ? 0.0 : v);
}

/* "500/s", "30/m", "2/h", "0.5/s": stored as a double per second. */
bool scnv_parse_rate_why(const char *t, double *out, char *why, size_t wl)
{
    const char *slash = strchr(t, '/');
    size_t nlen = slash ? (size_t)(slash - t) : strlen(t);
    double v;

    while (nlen > 0 && t[nlen - 1] == ' ')
        nlen--;
    if (!units_parse_number(t, nlen, &v)) {
        snprintf(why, wl, "expected a rate like 500/s, got '%.64s'", t);
        return false;
    }
    if (!slash) {
        snprintf(why, wl, "missing unit /s in '%.64s' (a rate is like 500/s, 30/m or 2/h)", t);
        return false;
    }
    const char *u = slash + 1;
    while (*u == ' ')
        u++;
    double per;
    if (!strcmp(u, "s"))
        per = 1;
    else if (!strcmp(u, "m"))
        per = 60;
    else if (!strcmp(u, "h"))
        per = 3600;
    else {
        snprintf(why, wl, "unknown unit '/%.16s' in '%.64s' (use /s, /m or /h)", u, t);
        return false;
    }
    if (v < 0) {
        snprintf(why, wl, "must be >= 0/s, got %.64s", t);
        return false;
    }
    v /= per;
    *out = v == 0.0 ? 0.0 : v;
    return true;
}

void scnv_format_rate(double v, char *buf, size_t len)
{
    char n[40];
    scnv_format_number(v, n, sizeof n);
    snprintf(buf, len, "%s/s", n);
}

/* Bandwidths: a decimal number and a unit, either bits per second (bit, kbit,
 * mbit, gbit; any case; "/s" optional) or bytes per second (B/s, kB/s, MB/s,
 * GB/s; a capital B; "/s" optional). Decimal prefixes: k = 1000. Kept as
 * bytes per second, rounded to the nearest byte; 0 = unlimited. */
#define BW_MIN 1000ULL         /* B/s (8kbit): slower, and a TCP handshake takes seconds */
#define BW_MAX 125000000000ULL /* B/s (1000gbit) */
#define BW_FRAC_DIGITS 12      /* further fraction digits are ignored */
#define BW_UNITS "bit, kbit, mbit, gbit (\"/s\" optional) or B/s, kB/s, MB/s, GB/s"

static bool bw_unit(const char *u, uint64_t *mult, unsigned *den)
{
    char b[16];
    size_t n = strlen(u);
    if (n >= sizeof b)
        return false;
    memcpy(b, u, n + 1);
    if (n >= 2 && b[n - 2] == '/' && (b[n - 1] == 's' || b[n - 1] == 'S'))
        b[n -= 2] = '\0';
    if (n >= 3 && !strcasecmp(b + n - 3, "bit")) {
        *den = 8;
        n -= 3;
    } else if (n >= 1 && b[n - 1] == 'B') {
        *den = 1;
        n -= 1;
    } else {
        return false;
    }
    if (n == 0) {
        *mult = 1;
        return true;
    }
    if (n != 1)
        return false;
    switch (b[0]) {
    case 'k':
    case 'K':
        *mult = 1000ULL;
        return true;
    case 'M':
        *mult = 1000000ULL;
        return true;
    case 'G':
        *mult = 1000000000ULL;
        return true;
    case 'm': /* "mbit" is the tc spelling; "mB" would be millibytes */
        *mult = 1000000ULL;
        return *den == 8;
    case 'g':
        *mult = 1000000000ULL;
        return *den == 8;
    default:
        return false;
    }
}

bool scnv_parse_bandwidth_why(const char *t, uint64_t *out, char *why, size_t wl)
{
    const char *p = t;
    unsigned __int128 ip = 0, frac = 0, scale = 1;
    int digits = 0;
    bool big = false;

    if (*p == '-') {
        snprintf(why, wl, "must be >= 0, got %.64s", t);
        return false;
    }
    for (; scnv_is_digit(*p); p++, digits++) {
        if (ip > (unsigned __int128)BW_MAX * 8)
            big = true; /* stop before __int128 could overflow below */
        else
            ip = ip * 10 + (unsigned)(*p - '0');
    }
    if (*p == '.') {
        int fd = 0;
        for (p++; scnv_is_digit(*p); p++, fd++, digits++) {
            if (fd < BW_FRAC_DIGITS) {
                frac = frac * 10 + (unsigned)(*p - '0');
                scale *= 10;
            }
        }
        if (fd == 0)
            digits = 0;
    }
    if (digits == 0) {
        snprintf(why, wl, "expected a bandwidth like 1mbit or 125kB/s, got '%.64s'", t);
        return false;
    }
    while (*p == ' ')
        p++;
    if (*p == '\0') {
        snprintf(why, wl, "missing unit (e.g. 1mbit or 125kB/s) in '%.64s'", t);
        return false;
    }
    uint64_t mult;
    unsigned den;
    if (!bw_unit(p, &mult, &den)) {
        snprintf(why, wl, "unknown unit '%.16s' in '%.64s' (use " BW_UNITS ")", p, t);
        return false;
    }
    /* value = (ip + frac/scale) * mult / den bytes, rounded half up */
    unsigned __int128 num = (ip * scale + frac) * mult, d = scale * den;
    unsigned __int128 bytes = (num + d / 2) / d;
    if (big || bytes > BW_MAX) {
        snprintf(why, wl, "must be at most 1000gbit (125GB/s), got %.64s", t);
        return false;
    }
    if (num != 0 && bytes < BW_MIN) {
        snprintf(why, wl, "must be at least 8kbit (1kB/s) when not 0, got %.64s", t);
        return false;
    }
    *out = (uint64_t)bytes;
    return true;
}

/* In the largest bit unit that is exact: 1000000 B/s is "8mbit". */
void scnv_format_bandwidth(uint64_t Bps, char *buf, size_t len)
{
    static const struct {
        const char *name;
        uint64_t bits;
    } units[] = {{"gbit", 1000000000ULL}, {"mbit", 1000000ULL}, {"kbit", 1000ULL}, {"bit", 1}};
    uint64_t bits = Bps * 8; /* Bps <= BW_MAX: no overflow */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (bits != 0 && bits % units[i].bits == 0) {
            snprintf(buf, len, "%llu%s", (unsigned long long)(bits / units[i].bits), units[i].name);
            return;
        }
    }
    snprintf(buf, len, "%llubit", (unsigned long long)bits);
}

bool scnv_parse_bool_why(const char *t, bool *out, char *why, size_t wl)
{
    if (!strcmp(t, "true") || !strcmp(t, "True") || !strcmp(t, "TRUE")) {
        *out = true;
        return true;
    }
    if (!strcmp(t, "false") || !strcmp(t, "False") || !strcmp(t, "FALSE")) {
        *out = false;
        return true;
    }
    snprintf(why, wl, "expected true or false, got '%.64s'", t);
    return false;
}

/* Condition metrics: every timeseries column (metrics.h) plus the derived
 * columns the coordinator adds. */
static const char *const cond_extra_metrics[] = {"lag_p99_ms", "lag_max_ms", "cpu_max"};
#define N_COND_EXTRA (sizeof cond_extra_metrics / sizeof cond_extra_metrics[0])
#define N_COND_METRICS ((size_t)G_COUNT + (size_t)C_COUNT + N_COND_EXTRA)

static const char *cond_metric(size_t i)
{
    if (i < (size_t)G_COUNT)
        return metrics_gauge_name((enum metric_gauge)i);
    i -= (size_t)G_COUNT;
    if (i < (size_t)C_COUNT)
        return metrics_counter_name((enum metric_counter)i);
    i -= (size_t)C_COUNT;
    return i < N_COND_EXTRA ? cond_extra_metrics[i] : NULL;
}

static const char *const cmp_names[] = {">=", ">", "<=", "<"};

/* Levenshtein distance, for "did you mean"; short strings only. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[40];
    if (la >= 40 || lb >= 40)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void unknown_metric(const char *name, char *why, size_t wl)
{
    size_t used = 0, best_d = 3;
    const char *best = NULL;
    int n = snprintf(why, wl, "unknown metric '%.31s' (expected one of: ", name);
    if (n < 0 || (size_t)n >= wl)
        return;
    used = (size_t)n;
    for (size_t i = 0; i < N_COND_METRICS; i++) {
        const char *m = cond_metric(i);
        size_t d = edit_distance(name, m);
        if (d < best_d) {
            best_d = d;
            best = m;
        }
        if (used > 200) /* the rest is in docs/scenarios.md */
            continue;
        n = snprintf(why + used, wl - used, "%s%s", i ? ", " : "", m);
        if (n < 0 || (size_t)n >= wl - used)
            return;
        used += (size_t)n;
        if (used > 200 && i + 1 < N_COND_METRICS) {
            n = snprintf(why + used, wl - used, ", ...");
            if (n < 0 || (size_t)n >= wl - used)
                return;
            used += (size_t)n;
        }
    }
    for (size_t i = 0; !best && i < N_COND_METRICS; i++) /* "cpu" -> "cpu_max" */
        if (*name && !strncmp(cond_metric(i), name, strlen(name)))
            best = cond_metric(i);
    if (best)
        snprintf(why + used, wl - used, "); did you mean '%s'?", best);
    else
        snprintf(why + used, wl - used, ")");
}

/* "METRIC OP VALUE": OP one of >= > <= <, VALUE a number or a percentage. */
bool scnv_parse_cond_why(const char *t, struct scn_cond *c, char *why, size_t wl)
{
    const char *p = t, *m0;
    struct scn_cond r;
    char name[64];

    memset(&r, 0, sizeof r);
    while (*p == ' ' || *p == '\t')
        p++;
    m0 = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || scnv_is_digit(*p) || *p == '_')
        p++;
    size_t mlen = (size_t)(p - m0);
    if (mlen == 0) {
        snprintf(why, wl,
                 "expected a condition like 'online >= 0.9' (METRIC OP VALUE), got '%.64s'", t);
        return false;
    }
    snprintf(name, sizeof name, "%.*s", (int)(mlen < sizeof name ? mlen : sizeof name - 1), m0);
    bool known = false;
    for (size_t i = 0; i < N_COND_METRICS && !known; i++)
        known = mlen < sizeof r.metric && !strcmp(name, cond_metric(i));
    if (!known) {
        unknown_metric(name, why, wl);
        return false;
    }
    memcpy(r.metric, name, mlen + 1);

    while (*p == ' ' || *p == '\t')
        p++;
    const char *o0 = p;
    while (*p && strchr("<>=!", *p))
        p++;
    size_t olen = (size_t)(p - o0);
    int op = -1;
    for (int i = 0; i < 4; i++)
        if (olen == strlen(cmp_names[i]) && !strncmp(o0, cmp_names[i], olen))
            op = i;
    if (op < 0) {
        snprintf(why, wl, "expected a comparison (>=, >, <= or <) after '%s', got '%.*s'", name,
                 (int)(olen ? (olen > 16 ? 16 : olen) : strnlen(o0, 32)), o0);
        return false;
    }
    r.op = (enum scn_cmp)op;

    while (*p == ' ' || *p == '\t')
        p++;
    size_t vlen = strlen(p);
    while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
        vlen--;
    bool pct = vlen > 0 && p[vlen - 1] == '%';
    if (!units_parse_number(p, pct ? vlen - 1 : vlen, &r.value)) {
        snprintf(why, wl, "expected a number or a percentage like 90%% after '%s', got '%.*s'",
                 cmp_names[op], (int)(vlen > 32 ? 32 : vlen), p);
        return false;
    }
    if (pct)
        r.value /= 100.0;
    if (r.value == 0.0)
        r.value = 0.0; /* no -0 */
    *c = r;
    return true;
}

void scnv_format_cond(const struct scn_cond *c, char *buf, size_t len)
{
    char v[40];
    scnv_format_number(c->value, v, sizeof v);
    snprintf(buf, len, "%.31s %s %s", c->metric, (unsigned)c->op < 4 ? cmp_names[c->op] : "?", v);
}
