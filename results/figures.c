/* figures.c - extracting the key figures from run.json. */
#include "figures.h"

#include <math.h>
#include <string.h>

const struct figure_def figure_defs[FIG_COUNT] = {
    [FIG_NODES] = {"nodes", "nodes", UNIT_COUNT, false, "n/a"},
    [FIG_PEERS] = {"peers", "peers", UNIT_COUNT, false, "n/a"},
    [FIG_ONLINE_END] = {"online_final", "online at end", UNIT_COUNT, false, "n/a"},
    [FIG_ONLINE_PCT] = {"online_final_pct", "online at end %", UNIT_PERCENT, false, "n/a"},
    [FIG_T50] = {"t50_s", "t50 (50% online)", UNIT_SECONDS, false, "never"},
    [FIG_T95] = {"t95_s", "t95 (95% online)", UNIT_SECONDS, false, "never"},
    [FIG_T99] = {"t99_s", "t99 (99% online)", UNIT_SECONDS, false, "never"},
    [FIG_LOGIN_ATTEMPTS] = {"login_attempts", "login attempts", UNIT_COUNT, false, "n/a"},
    [FIG_LOGIN_OK] = {"login_ok", "logins ok", UNIT_COUNT, false, "n/a"},
    [FIG_LOGIN_BUSY] = {"login_busy", "logins busy", UNIT_COUNT, true, "n/a"},
    [FIG_LOGIN_TIMEOUT] = {"login_timeout", "logins timed out", UNIT_COUNT, true, "n/a"},
    [FIG_TGT_REQUESTS] = {"target_requests", "requests to the server", UNIT_COUNT, true, "n/a"},
    [FIG_TGT_REFUSED] = {"target_refused", "refused by the server", UNIT_COUNT, true, "n/a"},
    [FIG_TGT_RETRY_AFTER] = {"target_retry_after", "refused w/ Retry-After", UNIT_COUNT, true,
                             "n/a"},
    [FIG_TGT_PRESENCE_FAIL] = {"target_presence_failed", "presence/pings failed", UNIT_COUNT, true,
                               "n/a"},
    [FIG_AMPLIFICATION] = {"amplification", "amplification", UNIT_RATIO, false, "n/a"},
    [FIG_AMP_PEAK] = {"amplification_peak", "peak amplification", UNIT_RATIO, true, "n/a"},
    [FIG_ATTEMPTS_MAX] = {"login_attempts_per_node_max", "max attempts/peer", UNIT_COUNT, true,
                          "n/a"},
    [FIG_PEAK_RPS] = {"peak_login_rps", "peak logins/s", UNIT_RATE, false, "n/a"},
    [FIG_PEAK_OK_RPS] = {"peak_login_ok_rps", "peak ok/s", UNIT_RATE, true, "n/a"},
    [FIG_CAPACITY] = {"capacity_rps", "mean login capacity", UNIT_RATE, true, "n/a"},
    [FIG_SVC_CAPACITY] = {"service_capacity_rps", "mean service capacity", UNIT_RATE, true, "n/a"},
    [FIG_PEAK_SERVER_LOAD] = {"peak_server_load_pct", "peak server load", UNIT_PERCENT, true,
                              "n/a"},
    [FIG_LOOKUP_FOUND_PCT] = {"lookup_found_pct", "lookups found", UNIT_PERCENT, true, "n/a"},
    [FIG_BOOT_REFUSED] = {"boot_refused", "bootstrap refused", UNIT_COUNT, true, "n/a"},
    [FIG_IMAGE_T95] = {"image_t95_s", "image t95 (95% have it)", UNIT_SECONDS, true, "never"},
    [FIG_ONLINE_T95] = {"online_t95_s", "boxes online t95", UNIT_SECONDS, true, "never"},
    [FIG_EGRESS_PEAK] = {"egress_peak_mbps", "peak head-end egress", UNIT_MBPS, true, "n/a"},
    [FIG_CYCLES_MEAN] = {"cycles_mean", "cycles per box (mean)", UNIT_NUMBER, true, "n/a"},
    [FIG_FEC_OVERHEAD] = {"overhead_mean", "fountain overhead (mean)", UNIT_NUMBER, true, "n/a"},
    [FIG_RECOVERED] = {"recovered", "recovered", UNIT_BOOL, true, "n/a"},
    [FIG_RECOVERY_S] = {"recovery_s", "recovery time", UNIT_SECONDS, true, "never"},
    [FIG_METASTABLE] = {"metastable", "metastable", UNIT_BOOL, true, "n/a"},
    [FIG_FIDELITY_VALID] = {"fidelity_valid", "fidelity valid", UNIT_BOOL, false, "n/a"},
    [FIG_LAG_P99] = {"lag_p99_ms", "timer lag p99", UNIT_MS, true, "n/a"},
    [FIG_SKEW_P99] = {"skew_p99_ms", "event skew p99", UNIT_MS, true, "n/a"},
};

static enum fig_state from(int rc)
{
    return rc > 0 ? FV_VALUE : rc == 0 ? FV_NULL : FV_ABSENT;
}

static enum fig_state amplification(const struct run *r, double *v)
{
    json_t *a = json_object_get(r->summary, "amplification");
    /* Issue 3 may write it as a number or as {overall, peak}. */
    if (json_is_number(a)) {
        *v = json_number_value(a);
        return FV_VALUE;
    }
    if (json_is_object(a) && json_is_number(json_object_get(a, "overall"))) {
        *v = json_number_value(json_object_get(a, "overall"));
        return FV_VALUE;
    }
    double att, ok;
    if (run_number(r, "login_attempts", &att) != 1 || run_number(r, "login_ok", &ok) != 1)
        return FV_ABSENT;
    if (ok <= 0)
        return FV_NULL;
    *v = att / ok;
    return FV_VALUE;
}

/* target: a figure of summary.target, else the counter it comes from. */
static enum fig_state target_figure(const struct run *r, enum fig_id id, double *v)
{
    static const struct {
        enum fig_id id;
        const char *key, *counter;
    } map[] = {{FIG_TGT_REQUESTS, "requests", "tgt_requests"},
               {FIG_TGT_REFUSED, "refused", "login_busy"},
               {FIG_TGT_RETRY_AFTER, "refused_with_retry_after", "tgt_retry_after"},
               {FIG_TGT_PRESENCE_FAIL, "presence_failed", "tgt_presence_fail"}};
    if (!run_is_target(r))
        return FV_ABSENT;
    struct run_target_server srv;
    run_target_server(r, &srv);
    /* Retry-After is HTTP's: an MQTT broker's refusal has none. */
    if (id == FIG_TGT_RETRY_AFTER && srv.protocol && !strcmp(srv.protocol, "mqtt"))
        return FV_ABSENT;
    for (size_t k = 0; k < sizeof map / sizeof map[0]; k++)
        if (map[k].id == id) {
            int rc = run_target_number(r, map[k].key, v);
            return from(rc >= 0 ? rc : run_number(r, map[k].counter, v));
        }
    return FV_ABSENT;
}

const char *figure_null_reason(const struct run *r, enum fig_id id)
{
    if (id == FIG_CAPACITY && run_is_target(r))
        return "a real server's capacity is unknown (architecture target: bootstorm sees only "
               "its answers)";
    return NULL;
}

bool figure_is_login(enum fig_id id)
{
    switch (id) {
    case FIG_LOGIN_ATTEMPTS:
    case FIG_LOGIN_OK:
    case FIG_LOGIN_BUSY:
    case FIG_LOGIN_TIMEOUT:
    case FIG_AMPLIFICATION:
    case FIG_AMP_PEAK:
    case FIG_ATTEMPTS_MAX:
    case FIG_PEAK_RPS:
    case FIG_PEAK_OK_RPS:
    case FIG_CAPACITY:
        return true;
    default:
        return false;
    }
}

/* dht: the share of the user lookups that ended (found, not found, failed:
 * nobody answered, timed out) that found their record, as the coordinator
 * counts summary.lookup_found_share. */
static enum fig_state lookup_found(const struct run *r, double *v)
{
    static const char *const ended[] = {"req_ok", "dht_not_found", "dht_lookup_failed",
                                        "req_timeout"};
    double ok = 0, sum = 0, x;
    if (!run_is_dht(r))
        return FV_ABSENT;
    for (size_t k = 0; k < sizeof ended / sizeof ended[0]; k++) {
        if (run_number(r, ended[k], &x) != 1)
            return FV_ABSENT;
        sum += x;
        if (k == 0)
            ok = x;
    }
    if (sum <= 0)
        return FV_NULL;
    *v = 100 * ok / sum;
    return FV_VALUE;
}

bool figure_central_servers(const struct run *r, double *servers, double *max_servers, size_t *n_dc)
{
    json_t *dcs = run_scenario_get(r, "central.datacenters");
    if (strcmp(run_architecture(r), "central") || !json_is_array(dcs))
        return false;
    *servers = *max_servers = 0;
    *n_dc = 0;
    for (size_t k = 0; k < json_array_size(dcs); k++) {
        json_t *d = json_array_get(dcs, k), *s = json_object_get(d, "servers"),
               *m = json_object_get(d, "max_servers");
        if (!json_is_object(d))
            continue;
        double sv = json_is_number(s) ? json_number_value(s) : 0;
        double mv = json_is_number(m) ? json_number_value(m) : sv;
        *servers += sv;
        *max_servers += mv > sv ? mv : sv;
        (*n_dc)++;
    }
    return true;
}

/* Where a per-box settop figure is in run.json's settop object. */
static const char *settop_key(enum fig_id id)
{
    switch (id) {
    case FIG_IMAGE_T95:
        return "image_s.t95";
    case FIG_ONLINE_T95:
        return "online_s.t95";
    case FIG_CYCLES_MEAN:
        return "cycles_per_box.mean";
    default:
        return "fountain.overhead_mean";
    }
}

enum fig_state figure_value(const struct run *r, enum fig_id id, double *v)
{
    double peers, x;
    if (figure_is_login(id) && !run_uses_login(r))
        return FV_ABSENT;
    switch (id) {
    case FIG_T50:
    case FIG_T95:
    case FIG_T99:
    case FIG_ATTEMPTS_MAX:
        /* A rows-only summary has them null or absent: not known, not "never". */
        if (r->rows_only)
            return FV_ABSENT;
        return from(run_number(r, figure_defs[id].key, v));
    case FIG_NODES: {
        if (run_number(r, "peers", &peers) != 1)
            return FV_ABSENT;
        static const char *const servers[] = {"nodes.login_servers", "nodes.services",
                                              "nodes.supernodes"};
        *v = peers;
        for (size_t k = 0; k < sizeof servers / sizeof servers[0]; k++) {
            json_t *j = run_scenario_get(r, servers[k]);
            *v += json_is_number(j) ? json_number_value(j) : 0;
        }
        /* A central run also places every presence server, dormant spares
         * included, and one front door per data centre. */
        double up, ceiling;
        size_t n_dc;
        if (figure_central_servers(r, &up, &ceiling, &n_dc))
            *v += ceiling + (double)n_dc;
        /* A dht run places its bootstrap nodes, a settop run its head-end. */
        json_t *boot = run_scenario_get(r, "dht.bootstrap.nodes");
        if (run_is_dht(r) && json_is_number(boot))
            *v += json_number_value(boot);
        if (run_is_settop(r))
            *v += 1;
        return FV_VALUE;
    }
    case FIG_ONLINE_PCT:
        if (run_number(r, "peers", &peers) != 1 || run_number(r, "online_final", &x) != 1)
            return FV_ABSENT;
        if (peers <= 0)
            return FV_NULL;
        *v = 100 * x / peers;
        return FV_VALUE;
    case FIG_AMPLIFICATION:
        return amplification(r, v);
    case FIG_AMP_PEAK: {
        json_t *a = json_object_get(r->summary, "amplification");
        json_t *p = json_object_get(a, "peak");
        if (!json_is_object(a) || !p)
            return FV_ABSENT;
        if (!json_is_number(p))
            return FV_NULL;
        *v = json_number_value(p);
        return FV_VALUE;
    }
    case FIG_LOGIN_BUSY:
        if (run_is_target(r))
            return FV_ABSENT; /* the server's refusals: FIG_TGT_REFUSED */
        return from(run_number(r, figure_defs[id].key, v));
    case FIG_TGT_REQUESTS:
    case FIG_TGT_REFUSED:
    case FIG_TGT_RETRY_AFTER:
    case FIG_TGT_PRESENCE_FAIL:
        return target_figure(r, id, v);
    case FIG_CAPACITY:
    case FIG_SVC_CAPACITY:
        /* A real server's capacity is not known: null, not 0. */
        if (id == FIG_CAPACITY && run_is_target(r))
            return FV_NULL;
        /* The capacity that was there over the run, events and outages
         * included: one number that compares runs fairly. */
        *v = run_capacity_mean(r, id == FIG_CAPACITY ? RUN_SRV_LOGIN : RUN_SRV_SERVICE);
        return isnan(*v) ? FV_ABSENT : FV_VALUE;
    case FIG_PEAK_SERVER_LOAD:
        /* Supernodes or presence servers: busy worker time / available
         * worker time in the busiest interval. Runs from before the column
         * have none; a target run has no emulated server to be busy. */
        if (run_is_target(r) || !run_col_max(r, "server_load", &x))
            return FV_ABSENT;
        *v = 100 * x;
        return FV_VALUE;
    case FIG_LOOKUP_FOUND_PCT:
        return lookup_found(r, v);
    case FIG_BOOT_REFUSED:
        if (!run_is_dht(r))
            return FV_ABSENT;
        return from(run_number(r, "boot_refused", v));
    /* settop: from run.json's settop object; absent for other runs, and
     * the cycles for unicast, the overhead for all but fountain. A
     * rows-only summary has the per-box ones null: not known, not "never". */
    case FIG_IMAGE_T95:
    case FIG_ONLINE_T95:
    case FIG_CYCLES_MEAN:
    case FIG_FEC_OVERHEAD:
        if (r->rows_only)
            return FV_ABSENT;
        return from(run_settop_number(r, settop_key(id), v));
    case FIG_EGRESS_PEAK:
        return from(run_settop_number(r, "egress_peak_mbps", v));
    case FIG_FIDELITY_VALID:
        return from(run_number(r, "fidelity.valid", v));
    case FIG_LAG_P99:
        return from(run_number(r, "fidelity.lag_p99_ms", v));
    case FIG_SKEW_P99:
        return from(run_number(r, "fidelity.skew_p99_ms", v));
    default:
        return from(run_number(r, figure_defs[id].key, v));
    }
}

/* ---- the emulator's share ---- */

const char *const emu_figure_keys[EMU_FIGURES] = {
    "t50_s",        "t95_s",        "t99_s",           "recovery_s",      "login_p50_ms",
    "login_p95_ms", "login_p99_ms", "register_p50_ms", "register_p95_ms", "register_p99_ms"};
const char *const emu_figure_names[EMU_FIGURES] = {
    "t50",       "t95",       "t99",          "recovery",     "login p50",
    "login p95", "login p99", "register p50", "register p95", "register p99"};

enum fig_verdict figure_emu_verdict(const struct run *r, const char *key, double *share)
{
    json_t *f = json_object_get(json_object_get(r->summary, "figures"), key);
    json_t *sh = json_object_get(f, "emulator_share"), *vd = json_object_get(f, "verdict");
    if (share)
        *share = json_is_number(sh) ? json_number_value(sh) : NAN;
    if (!json_is_string(vd))
        return FVD_NONE;
    if (!strcmp(json_string_value(vd), "faithful"))
        return FVD_FAITHFUL;
    if (!strcmp(json_string_value(vd), "emulator-bound"))
        return FVD_BOUND;
    return FVD_UNKNOWN;
}

const char *figure_emu_key(enum fig_id id)
{
    switch (id) {
    case FIG_T50:
        return "t50_s";
    case FIG_T95:
        return "t95_s";
    case FIG_T99:
        return "t99_s";
    case FIG_RECOVERY_S:
        return "recovery_s";
    default:
        return NULL;
    }
}

bool figure_emulator_bound(const struct run *r, enum fig_id id)
{
    const char *key = figure_emu_key(id);
    return key && figure_emu_verdict(r, key, NULL) == FVD_BOUND;
}

double figure_emu_limit(const struct run *r)
{
    double v;
    return run_number(r, "fidelity.max_emulator_share", &v) == 1 ? v : NAN;
}
