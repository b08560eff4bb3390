/* rundir.c - writing the run directory (see rundir.h). */
#include "rundir.h"

#include "common/placement.h"
#include "common/scenario.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct rundir {
    char dir[4096];
    FILE *ts;
    FILE *events;
    uint32_t n_dc;
    bool dht; /* the dht columns */
};

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

void rundir_default_dir(const char *name, char *buf, size_t len)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, len, "runs/%s-%s", ts, name);
}

static FILE *open_csv(struct rundir *r, const char *name, char *err, size_t errlen)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

struct rundir *rundir_open(const char *dir, const struct scenario *s, char *err, size_t errlen)
{
    struct rundir *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    if (mkdir_p(dir) < 0) {
        snprintf(err, errlen, "cannot create results directory %s: %s", dir, strerror(errno));
        free(r);
        return NULL;
    }
    if (!(r->ts = open_csv(r, "timeseries.csv", err, errlen)) ||
        !(r->events = open_csv(r, "events.csv", err, errlen))) {
        rundir_close(r);
        return NULL;
    }
    fprintf(r->ts, "t_s");
    for (int g = 0; g < G_COUNT; g++)
        fprintf(r->ts, ",%s", metrics_gauge_name(g));
    for (int c = 0; c < C_COUNT; c++)
        fprintf(r->ts, ",%s", metrics_counter_name(c));
    fprintf(r->ts,
            ",lag_p99_ms,lag_max_ms,cpu_max,ranks,emu_stall_ms,login_emu_p99_ms,server_load");
    r->n_dc = s && s->architecture == ARCH_CENTRAL ? s->central.n_dc : 0;
    for (uint32_t d = 0; d < r->n_dc; d++) {
        const char *n = s->central.dc[d].name;
        fprintf(r->ts, ",dc_%s_servers,dc_%s_clients,dc_%s_load,dc_%s_refusals,dc_%s_spills", n, n,
                n, n, n);
    }
    r->dht = s && s->architecture == ARCH_DHT;
    if (r->dht)
        fprintf(r->ts, ",lookup_p50_ms,lookup_p99_ms,hops_p50,hops_p99,lookup_success,"
                       "dht_live_contacts,dht_dead_share");
    fprintf(r->ts, ",egress_mbps,image_p50_ms,image_p99_ms,cpu_wait_ms\n");
    fflush(r->ts);
    fprintf(r->events, "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n");
    fflush(r->events);
    return r;
}

void rundir_close(struct rundir *r)
{
    if (!r)
        return;
    if (r->ts)
        fclose(r->ts);
    if (r->events)
        fclose(r->events);
    free(r);
}

const char *rundir_path(const struct rundir *r)
{
    return r->dir;
}

static int replace_file(struct rundir *r, const char *name, const char *text, bool sync)
{
    /* Write to a temporary name and rename, so a reader never sees half a
     * file, and a crash leaves the previous version intact. */
    char tmp[4300], path[4300];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", r->dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)n;
    }
    bool ok = !sync || fsync(fd) == 0;
    if (close(fd) < 0 || !ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int rundir_write_file(struct rundir *r, const char *name, const char *text)
{
    return replace_file(r, name, text, true);
}

int rundir_update_file(struct rundir *r, const char *name, const char *text)
{
    return replace_file(r, name, text, false);
}

int rundir_write_placement(struct rundir *r, const struct placement *p, char (*hosts)[64])
{
    char path[4300], tmp[4300];
    snprintf(path, sizeof path, "%s/placement.csv", r->dir);
    snprintf(tmp, sizeof tmp, "%s/.placement.csv.tmp", r->dir);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "node_id,role,rank,host,address\n");
    for (uint32_t id = 0; id < p->n_nodes; id++) {
        char addr[32];
        int rank = placement_rank_of(p, id);
        placement_format_addr(p, id, addr, sizeof addr);
        fprintf(f, "%u,%s,%d,%s,%s\n", id, role_name(placement_role(p, id)), rank, hosts[rank],
                addr);
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void rundir_append_row(struct rundir *r, const struct ts_row *row)
{
    fprintf(r->ts, "%.3f", row->t_s);
    for (int g = 0; g < G_COUNT; g++)
        fprintf(r->ts, ",%lld", (long long)row->g[g]);
    for (int c = 0; c < C_COUNT; c++)
        fprintf(r->ts, ",%llu", (unsigned long long)row->d[c]);
    fprintf(r->ts, ",%.3f,%.3f,%.3f,%d,%.3f,%.3f,%.3f", row->lag_p99_ms, row->lag_max_ms,
            row->cpu_max, row->ranks, row->emu_stall_ms, row->login_emu_p99_ms, row->server_load);
    for (uint32_t d = 0; d < r->n_dc && d < METRICS_MAX_DCS; d++) {
        const struct dc_row *x = &row->dc[d];
        fprintf(r->ts, ",%lld,%lld,%.3f,%llu,%llu", (long long)x->servers, (long long)x->clients,
                x->load, (unsigned long long)x->refusals, (unsigned long long)x->spills);
    }
    if (r->dht)
        fprintf(r->ts, ",%.3f,%.3f,%.0f,%.0f,%.4f,%.2f,%.4f", row->lookup_p50_ms,
                row->lookup_p99_ms, row->hops_p50, row->hops_p99, row->lookup_success,
                row->dht_live_contacts, row->dht_dead_share);
    fprintf(r->ts, ",%.3f,%.3f,%.3f,", row->egress_mbps, row->image_p50_ms, row->image_p99_ms);
    if (row->cpu_wait_ms >= 0)
        fprintf(r->ts, "%.3f", row->cpu_wait_ms);
    fputc('\n', r->ts);
    fflush(r->ts);
}

void rundir_append_event(struct rundir *r, uint32_t event, const char *kind, int rank,
                         int64_t scheduled_ns, int64_t actual_ns, uint32_t selected)
{
    fprintf(r->events, "%u,%s,%d,%.6f,%.6f,%.3f,%u\n", event, kind, rank, scheduled_ns / 1e9,
            actual_ns / 1e9, (actual_ns - scheduled_ns) / 1e6, selected);
    fflush(r->events);
}
