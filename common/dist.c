/* dist.c - duration distributions: the text syntax (parse, format), draws
 * and means. */
#include "dist.h"

#include "units.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper clamp for a drawn value: ~11.6 days, far beyond any run, and well
 * inside int64 so the conversion below is always defined. */
#define DIST_MAX_NS 1e15

int64_t dist_draw(const struct dist *d, struct rng *r)
{
    double v;

    switch (d->kind) {
    case DIST_CONST:
        v = d->a;
        break;
    case DIST_UNIFORM:
        v = d->a + rng_uniform(r) * (d->b - d->a);
        break;
    case DIST_EXP:
        /* log1p(-U) = ln(1 - U); 1 - U is in (0, 1], so it is finite. */
        v = -d->a * log1p(-rng_uniform(r));
        break;
    case DIST_LOGNORMAL:
        v = d->a * exp(d->b * rng_normal(r));
        break;
    default:
        v = 0.0;
        break;
    }
    /* Written so that NaN also ends up at 0. */
    if (!(v >= 0.0))
        v = 0.0;
    if (v > DIST_MAX_NS)
        v = DIST_MAX_NS;
    return (int64_t)llround(v);
}

double dist_mean(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONST:
        return d->a;
    case DIST_UNIFORM:
        return (d->a + d->b) / 2.0;
    case DIST_EXP:
        return d->a;
    case DIST_LOGNORMAL:
        return d->a * exp(d->b * d->b / 2.0);
    case DIST_KEEP: /* not a distribution: no mean */
        break;
    }
    return 0.0;
}

/* ---- text ---- */

#define DIST_SIGMA_MAX 10.0 /* beyond this a lognormal draw overflows int64 ns */
#define DIST_TEXT_MAX 160   /* longer text is refused before it is copied */

/* Indexed by the drawable kinds, DIST_CONST to DIST_LOGNORMAL. */
static const struct {
    const char *name;
    int nargs;
    const char *usage;
    const char *first; /* what the first argument is, for messages */
} dist_syntax[] = {
    [DIST_CONST] = {"const", 1, "const(VALUE)", "value"},
    [DIST_UNIFORM] = {"uniform", 2, "uniform(LOW, HIGH)", "low"},
    [DIST_EXP] = {"exp", 1, "exp(MEAN)", "mean"},
    [DIST_LOGNORMAL] = {"lognormal", 2, "lognormal(MEDIAN, SIGMA)", "median"},
};
#define N_DIST_SYNTAX (sizeof dist_syntax / sizeof dist_syntax[0])

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* One duration argument of fn(...), as a double holding ns. */
static bool arg_duration(const char *fn, const char *what, const char *arg, double *out, char *why,
                         size_t wl)
{
    int64_t ns;
    char sub[160];
    if (!units_parse_duration(arg, &ns, sub, sizeof sub)) {
        snprintf(why, wl, "%s: %s: %s", fn, what, sub);
        return false;
    }
    *out = (double)ns;
    return true;
}

bool dist_parse(const char *text, struct dist *out, char *why, size_t wl)
{
    char buf[DIST_TEXT_MAX];
    if (strlen(text) >= sizeof buf) {
        snprintf(why, wl, "distribution too long");
        return false;
    }
    strcpy(buf, text);
    char *s = trim(buf);
    char *open = strchr(s, '(');

    if (!open) {
        int64_t ns;
        if ((*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '\0') {
            if (!units_parse_duration(s, &ns, why, wl))
                return false;
            *out = (struct dist){.kind = DIST_CONST, .a = (double)ns};
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
    for (size_t i = 0; i < N_DIST_SYNTAX; i++)
        if (!strcmp(fn, dist_syntax[i].name))
            kind = (int)i;
    if (kind < 0) {
        snprintf(why, wl,
                 "unknown distribution '%.32s' (expected const, uniform, exp or lognormal)", fn);
        return false;
    }

    /* Split on commas; count them all, keep the first three. */
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
    int want = dist_syntax[kind].nargs;
    if (argc != want || argv[argc - 1][0] == '\0') {
        snprintf(why, wl, "%s takes %d argument%s: %s, got '%.64s'", fn, want, want == 1 ? "" : "s",
                 dist_syntax[kind].usage, text);
        return false;
    }

    struct dist r = {.kind = (enum dist_kind)kind};
    if (!arg_duration(fn, dist_syntax[kind].first, argv[0], &r.a, why, wl))
        return false;
    switch (r.kind) {
    case DIST_UNIFORM:
        if (!arg_duration(fn, "high", argv[1], &r.b, why, wl))
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
        if (!units_parse_number(argv[1], strlen(argv[1]), &r.b)) {
            snprintf(why, wl, "lognormal: sigma must be a plain number like 0.5, got '%.32s'",
                     argv[1]);
            return false;
        }
        if (!(r.b >= 0 && r.b <= DIST_SIGMA_MAX)) {
            snprintf(why, wl, "lognormal: sigma must be in [0, %g], got %s", DIST_SIGMA_MAX,
                     argv[1]);
            return false;
        }
        r.b = r.b == 0.0 ? 0.0 : r.b; /* no -0 */
        break;
    default: /* DIST_CONST: nothing more */
        break;
    }
    *out = r;
    return true;
}

void dist_format(const struct dist *d, char *buf, size_t len)
{
    char a[32], b[32];

    if (buf == NULL || len == 0)
        return;
    units_format_duration(units_ns_of_double(d->a), a, sizeof a);
    switch (d->kind) {
    case DIST_CONST:
        snprintf(buf, len, "%s", a);
        break;
    case DIST_UNIFORM:
        units_format_duration(units_ns_of_double(d->b), b, sizeof b);
        snprintf(buf, len, "uniform(%s, %s)", a, b);
        break;
    case DIST_EXP:
        snprintf(buf, len, "exp(%s)", a);
        break;
    case DIST_LOGNORMAL: {
        double sigma = isfinite(d->b) ? d->b : 0.0;
        snprintf(buf, len, "lognormal(%s, %.*g)", a, units_shortest_precision(sigma), sigma);
        break;
    }
    default: /* DIST_KEEP has no text: it is never written */
        snprintf(buf, len, "?");
        break;
    }
}
