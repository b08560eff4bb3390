/* scenario_values.c - the scenario loader's scalar parsers and formatters:
 * durations, numbers, fractions, rates, bandwidths, IPv4/CIDR, distributions
 * and conditions (internal to the scenario loader, see scenario.c). */
#include "scenario_values.h"

#include "metrics.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- text parsers (shared by the loader, the defaults and the CLI) ---- */

bool scn_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const struct {
    const char *name;
    int64_t ns;
} duration_units[] = {
    {"h", 3600000000000LL}, {"m", 60000000000LL}, {"s", 1000000000LL}, {"ms", 1000000LL},
    {"us", 1000LL},         {"µs", 1000LL},       {"ns", 1LL},
};

#define UNIT_LIST "ns, us, ms, s, m or h"

/* Exact decimal arithmetic: "1.5s" is 1500000000 ns, not a float's guess. */
bool parse_duration_why(const char *t, int64_t *ns, char *why, size_t wl)
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
    for (; scn_is_digit(*p); p++, digits++) {
        ip = ip * 10 + (unsigned)(*p - '0');
        if (ip > INT64_MAX) {
            snprintf(why, wl, "too large, got %s", t);
            return false;
        }
    }
    if (*p == '.') {
        p++;
        int fd = 0;
        for (; scn_is_digit(*p); p++, fd++, digits++) {
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

int scenario_parse_duration(const char *text, int64_t *ns)
{
    char why[160];
    if (!text || !ns)
        return -1;
    return parse_duration_why(text, ns, why, sizeof why) ? 0 : -1;
}

void scenario_format_duration(int64_t ns, char *buf, size_t len)
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
        if (!strcmp(duration_units[i].name, "µs"))
            continue;
        if (v % m == 0) {
            snprintf(buf, len, "%s%llu%s", sign, (unsigned long long)(v / m),
                     duration_units[i].name);
            return;
        }
    }
}

/* A double holding ns (a dist parameter) back to an int64 for printing. */
int64_t ns_of_double(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 9.2e18)
        return INT64_MAX;
    return llround(v);
}

/* Unsigned decimal, no sign, no exponent; a '-' only to say "must be >=". */
bool parse_uint_why(const char *t, uint64_t min, uint64_t max, uint64_t *out, char *why, size_t wl)
{
    const char *p = t;
    bool neg = false, overflow = false;
    uint64_t v = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!scn_is_digit(*p))
        goto bad;
    for (; scn_is_digit(*p); p++) {
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

/* Strict decimal number: -?digits[.digits][e[+-]digits]. No inf, nan, hex. */
bool parse_number(const char *t, size_t len, double *out)
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
    for (; scn_is_digit(buf[i]); i++)
        digits++;
    if (buf[i] == '.')
        for (i++; scn_is_digit(buf[i]); i++)
            digits++;
    if (digits == 0)
        return false;
    if (buf[i] == 'e' || buf[i] == 'E') {
        i++;
        if (buf[i] == '-' || buf[i] == '+')
            i++;
        if (!scn_is_digit(buf[i]))
            return false;
        while (scn_is_digit(buf[i]))
            i++;
    }
    if (buf[i] != '\0')
        return false;
    *out = strtod(buf, NULL);
    return isfinite(*out);
}

bool parse_fraction_why(const char *t, double *out, char *why, size_t wl)
{
    size_t len = strlen(t);
    bool pct = len > 0 && t[len - 1] == '%';
    double v;

    if (!parse_number(t, pct ? len - 1 : len, &v)) {
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
bool parse_ipv4(const char *t, const char **end, uint32_t *out)
{
    uint32_t a = 0;
    const char *p = t;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (*p != '.')
                return false;
            p++;
        }
        if (!scn_is_digit(*p))
            return false;
        unsigned v = 0;
        int nd = 0;
        const char *s = p;
        for (; scn_is_digit(*p); p++, nd++) {
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

uint32_t prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

bool parse_cidr_why(const char *t, struct scn_net *net, char *why, size_t wl)
{
    const char *p;
    uint32_t a;
    if (!parse_ipv4(t, &p, &a) || *p != '/' || !scn_is_digit(p[1]))
        goto bad;
    p++;
    unsigned prefix = 0;
    int nd = 0;
    for (; scn_is_digit(*p); p++, nd++) {
        if (nd == 2)
            goto range;
        prefix = prefix * 10 + (unsigned)(*p - '0');
    }
    if (*p != '\0')
        goto bad;
    if (prefix > 32)
        goto range;
    net->prefix = (uint8_t)prefix;
    net->addr = a & prefix_mask(prefix); /* host bits are accepted and dropped */
    return true;
range:
    snprintf(why, wl, "prefix length must be 0 to 32, got '%.64s'", t);
    return false;
bad:
    snprintf(why, wl, "expected an IPv4 network like 127.0.0.0/8, got '%.64s'", t);
    return false;
}

void format_ipv4(uint32_t a, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

void format_cidr(const struct scn_net *n, char *buf, size_t len)
{
    char ip[16];
    format_ipv4(n->addr, ip, sizeof ip);
    snprintf(buf, len, "%s/%u", ip, (unsigned)n->prefix);
}

/* ---- distributions ---- */

#define DIST_SIGMA_MAX 10.0 /* beyond this a lognormal draw overflows int64 ns */

static const char *const dist_names[] = {"const", "uniform", "exp", "lognormal"};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

static bool dist_arg_duration(const char *fn, const char *what, const char *arg, double *out,
                              char *why, size_t wl)
{
    int64_t ns;
    char sub[160];
    if (!parse_duration_why(arg, &ns, sub, sizeof sub)) {
        snprintf(why, wl, "%s: %s: %s", fn, what, sub);
        return false;
    }
    *out = (double)ns;
    return true;
}

bool parse_dist_why(const char *text, struct dist *d, char *why, size_t wl)
{
    char buf[160];
    if (strlen(text) >= sizeof buf) {
        snprintf(why, wl, "distribution too long");
        return false;
    }
    strcpy(buf, text);
    char *s = trim(buf);
    char *open = strchr(s, '(');

    if (!open) {
        int64_t ns;
        if (scn_is_digit(*s) || *s == '.' || *s == '-' || *s == '\0') {
            if (!parse_duration_why(s, &ns, why, wl))
                return false;
            *d = (struct dist){.kind = DIST_CONST, .a = (double)ns};
            return true;
        }
        snprintf(why, wl,
                 "expected a duration or a distribution (const, uniform, exp, lognormal), "
                 "got '%.64s'",
                 text);
        return false;
    }

    size_t n = strlen(s);
    if (n == 0 || s[n - 1] != ')') {
        snprintf(why, wl, "missing ')' in '%.64s'", text);
        return false;
    }
    s[n - 1] = '\0';
    *open = '\0';
    char *fn = trim(s);
    char *args = open + 1;
    if (strchr(args, '(') || strchr(args, ')')) {
        snprintf(why, wl, "unexpected parenthesis in '%.64s'", text);
        return false;
    }

    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(fn, dist_names[i]))
            kind = i;
    if (kind < 0) {
        snprintf(why, wl,
                 "unknown distribution '%.32s' (expected const, uniform, exp or lognormal)", fn);
        return false;
    }

    char *argv[3];
    int argc = 0;
    for (char *p = args;; argc++) {
        char *comma = strchr(p, ',');
        if (argc < 3)
            argv[argc] = p;
        if (!comma) {
            argc++;
            break;
        }
        *comma = '\0';
        p = comma + 1;
    }
    for (int i = 0; i < argc && i < 3; i++)
        argv[i] = trim(argv[i]);
    int want = (kind == DIST_CONST || kind == DIST_EXP) ? 1 : 2;
    if (argc != want || argv[argc - 1][0] == '\0') {
        static const char *const usage[] = {"const(VALUE)", "uniform(LOW, HIGH)", "exp(MEAN)",
                                            "lognormal(MEDIAN, SIGMA)"};
        snprintf(why, wl, "%s takes %d argument%s: %s, got '%.64s'", fn, want, want == 1 ? "" : "s",
                 usage[kind], text);
        return false;
    }

    struct dist r = {.kind = (enum dist_kind)kind};
    if (!dist_arg_duration(fn,
                           kind == DIST_CONST     ? "value"
                           : kind == DIST_UNIFORM ? "low"
                           : kind == DIST_EXP     ? "mean"
                                                  : "median",
                           argv[0], &r.a, why, wl))
        return false;
    switch (kind) {
    case DIST_CONST:
        break;
    case DIST_UNIFORM:
        if (!dist_arg_duration(fn, "high", argv[1], &r.b, why, wl))
            return false;
        if (r.a > r.b) {
            snprintf(why, wl, "uniform: low (%s) must be <= high (%s)", argv[0], argv[1]);
            return false;
        }
        break;
    case DIST_EXP:
        if (!(r.a > 0)) {
            snprintf(why, wl, "exp: mean must be > 0, got %s", argv[0]);
            return false;
        }
        break;
    case DIST_LOGNORMAL:
        if (!(r.a > 0)) {
            snprintf(why, wl, "lognormal: median must be > 0, got %s", argv[0]);
            return false;
        }
        if (!parse_number(argv[1], strlen(argv[1]), &r.b)) {
            snprintf(why, wl, "lognormal: sigma must be a plain number like 0.5, got '%.32s'",
                     argv[1]);
            return false;
        }
        if (!(r.b >= 0 && r.b <= DIST_SIGMA_MAX)) {
            snprintf(why, wl, "lognormal: sigma must be in [0, %g], got %s", DIST_SIGMA_MAX,
                     argv[1]);
            return false;
        }
        r.b = r.b == 0.0 ? 0.0 : r.b;
        break;
    }
    *d = r;
    return true;
}

/* Shortest %.Ng that reads back as the same double. */
static int shortest_precision(double v)
{
    char buf[40];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if (strtod(buf, NULL) == v)
            return p;
    }
    return 17;
}

void format_dist(const struct dist *d, char *buf, size_t len)
{
    char a[32], b[32];
    scenario_format_duration(ns_of_double(d->a), a, sizeof a);
    switch (d->kind) {
    case DIST_UNIFORM:
        scenario_format_duration(ns_of_double(d->b), b, sizeof b);
        snprintf(buf, len, "uniform(%s, %s)", a, b);
        break;
    case DIST_EXP:
        snprintf(buf, len, "exp(%s)", a);
        break;
    case DIST_LOGNORMAL: {
        double sigma = isfinite(d->b) ? d->b : 0.0;
        snprintf(buf, len, "lognormal(%s, %.*g)", a, shortest_precision(sigma), sigma);
        break;
    }
    case DIST_CONST:
    default:
        snprintf(buf, len, "%s", a);
        break;
    }
}

/* ---- numbers, rates, booleans, conditions ---- */

/* Digits for %.*g: the shortest that reads back as the same double, but never
 * so few that a whole number turns into an exponent (100, not 1e+02). */
int number_precision(double v)
{
    int p = shortest_precision(v);
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

void format_number(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.*g", number_precision(v), v == 0.0 ? 0.0 : v);
}

/* "500/s", "30/m", "2/h", "0.5/s": stored as a double per second. */
bool parse_rate_why(const char *t, double *out, char *why, size_t wl)
{
    const char *slash = strchr(t, '/');
    size_t nlen = slash ? (size_t)(slash - t) : strlen(t);
    double v;

    while (nlen > 0 && t[nlen - 1] == ' ')
        nlen--;
    if (!parse_number(t, nlen, &v)) {
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

void format_rate(double v, char *buf, size_t len)
{
    char n[40];
    format_number(v, n, sizeof n);
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

bool parse_bandwidth_why(const char *t, uint64_t *out, char *why, size_t wl)
{
    const char *p = t;
    unsigned __int128 ip = 0, frac = 0, scale = 1;
    int digits = 0;
    bool big = false;

    if (*p == '-') {
        snprintf(why, wl, "must be >= 0, got %.64s", t);
        return false;
    }
    for (; scn_is_digit(*p); p++, digits++) {
        if (ip > (unsigned __int128)BW_MAX * 8)
            big = true; /* stop before __int128 could overflow below */
        else
            ip = ip * 10 + (unsigned)(*p - '0');
    }
    if (*p == '.') {
        int fd = 0;
        for (p++; scn_is_digit(*p); p++, fd++, digits++) {
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
void format_bandwidth(uint64_t Bps, char *buf, size_t len)
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

bool parse_bool_why(const char *t, bool *out, char *why, size_t wl)
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
bool parse_cond_why(const char *t, struct scn_cond *c, char *why, size_t wl)
{
    const char *p = t, *m0;
    struct scn_cond r;
    char name[64];

    memset(&r, 0, sizeof r);
    while (*p == ' ' || *p == '\t')
        p++;
    m0 = p;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || scn_is_digit(*p) || *p == '_')
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
    if (!parse_number(p, pct ? vlen - 1 : vlen, &r.value)) {
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

void format_cond(const struct scn_cond *c, char *buf, size_t len)
{
    char v[40];
    format_number(c->value, v, sizeof v);
    snprintf(buf, len, "%.31s %s %s", c->metric, (unsigned)c->op < 4 ? cmp_names[c->op] : "?", v);
}
