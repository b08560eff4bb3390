/* fmt.c - human units. */
#include "fmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void fmt_sig(double v, int sig, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "n/a" : v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, len, "0");
        return;
    }
    int mag = (int)floor(log10(fabs(v)));
    int dec = sig - 1 - mag;
    if (dec < 0)
        dec = 0;
    /* Rounding can carry into a new digit (9.996 -> 10.0): redo with it. */
    double p = pow(10, dec);
    double r = round(v * p) / p;
    if (r != 0) {
        int mag2 = (int)floor(log10(fabs(r)));
        if (mag2 > mag && dec > 0)
            dec--;
    }
    snprintf(buf, len, "%.*f", dec, v);
    if (!strcmp(buf, "-0"))
        snprintf(buf, len, "0");
}

/* Integer with thousands separators: 4157 -> "4,157". */
static void with_commas(double v, int decimals, char *buf, size_t len)
{
    char raw[64];
    snprintf(raw, sizeof raw, "%.*f", decimals, fabs(v));
    const char *dot = strchr(raw, '.');
    size_t intlen = dot ? (size_t)(dot - raw) : strlen(raw);
    char out[96];
    size_t o = 0;
    if (v < 0 && strspn(raw, "0.") != strlen(raw))
        out[o++] = '-';
    for (size_t i = 0; i < intlen; i++) {
        if (i > 0 && (intlen - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = raw[i];
    }
    if (dot) {
        size_t rest = strlen(dot);
        memcpy(out + o, dot, rest);
        o += rest;
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
}

/* 123456 -> "123k", 1234567 -> "1.23M". */
static void si(double v, const char *suffix, char *buf, size_t len)
{
    static const char *pre[] = {"", "k", "M", "G", "T", "P"};
    int i = 0;
    double a = fabs(v);
    while (a >= 999.5 && i < 5) {
        a /= 1000;
        v /= 1000;
        i++;
    }
    char num[32];
    fmt_sig(v, 3, num, sizeof num);
    snprintf(buf, len, "%s%s%s", num, pre[i], suffix);
}

static void seconds(double s, char *buf, size_t len)
{
    char num[32];
    double a = fabs(s);
    if (a == 0)
        snprintf(buf, len, "0 s");
    else if (a < 1e-3) {
        fmt_sig(s * 1e6, 3, num, sizeof num);
        snprintf(buf, len, "%s µs", num);
    } else if (a < 0.9995) {
        fmt_sig(s * 1e3, 3, num, sizeof num);
        snprintf(buf, len, "%s ms", num);
    } else if (a < 599.5) {
        fmt_sig(s, 3, num, sizeof num);
        snprintf(buf, len, "%s s", num);
    } else if (a < 3 * 3600) {
        fmt_sig(s / 60, 3, num, sizeof num);
        snprintf(buf, len, "%s min", num);
    } else {
        fmt_sig(s / 3600, 3, num, sizeof num);
        snprintf(buf, len, "%s h", num);
    }
}

static void bytes(double v, char *buf, size_t len)
{
    static const char *pre[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (fabs(v) >= 1023.5 && i < 4) {
        v /= 1024;
        i++;
    }
    char num[32];
    if (i == 0)
        snprintf(num, sizeof num, "%.0f", v);
    else
        fmt_sig(v, 3, num, sizeof num);
    snprintf(buf, len, "%s %s", num, pre[i]);
}

/* The index into {kbit/s, Mbit/s, Gbit/s} for a rate in Mbit/s, and the
 * factor from Mbit/s to it. */
static int bitrate_scale(double mbps, double *scale)
{
    double a = fabs(mbps);
    if (a != 0 && a < 0.9995) {
        *scale = 1e3;
        return 0;
    }
    if (a >= 999.5) {
        *scale = 1e-3;
        return 2;
    }
    *scale = 1;
    return 1;
}

static const char *const bitrate_suffix[] = {" kbit/s", " Mbit/s", " Gbit/s"};

static void bitrate(double mbps, char *buf, size_t len)
{
    double scale;
    int i = bitrate_scale(mbps, &scale);
    char num[32];
    fmt_sig(mbps * scale, 3, num, sizeof num);
    snprintf(buf, len, "%s%s", num, bitrate_suffix[i]);
}

void fmt_value(enum unit u, double v, char *buf, size_t len)
{
    if (isnan(v)) {
        snprintf(buf, len, "n/a");
        return;
    }
    switch (u) {
    case UNIT_COUNT:
        if (fabs(v) >= 99999.5)
            si(v, "", buf, len);
        else
            with_commas(v, v == floor(v) ? 0 : 1, buf, len);
        return;
    case UNIT_SECONDS:
        seconds(v, buf, len);
        return;
    case UNIT_MS:
        seconds(v / 1e3, buf, len);
        return;
    case UNIT_RATE:
        si(v, "/s", buf, len);
        return;
    case UNIT_RATIO: {
        char num[32];
        fmt_sig(v, 3, num, sizeof num);
        snprintf(buf, len, "%s×", num);
        return;
    }
    case UNIT_PERCENT:
        snprintf(buf, len, "%.1f%%", v);
        return;
    case UNIT_BYTES:
        bytes(v, buf, len);
        return;
    case UNIT_MBPS:
        bitrate(v, buf, len);
        return;
    case UNIT_NUMBER:
        fmt_sig(v, 3, buf, len);
        return;
    case UNIT_BOOL:
        snprintf(buf, len, "%s", v != 0 ? "yes" : "no");
        return;
    }
    snprintf(buf, len, "%g", v);
}

void fmt_delta(enum unit u, double d, char *buf, size_t len)
{
    if (isnan(d)) {
        snprintf(buf, len, "n/a");
        return;
    }
    char body[FMT_LEN];
    if (u == UNIT_BOOL)
        fmt_sig(fabs(d), 3, body, sizeof body);
    else if (u == UNIT_PERCENT)
        snprintf(body, sizeof body, "%.1f pt", fabs(d));
    else
        fmt_value(u, fabs(d), body, sizeof body);
    /* A delta that rounds to zero carries no sign. */
    int zero = strspn(body, "0.,") == strspn(body, "0123456789.,");
    snprintf(buf, len, "%s%s", zero ? "±" : d > 0 ? "+" : "-", body);
}

void fmt_pct_change(double pct, char *buf, size_t len)
{
    if (!isfinite(pct)) {
        snprintf(buf, len, "%s", "");
        return;
    }
    char num[32];
    if (fabs(pct) >= 10)
        snprintf(num, sizeof num, "%.0f", fabs(pct));
    else
        snprintf(num, sizeof num, "%.1f", fabs(pct));
    int zero = !strcmp(num, "0.0");
    snprintf(buf, len, "%s%s%%", zero ? "±" : pct > 0 ? "+" : "-", num);
}

const char *unit_suffix(enum unit u)
{
    switch (u) {
    case UNIT_SECONDS:
        return "s";
    case UNIT_MS:
        return "ms";
    case UNIT_RATE:
        return "1/s";
    case UNIT_PERCENT:
        return "%";
    case UNIT_BYTES:
        return "B";
    case UNIT_RATIO:
        return "×";
    case UNIT_MBPS:
        return "Mbit/s";
    default:
        return "";
    }
}

/* Scale and suffix that fmt_value would pick for v. */
static void pick_scale(enum unit u, double v, double *scale, const char **suffix)
{
    double a = fabs(v);
    *scale = 1;
    *suffix = "";
    switch (u) {
    case UNIT_MS:
        a /= 1e3;
        *scale = 1e-3;
        /* fall through */
    case UNIT_SECONDS: {
        double base = *scale;
        if (a < 1e-3)
            *scale = base * 1e6, *suffix = " µs";
        else if (a < 0.9995)
            *scale = base * 1e3, *suffix = " ms";
        else if (a < 599.5)
            *scale = base, *suffix = " s";
        else if (a < 3 * 3600)
            *scale = base / 60, *suffix = " min";
        else
            *scale = base / 3600, *suffix = " h";
        return;
    }
    case UNIT_RATE:
    case UNIT_COUNT: {
        static const char *const pre[] = {"", "k", "M", "G", "T"};
        static const char *const pre_rate[] = {"/s", "k/s", "M/s", "G/s", "T/s"};
        int i = 0;
        if (u == UNIT_RATE || a >= 99999.5)
            while (a >= 999.5 && i < 4) {
                a /= 1000;
                *scale /= 1000;
                i++;
            }
        *suffix = u == UNIT_RATE ? pre_rate[i] : pre[i];
        return;
    }
    case UNIT_BYTES: {
        static const char *const pre[] = {" B", " KiB", " MiB", " GiB", " TiB"};
        int i = 0;
        while (a >= 1023.5 && i < 4) {
            a /= 1024;
            *scale /= 1024;
            i++;
        }
        *suffix = pre[i];
        return;
    }
    case UNIT_RATIO:
        *suffix = "×";
        return;
    case UNIT_PERCENT:
        *suffix = "%";
        return;
    case UNIT_MBPS:
        *suffix = bitrate_suffix[bitrate_scale(v, scale)];
        return;
    case UNIT_NUMBER:
    case UNIT_BOOL:
        return;
    }
}

void fmt_pm(enum unit u, double mean, double ci, char *buf, size_t len)
{
    if (isnan(mean) || u == UNIT_BOOL) {
        fmt_value(u, mean, buf, len);
        return;
    }
    double scale;
    const char *suffix;
    pick_scale(u, mean, &scale, &suffix);
    char m[FMT_LEN], c[FMT_LEN];
    double ms = mean * scale, cs = ci * scale;
    if (u == UNIT_PERCENT)
        snprintf(m, sizeof m, "%.1f", ms);
    else if (u == UNIT_COUNT && scale == 1)
        with_commas(ms, ms == floor(ms) ? 0 : 1, m, sizeof m);
    else
        fmt_sig(ms, 3, m, sizeof m);
    const char *dot = strchr(m, '.');
    int dec = dot ? (int)strlen(dot + 1) : 0;
    if (isnan(ci)) {
        snprintf(buf, len, "%s%s", m, suffix);
        return;
    }
    /* The interval with the mean's decimals, unless that rounds it to 0. */
    if (cs != 0 && fabs(cs) < 0.5 * pow(10, -dec))
        fmt_sig(cs, 1, c, sizeof c);
    else {
        /* ... and no more than three significant digits of it. */
        if (cs != 0) {
            int d3 = 2 - (int)floor(log10(fabs(cs)));
            if (d3 < dec)
                dec = d3 < 0 ? 0 : d3;
        }
        if (u == UNIT_COUNT && scale == 1)
            with_commas(cs, dec, c, sizeof c);
        else
            snprintf(c, sizeof c, "%.*f", dec, cs);
    }
    snprintf(buf, len, "%s ± %s%s", m, c, suffix);
}
