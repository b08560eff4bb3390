/* main.c - the bootstorm command line, and the run's start-up and tear-down
 * on every rank.
 *
 *   rank 0                          ranks 1..N
 *   load + check the scenario  -->  (bcast) scenario
 *   make results dir, key material --> (bcast) key material
 *   clock sync (ping-pong)    <-->  clock sync
 *   [host its nodes if alone]       host_init: bind listeners, create peers
 *             all ranks agree everything started (allreduce)
 *   t0 = now + lead           -->   (bcast) t0
 *   event loop: coordinator         event loop: node host
 *             final gathers: per-peer results, histograms, rank facts
 *   write run.json, summary
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <event2/event.h>
#include <mpi.h>

#include "common/clock.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "control/clocksync_mpi.h"
#include "control/ctrl.h"
#include "control/rank_host.h"
#include "coordinator/coord.h"
#include "coordinator/rundir.h"
#include "node/host.h"
#include "node/hostaddr.h"

#define EXIT_BAD_INPUT 2
#define MAX_OVERRIDES 256
#define CLOCK_ROUNDS 32

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bootstorm run SCENARIO.yaml [--out DIR] [--set key.path=value ...] [--quiet]\n"
            "       bootstorm check SCENARIO.yaml [--set key.path=value ...]\n"
            "       bootstorm --help | --version\n"
            "\n"
            "Emulates a boot storm with real protocol stacks. Start it under MPI:\n"
            "  mpirun -np 3 --oversubscribe bootstorm run scenarios/quickstart.yaml\n"
            "Rank 0 coordinates; ranks 1..N host the nodes (a single process does both).\n"
            "\n"
            "  run     run the scenario and write a results directory\n"
            "  check   validate the scenario (with overrides) and print it resolved, as JSON\n"
            "  --out DIR         results directory (default runs/<UTC time>-<name>)\n"
            "  --set KEY=VALUE   override any scenario key, e.g. --set nodes.peers=500\n"
            "  --quiet           no progress line\n"
            "\n"
            "Exit status: 0 success, 1 run failure, 2 bad scenario or command line.\n"
            "Docs: docs/scenarios.md (format), docs/results.md (outputs).\n");
}

struct cli {
    const char *cmd;
    const char *scenario;
    const char *out;
    const char *overrides[MAX_OVERRIDES];
    int n_overrides;
    int quiet;
};

/* Returns -1 to exit 0 (help/version), 0 to go on, 2 on bad usage. */
static int parse_cli(int argc, char **argv, struct cli *cli)
{
    memset(cli, 0, sizeof *cli);
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return -1;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("bootstorm %s (%s)\n", BS_VERSION, BS_GIT_COMMIT);
        return -1;
    }
    if (strcmp(argv[1], "run") && strcmp(argv[1], "check")) {
        fprintf(stderr, "bootstorm: unknown command '%s' (try --help)\n", argv[1]);
        return EXIT_BAD_INPUT;
    }
    cli->cmd = argv[1];
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"set", required_argument, 0, 's'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 2;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":o:s:qh", opts, NULL)) != -1) {
        switch (ch) {
        case 'o':
            cli->out = optarg;
            break;
        case 's':
            if (cli->n_overrides == MAX_OVERRIDES) {
                fprintf(stderr, "bootstorm: more than %d --set options\n", MAX_OVERRIDES);
                return EXIT_BAD_INPUT;
            }
            cli->overrides[cli->n_overrides++] = optarg;
            break;
        case 'q':
            cli->quiet = 1;
            break;
        case 'h':
            usage(stdout);
            return -1;
        case ':':
            fprintf(stderr, "bootstorm: option %s needs a value\n", argv[optind - 1]);
            return EXIT_BAD_INPUT;
        default:
            fprintf(stderr, "bootstorm: unknown option '%s' (try --help)\n", argv[optind - 1]);
            return EXIT_BAD_INPUT;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "bootstorm %s: expected exactly one scenario file (try --help)\n",
                cli->cmd);
        return EXIT_BAD_INPUT;
    }
    cli->scenario = argv[optind];
    return 0;
}

static int cmd_check(const struct cli *cli)
{
    static struct scenario s;
    char err[SCN_ERR_MAX];
    if (scenario_load(cli->scenario, cli->overrides, (size_t)cli->n_overrides, &s, err,
                      sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_BAD_INPUT;
    }
    struct placement pl;
    placement_init(&pl, &s, 1);
    /* In host mode the addresses are the hosts' own, known when the ranks
     * start on them (placement_check runs then). */
    if (s.network.mode == NET_LOOPBACK && placement_check(&pl, &s, err, sizeof err) < 0) {
        fprintf(stderr, "%s: %s\n", cli->scenario, err);
        return EXIT_BAD_INPUT;
    }
    char *json = scenario_to_json(&s);
    if (!json)
        return 1;
    printf("%s\n", json);
    free(json);
    return 0;
}

/* Agree across ranks: returns the worst status anyone had. */
static int all_ok(int mine)
{
    int worst = 0;
    MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Gather variable-length per-peer arrays on rank 0, in rank order. */
static void gather_peers(const void *mine, int n, size_t elem, void *all, int world, int rank)
{
    int *counts = NULL, *displs = NULL;
    int bytes = n * (int)elem;
    if (rank == 0) {
        counts = calloc((size_t)world, sizeof *counts);
        displs = calloc((size_t)world, sizeof *displs);
    }
    MPI_Gather(&bytes, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rank == 0)
        for (int r = 1; r < world; r++)
            displs[r] = displs[r - 1] + counts[r - 1];
    MPI_Gatherv(mine, bytes, MPI_BYTE, all, counts, displs, MPI_BYTE, 0, MPI_COMM_WORLD);
    free(counts);
    free(displs);
}

static void gather_hist(const struct hist *mine, struct hist *sum, int world, int rank)
{
    struct hist *all = rank == 0 ? malloc(sizeof *all * (size_t)world) : NULL;
    MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    if (rank == 0) {
        hist_reset(sum);
        for (int r = 0; r < world; r++)
            hist_merge(sum, &all[r]);
    }
    free(all);
}

/* Every rank's host name, and in host mode the address its nodes bind. */
static void gather_hosts(const struct scenario *s, char (*hosts)[64], uint32_t *ips)
{
    char me[64] = "";
    int len = 0;
    char name[MPI_MAX_PROCESSOR_NAME];
    MPI_Get_processor_name(name, &len);
    snprintf(me, sizeof me, "%.63s", name);
    uint32_t ip = s->network.mode == NET_HOST ? hostaddr_find(s) : 0;
    MPI_Allgather(me, sizeof me, MPI_CHAR, hosts, sizeof me, MPI_CHAR, MPI_COMM_WORLD);
    MPI_Allgather(&ip, 1, MPI_UINT32_T, ips, 1, MPI_UINT32_T, MPI_COMM_WORLD);
}

/* Loopback addresses exist only on one machine: a loopback-mode run that
 * spans hosts would have nodes talking to themselves. */
static int check_hosts(const struct scenario *s, const struct placement *pl, char (*hosts)[64],
                       int world, char *err, size_t len)
{
    if (s->network.mode != NET_LOOPBACK)
        return 0;
    for (int r = pl->first_host_rank + 1; r < world; r++)
        if (strcmp(hosts[r], hosts[pl->first_host_rank]) != 0) {
            snprintf(err, len,
                     "network.mode is loopback but ranks run on %s and %s: loopback addresses "
                     "only reach one machine; use network.mode=host (cloud/launch sets it)",
                     hosts[pl->first_host_rank], hosts[r]);
            return -1;
        }
    return 0;
}

static int cmd_run(const struct cli *cli)
{
    int provided, rank, world;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    raise_fd_limit();

    static struct scenario scn;
    char err[SCN_ERR_MAX + 256] = "";
    int status = 0;
    struct rundir *res = NULL;
    struct pki pki = {0};
    struct coord_meta meta = {.scenario_path = cli->scenario,
                              .overrides = cli->overrides,
                              .n_overrides = cli->n_overrides,
                              .quiet = cli->quiet};

    /* 1. scenario: loaded and checked on rank 0 only (the file need not
     * exist on other hosts). */
    if (rank == 0) {
        if (scenario_load(cli->scenario, cli->overrides, (size_t)cli->n_overrides, &scn, err,
                          sizeof err) < 0) {
            status = EXIT_BAD_INPUT;
        }
        if (status)
            fprintf(stderr, "%s\n", err);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status) {
        MPI_Finalize();
        return status;
    }
    MPI_Bcast(&scn, (int)sizeof scn, MPI_BYTE, 0, MPI_COMM_WORLD);

    /* 2. hosts: every rank's host name and, in host mode, its address */
    char(*hosts)[64] = calloc((size_t)world, sizeof *hosts);
    uint32_t *host_ips = calloc((size_t)world, sizeof *host_ips);
    gather_hosts(&scn, hosts, host_ips);
    struct placement pl;
    placement_init(&pl, &scn, world);
    if (scn.network.mode == NET_HOST)
        placement_set_hosts(&pl, host_ips);
    if (rank == 0) {
        char perr[512];
        if (check_hosts(&scn, &pl, hosts, world, perr, sizeof perr) < 0 ||
            placement_check(&pl, &scn, perr, sizeof perr) < 0) {
            fprintf(stderr, "%s: %s\n", cli->scenario, perr);
            status = EXIT_BAD_INPUT;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status) {
        free(hosts);
        free(host_ips);
        MPI_Finalize();
        return status;
    }

    /* 3. results directory and key material */
    uint8_t *blob = NULL;
    long blob_len = 0;
    if (rank == 0) {
        char dir[4096];
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(meta.started_at, sizeof meta.started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (cli->out)
            snprintf(dir, sizeof dir, "%s", cli->out);
        else
            rundir_default_dir(scn.name, dir, sizeof dir);
        uint32_t *ips = malloc(sizeof *ips * pl.n_ls);
        for (uint32_t i = 0; i < pl.n_ls; i++)
            ips[i] = placement_addr(&pl, i);
        if (!(res = rundir_open(dir, err, sizeof err)))
            status = 1;
        else if (pki_generate(&pki, pl.n_ls, ips, err, sizeof err) < 0 ||
                 (blob_len = pki_pack(&pki, &blob)) < 0)
            status = 1;
        else if (rundir_write_file(res, "ca.pem", pki.ca_pem) < 0) {
            snprintf(err, sizeof err, "cannot write %.600s/ca.pem: %s", dir, strerror(errno));
            status = 1;
        } else if (rundir_write_placement(res, &pl, hosts) < 0) {
            snprintf(err, sizeof err, "cannot write %.600s/placement.csv: %s", dir,
                     strerror(errno));
            status = 1;
        }
        free(ips);
        if (status)
            fprintf(stderr, "bootstorm: %s\n", err);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status) {
        rundir_close(res);
        pki_free(&pki);
        free(blob);
        free(hosts);
        free(host_ips);
        MPI_Finalize();
        return status;
    }
    MPI_Bcast(&blob_len, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    if (rank != 0)
        blob = malloc((size_t)blob_len);
    MPI_Bcast(blob, (int)blob_len, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (rank != 0 && pki_unpack(&pki, blob, (size_t)blob_len) < 0) {
        fprintf(stderr, "bootstorm: rank %d: corrupt key material\n", rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    free(blob);

    /* 4. clocks */
    struct clock_estimate mine, *est = rank == 0 ? calloc((size_t)world, sizeof *est) : NULL;
    clocksync_run(MPI_COMM_WORLD, CLOCK_ROUNDS, &mine, est);

    /* 5. nodes */
    struct event_config *cfg = event_config_new();
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_PRECISE_TIMER);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    static struct host host;
    bool hosting = rank >= pl.first_host_rank; /* every such rank, even with no nodes, answers STOP */
    if (!base) {
        fprintf(stderr, "bootstorm: rank %d: cannot create an event loop\n", rank);
        status = 1;
    } else if (hosting) {
        /* The start time is not known yet; host_init only binds and builds. */
        if (host_init(&host, base, &scn, &pki, world,
                      scn.network.mode == NET_HOST ? host_ips : NULL, rank, mine.offset_ns, 0,
                      err, sizeof err) < 0) {
            fprintf(stderr, "bootstorm: rank %d: %s\n", rank, err);
            status = 1;
        }
    }
    if (all_ok(status)) {
        if (hosting && status == 0)
            host_destroy(&host);
        if (base)
            event_base_free(base);
        rundir_close(res);
        pki_free(&pki);
        free(est);
        free(hosts);
        free(host_ips);
        MPI_Finalize();
        return 1;
    }

    /* 6. the start: t0 lies `lead` ahead in rank 0's clock */
    int64_t start = rank == 0 ? clock_mono_ns() + scn.control.lead_ns : 0;
    MPI_Bcast(&start, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    struct ctrl *ctrl = ctrl_new(base, MPI_COMM_WORLD);
    struct coord *co = NULL;
    static struct rank_host rh;
    if (hosting) {
        host.start_coord_ns = start;
        rank_host_start(&rh, &host, ctrl, rank != 0);
    }
    if (rank == 0) {
        co = coord_new(base, ctrl, &scn, world, res, &meta);
        if (!co) {
            fprintf(stderr, "bootstorm: out of memory\n");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        int64_t *offs = calloc((size_t)world, sizeof *offs);
        for (int r = 0; r < world && est; r++)
            offs[r] = est[r].offset_ns;
        coord_start(co, start, offs);
        free(offs);
        if (!cli->quiet)
            fprintf(stderr, "bootstorm: %s: %u peers, %u login servers, %u supernodes on %d ranks; results in %s\n",
                    scn.name, pl.n_peers, pl.n_ls, pl.n_sn, world, rundir_path(res));
    }
    event_base_dispatch(base);
    if (hosting)
        rank_host_stop(&rh);
    ctrl_free(ctrl);

    /* 7. final gathers */
    struct rank_info me = {0};
    MPI_Get_processor_name(me.host, &(int){0});
    me.host[sizeof me.host - 1] = '\0';
    me.clock_offset_ns = mine.offset_ns;
    me.clock_rtt_ns = mine.rtt_ns;
    me.nodes = placement_count_on(&pl, rank);
    me.peers = hosting ? host.n_peers : 0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    me.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    me.maxrss_kb = ru.ru_maxrss;
    struct metrics empty;
    memset(&empty, 0, sizeof empty);
    const struct metrics *m = hosting ? &host.m : &empty;
    me.lag_p99_us = hist_quantile(&m->lag_total_us, 0.99);

    struct run_final fin = {0};
    if (rank == 0) {
        fin.ranks = calloc((size_t)world, sizeof *fin.ranks);
        fin.n_peers = pl.n_peers;
        fin.first_online_ns = malloc(sizeof *fin.first_online_ns * (pl.n_peers ? pl.n_peers : 1));
        fin.attempts = malloc(sizeof *fin.attempts * (pl.n_peers ? pl.n_peers : 1));
    }
    MPI_Gather(&me, (int)sizeof me, MPI_BYTE, fin.ranks, (int)sizeof me, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    uint32_t n_local = hosting ? host.n_peers : 0;
    int64_t *fo = malloc(sizeof *fo * (n_local ? n_local : 1));
    uint32_t *at = malloc(sizeof *at * (n_local ? n_local : 1));
    if (hosting)
        host_peer_results(&host, fo, at);
    gather_peers(fo, (int)n_local, sizeof *fo, fin.first_online_ns, world, rank);
    gather_peers(at, (int)n_local, sizeof *at, fin.attempts, world, rank);
    free(fo);
    free(at);
    gather_hist(&m->login_us, &fin.login_us, world, rank);
    gather_hist(&m->register_us, &fin.register_us, world, rank);
    gather_hist(&m->ls_queue_us, &fin.ls_queue_us, world, rank);
    gather_hist(&m->ls_service_us, &fin.ls_service_us, world, rank);
    gather_hist(&m->svc_queue_us, &fin.svc_queue_us, world, rank);
    gather_hist(&m->svc_service_us, &fin.svc_service_us, world, rank);
    gather_hist(&m->lag_total_us, &fin.lag_us, world, rank);

    int rc = 0;
    if (rank == 0) {
        if (est)
            for (int r = 0; r < world; r++) {
                fin.ranks[r].clock_offset_ns = est[r].offset_ns;
                fin.ranks[r].clock_rtt_ns = est[r].rtt_ns;
            }
        rc = coord_finish(co, &fin) == 0 ? 0 : 1;
        coord_free(co);
        rundir_close(res);
        free(fin.ranks);
        free(fin.first_online_ns);
        free(fin.attempts);
    }
    if (hosting)
        host_destroy(&host);
    event_base_free(base);
    pki_free(&pki);
    free(est);
    free(hosts);
    free(host_ips);
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Finalize();
    return rc;
}

int main(int argc, char **argv)
{
    struct cli cli;
    int rc = parse_cli(argc, argv, &cli);
    if (rc < 0)
        return 0;
    if (rc > 0)
        return rc;
    if (!strcmp(cli.cmd, "check"))
        return cmd_check(&cli);
    return cmd_run(&cli);
}
