/* main.c - the bootstorm command line, and the run's start-up and tear-down
 * on every rank.
 *
 * `run` goes through one phase function after another over a struct
 * run_ctx. Every rank runs the same phases, and each phase that all ranks
 * must pass ends in an agreement (rank 0's status broadcast, or the worst
 * status of all), so one failing rank stops all of them cleanly, before any
 * traffic. Whatever fails, the one run_teardown frees what was made.
 *
 *   phase              rank 0                            ranks 1..N
 *   run_setup_mpi      MPI, fd limit, per-rank tables    (same)
 *   run_load_scenario  load + check the scenario    -->  (bcast) scenario
 *   run_listen_metrics [--metrics-listen: bind it]  -->  (bcast) status
 *   run_place_hosts    host names and addresses (allgather); check placement
 *                      (enough ranks for placement.servers, addresses, ports)
 *   run_make_keys      run directory, key material  -->  (bcast) key material
 *   run_sync_clocks    clock sync (ping-pong)      <-->  clock sync
 *   run_start_hosts    [host its nodes if alone]         host_init: bind, create
 *                      all ranks agree everything started (allreduce)
 *   run_coordinate     t0 = now + lead              -->  (bcast) t0
 *                      event loop: coordinator           event loop: node host
 *   run_gather         final gathers: rank facts, per-peer results, histograms
 *   run_write_results  run.json, summary; rank 0's status to all (bcast)
 *   run_teardown       free everything, MPI_Finalize
 *
 * Outside the event loop, every phase that can wait on another rank runs
 * under a watchdog (below) that aborts the job, naming the phase, rather
 * than hang. During the loop, SIGINT and SIGTERM end the run early through
 * the normal end; a second signal ends the process at once.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <mpi.h>

#include "common/clock.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "control/clocksync_mpi.h"
#include "control/ctrl.h"
#include "control/rank_host.h"
#include "control/watchdog.h"
#include "coordinator/coord.h"
#include "coordinator/metrics_http.h"
#include "coordinator/rundir.h"
#include "node/host.h"
#include "node/hostaddr.h"
#include "node/loop_turn.h"

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
            "  --metrics-listen IPV4:PORT\n"
            "                    serve the live metrics at http://IPV4:PORT/metrics while the\n"
            "                    run goes (OpenMetrics or Prometheus text), e.g. 127.0.0.1:9464\n"
            "\n"
            "Exit status: 0 success, 1 run failure, 2 bad scenario or command line.\n"
            "Docs: docs/scenarios.md (format), docs/results.md (outputs), docs/metrics.md (live\n"
            "metrics).\n");
}

struct cli {
    const char *cmd;
    const char *scenario;
    const char *out;
    const char *overrides[MAX_OVERRIDES];
    int n_overrides;
    int quiet;
    const char *metrics_listen; /* as given */
    struct sockaddr_in metrics_addr;
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
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'}, {"set", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},     {"metrics-listen", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},      {0, 0, 0, 0}};
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
        case 'm': {
            char err[256];
            if (strcmp(cli->cmd, "run")) {
                fprintf(stderr, "bootstorm %s: --metrics-listen is an option of run\n", cli->cmd);
                return EXIT_BAD_INPUT;
            }
            if (metrics_listen_parse(optarg, &cli->metrics_addr, err, sizeof err) < 0) {
                fprintf(stderr, "bootstorm: --metrics-listen: %s\n", err);
                return EXIT_BAD_INPUT;
            }
            cli->metrics_listen = optarg;
            break;
        }
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

/* ---- run: helpers ---- */

/* Agree across ranks: every rank gets the worst (highest) status any rank
 * had. A collective: every rank must call it at the same point. */
static int worst_status_of_all(int mine)
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

/* ---- run: the watchdog (control/watchdog.h) ---- */

/* The limits of the blocking phases, in seconds: far above what any phase
 * needs (a phase takes milliseconds to seconds even with ASan on two cores;
 * see docs/architecture.md). */
enum {
    WD_SCENARIO = 120,
    WD_HOSTS = 120,
    WD_KEYS = 300,
    WD_CLOCKS = 120,
    WD_NODES = 600,
    WD_START = 120,
    WD_DRAIN = 120,
    WD_GATHER = 300,
    WD_RESULTS = 300,
    WD_FINALIZE = 120
};

/* The one MPI call made off the main thread (MPI_THREAD_FUNNELED): it ends
 * the job, and Open MPI's abort goes through its runtime, not through the
 * state the stuck main thread holds. */
static void watchdog_abort(const char *phase, double limit_s)
{
    (void)phase;
    (void)limit_s;
    MPI_Abort(MPI_COMM_WORLD, 1);
}

/* ---- run: the context ---- */

/* Everything a run holds on one rank. Each phase fills its part; the
 * teardown frees whatever is there, so a phase that fails just returns its
 * exit status. Marked "rank 0" are allocated on rank 0 only. */
struct run_ctx {
    const struct cli *cli;
    int rank, world;
    char err[SCN_ERR_MAX + 256];

    struct scenario scn;
    char (*hosts)[64];  /* every rank's host name */
    uint32_t *host_ips; /* every rank's address in host mode, else zeros */
    struct placement pl;
    bool hosting; /* the rank hosts nodes; every such rank, even with
                   * none placed on it, answers STOP */

    struct rundir *rd;            /* rank 0 */
    int metrics_fd;               /* rank 0, --metrics-listen: the bound socket until served; -1 */
    struct metrics_http *metrics; /* rank 0, --metrics-listen: during the event loop */
    struct pki pki;
    struct coord_meta meta;

    struct clock_estimate mine;
    struct clock_estimate *est; /* rank 0: every rank's */
    int64_t *offsets;           /* rank 0: est[].offset_ns, for coord_start */

    struct event_base *base;
    struct host host;
    bool host_up; /* host_init succeeded: host_destroy is due */
    struct ctrl *ctrl;
    struct coord *co; /* rank 0 */
    struct rank_host rh;
    bool rh_started;
    struct event *sig_int, *sig_term; /* during the loop only */

    struct run_final fin; /* rank 0: what the final gathers bring */
    int *counts, *displs; /* rank 0: MPI_Gatherv layout, world entries */
    struct hist *hists;   /* rank 0: one histogram per rank */
};

static int out_of_memory(const struct run_ctx *x, const char *what)
{
    fprintf(stderr, "bootstorm: rank %d: out of memory (%s)\n", x->rank, what);
    return 1;
}

/* ---- run: the phases, in order ---- */

/* MPI, the fd limit, and the tables sized by the number of ranks. */
static int run_setup_mpi(struct run_ctx *x, const struct cli *cli)
{
    int provided;
    MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &x->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &x->world);
    raise_fd_limit();
    x->cli = cli;
    x->metrics_fd = -1;
    x->meta = (struct coord_meta){.scenario_path = cli->scenario,
                                  .overrides = cli->overrides,
                                  .n_overrides = cli->n_overrides,
                                  .quiet = cli->quiet};
    size_t w = (size_t)x->world;
    x->hosts = calloc(w, sizeof *x->hosts);
    x->host_ips = calloc(w, sizeof *x->host_ips);
    bool ok = x->hosts && x->host_ips;
    if (x->rank == 0) {
        x->est = calloc(w, sizeof *x->est);
        x->offsets = calloc(w, sizeof *x->offsets);
        x->fin.ranks = calloc(w, sizeof *x->fin.ranks);
        x->counts = calloc(w, sizeof *x->counts);
        x->displs = calloc(w, sizeof *x->displs);
        x->hists = calloc(w, sizeof *x->hists);
        ok = ok && x->est && x->offsets && x->fin.ranks && x->counts && x->displs && x->hists;
    }
    return worst_status_of_all(ok ? 0 : out_of_memory(x, "per-rank tables"));
}

/* Loaded and checked on rank 0 only (the file need not exist on other
 * hosts), then sent to every rank as bytes. */
static int run_load_scenario(struct run_ctx *x)
{
    int status = 0;
    if (x->rank == 0 &&
        scenario_load(x->cli->scenario, x->cli->overrides, (size_t)x->cli->n_overrides, &x->scn,
                      x->err, sizeof x->err) < 0) {
        fprintf(stderr, "%s\n", x->err);
        status = EXIT_BAD_INPUT;
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status == 0)
        MPI_Bcast(&x->scn, (int)sizeof x->scn, MPI_BYTE, 0, MPI_COMM_WORLD);
    return status;
}

/* --metrics-listen: rank 0 binds the address now, before anything starts,
 * so that an address in use (or not this machine's) ends the run here. It
 * is served from the event loop's start (run_coordinate). */
static int run_listen_metrics(struct run_ctx *x)
{
    int status = 0;
    if (x->rank == 0 && x->cli->metrics_listen) {
        char err[256];
        x->metrics_fd = metrics_listen_open(&x->cli->metrics_addr, err, sizeof err);
        if (x->metrics_fd < 0) {
            fprintf(stderr, "bootstorm: --metrics-listen %s: cannot listen there: %s\n",
                    x->cli->metrics_listen, err);
            status = EXIT_BAD_INPUT;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

/* The live metrics, from the coordinator (metrics_http's source). */
static const struct om_run *live_metrics(void *arg)
{
    return coord_live_metrics(arg);
}

/* Every rank's host name and, in host mode, its address; then the
 * placement, which in host mode needs those addresses. */
static int run_place_hosts(struct run_ctx *x)
{
    gather_hosts(&x->scn, x->hosts, x->host_ips);
    placement_init(&x->pl, &x->scn, x->world);
    if (x->scn.network.mode == NET_HOST)
        placement_set_hosts(&x->pl, x->host_ips);
    x->hosting = x->rank >= x->pl.first_host_rank;
    int status = 0;
    if (x->rank == 0) {
        char perr[512];
        if (placement_check_ranks(&x->scn, x->world, perr, sizeof perr) < 0 ||
            check_hosts(&x->scn, &x->pl, x->hosts, x->world, perr, sizeof perr) < 0 ||
            placement_check(&x->pl, &x->scn, perr, sizeof perr) < 0) {
            fprintf(stderr, "%s: %s\n", x->cli->scenario, perr);
            status = EXIT_BAD_INPUT;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

/* Rank 0: the run directory with ca.pem and placement.csv, and the run's
 * key material. Returns 0, or -1 with x->err set. */
static int make_dir_and_keys(struct run_ctx *x)
{
    char dir[4096];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(x->meta.started_at, sizeof x->meta.started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (x->cli->out)
        snprintf(dir, sizeof dir, "%s", x->cli->out);
    else
        rundir_default_dir(x->scn.name, dir, sizeof dir);
    uint32_t *ips = malloc(sizeof *ips * (x->pl.n_ls ? x->pl.n_ls : 1));
    if (!ips) {
        snprintf(x->err, sizeof x->err, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < x->pl.n_ls; i++)
        ips[i] = placement_addr(&x->pl, i);
    int rc = 0;
    if (!(x->rd = rundir_open(dir, &x->scn, x->err, sizeof x->err))) {
        rc = -1;
    } else if (pki_generate(&x->pki, x->pl.n_ls, ips, x->err, sizeof x->err) < 0) {
        rc = -1;
    } else if (rundir_write_file(x->rd, "ca.pem", x->pki.ca_pem) < 0) {
        snprintf(x->err, sizeof x->err, "cannot write %.600s/ca.pem: %s", dir, strerror(errno));
        rc = -1;
    } else if (rundir_write_placement(x->rd, &x->pl, x->hosts) < 0) {
        snprintf(x->err, sizeof x->err, "cannot write %.600s/placement.csv: %s", dir,
                 strerror(errno));
        rc = -1;
    }
    free(ips);
    return rc;
}

#define TAG_KEYS 7301 /* rank 0 -> rank r: the length, then r's key material */

/* Rank 0: pack what rank r needs (common/pki.h): the private keys of the
 * login servers placed on r, and the signing key and credential master
 * only if it has any. Returns the length, or -1. */
static long pack_keys_for(struct run_ctx *x, int r, bool *ls_here, uint8_t **blob)
{
    bool any = false;
    for (uint32_t i = 0; i < x->pl.n_ls; i++)
        any |= ls_here[i] = placement_rank_of(&x->pl, i) == r;
    struct pki_grant g = {.ls_key = ls_here, .ticket_priv = any, .master = any, .rank = r};
    return pki_pack_for(&x->pki, &g, blob);
}

/* The run directory and the key material, made on rank 0; each other rank
 * is sent its own share, point to point (only ca.pem is written to disk). */
static int run_make_keys(struct run_ctx *x)
{
    int status = 0;
    if (x->rank == 0 && make_dir_and_keys(x) < 0) {
        fprintf(stderr, "bootstorm: %s\n", x->err);
        status = 1;
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status)
        return status;
    if (x->rank == 0) {
        bool *ls_here = calloc(x->pl.n_ls ? x->pl.n_ls : 1, sizeof *ls_here);
        for (int r = 1; r < x->world; r++) {
            uint8_t *blob = NULL;
            long len = ls_here ? pack_keys_for(x, r, ls_here, &blob) : -1;
            MPI_Send(&len, 1, MPI_LONG, r, TAG_KEYS, MPI_COMM_WORLD);
            if (len > 0)
                MPI_Send(blob, (int)len, MPI_BYTE, r, TAG_KEYS, MPI_COMM_WORLD);
            else
                status = out_of_memory(x, "key material");
            pki_blob_free(blob, len > 0 ? (size_t)len : 0);
        }
        free(ls_here);
    } else {
        long len = 0;
        MPI_Recv(&len, 1, MPI_LONG, 0, TAG_KEYS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        uint8_t *blob = len > 0 ? malloc((size_t)len) : NULL;
        if (len > 0 && !blob) { /* rank 0 is already sending: nothing to do but stop */
            out_of_memory(x, "key material");
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        if (len > 0)
            MPI_Recv(blob, (int)len, MPI_BYTE, 0, TAG_KEYS, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (len <= 0 || pki_unpack(&x->pki, blob, (size_t)len) < 0) {
            fprintf(stderr, "bootstorm: rank %d: no usable key material from rank 0\n", x->rank);
            status = 1;
        }
        pki_blob_free(blob, len > 0 ? (size_t)len : 0);
    }
    return worst_status_of_all(status);
}

/* Every rank's clock offset from rank 0's (blocking ping-pongs). */
static int run_sync_clocks(struct run_ctx *x)
{
    return clocksync_run(MPI_COMM_WORLD, CLOCK_ROUNDS, &x->mine, x->est);
}

/* The rank's event loop, built for the instants all ranks must meet
 * (docs/architecture.md, "Event timing"): precise timers; two priorities,
 * 0 for the timers of scenario events and the run's own machinery (the
 * control plane's poll, snapshots, the coordinator's tick) and 1, the
 * default, for everything the nodes do; turns whose callbacks run for a
 * budget that follows the cost of the loop's poll (node/loop_turn.h), so
 * that an event's timer does not wait behind a long batch of handshakes
 * and a rank with thousands of ready sockets still spends its time on
 * them, at most LOOP_TURN_MAX_US for callbacks that keep no budget; and
 * 1 ns of timer slack instead of Linux's 50 us, so that a sleep ends when
 * asked. epoll changes are batched per loop turn (the changelist): a
 * connection's bufferevent turns reading and writing on and off many times
 * per login, and without it each is an epoll_ctl call (36 per boot, 18
 * with it; docs/performance.md). Nothing here dup()s a socket, the one
 * case the changelist gets wrong. */
static struct event_base *new_event_loop(void)
{
    struct event_config *cfg = event_config_new();
    if (!cfg)
        return NULL;
    event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK | EVENT_BASE_FLAG_PRECISE_TIMER |
                                   EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct timeval check = clock_tv_from_ns(LOOP_TURN_MAX_US * 1000LL);
    event_config_set_max_dispatch_interval(cfg, &check, -1, 1);
    struct event_base *base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    if (base && event_base_priority_init(base, 2) < 0) {
        event_base_free(base);
        return NULL;
    }
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    loop_turn_init(base);
    return base;
}

/* The event loop, and on host ranks the nodes: listeners bound, peers
 * made, nothing sent yet (the start time is not known). */
static int run_start_hosts(struct run_ctx *x)
{
    int status = 0;
    x->base = new_event_loop();
    if (!x->base) {
        fprintf(stderr, "bootstorm: rank %d: cannot create an event loop\n", x->rank);
        status = 1;
    } else if (x->hosting) {
        if (host_init(&x->host, x->base, &x->scn, &x->pki, x->world,
                      x->scn.network.mode == NET_HOST ? x->host_ips : NULL, x->rank,
                      x->mine.offset_ns, 0, x->err, sizeof x->err) < 0) {
            fprintf(stderr, "bootstorm: rank %d: %s\n", x->rank, x->err);
            status = 1;
        } else {
            x->host_up = true;
        }
    }
    return worst_status_of_all(status) ? 1 : 0;
}

/* ---- run: signals during the loop ---- */

/* From now on a signal takes its default action, so a second one ends the
 * process at once (libevent restores the previous handler on delete). */
static void signals_off(struct run_ctx *x)
{
    if (x->sig_int)
        event_del(x->sig_int);
    if (x->sig_term)
        event_del(x->sig_term);
}

/* The first SIGINT or SIGTERM: rank 0 ends the run early, a host rank
 * tells rank 0. Under mpirun both reach every rank as SIGTERM (mpirun does
 * not forward SIGINT; docs/results.md, "Interrupted runs"). */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct run_ctx *x = arg;
    signals_off(x);
    if (x->co)
        coord_interrupt(x->co, (int)sig);
    else if (x->rh_started)
        rank_host_interrupt(&x->rh, (int)sig);
}

static void signals_on(struct run_ctx *x)
{
    x->sig_int = evsignal_new(x->base, SIGINT, on_signal, x);
    x->sig_term = evsignal_new(x->base, SIGTERM, on_signal, x);
    if (x->sig_int)
        evsignal_add(x->sig_int, NULL);
    if (x->sig_term)
        evsignal_add(x->sig_term, NULL);
}

/* The run itself: the start time t0 lies `control.lead` ahead in rank 0's
 * clock, the schedule goes out, and every rank runs its loop until the
 * STOP/BYE exchange ends it. Only the loop is not under the watchdog: the
 * coordinator's own timeouts end it (docs/architecture.md). */
/* architecture: target: the run's first line names the real server. */
static void start_line_target(const struct run_ctx *x)
{
    const struct scn_target *t = &x->scn.target;
    char ip[16];
    placement_format_ip(t->address, ip, sizeof ip);
    fprintf(stderr, "bootstorm: %s: %u peers on %d ranks against %s://%s:%u (%s); results in %s\n",
            x->scn.name, x->pl.n_peers, x->world, t->protocol == TARGET_MQTT ? "mqtt" : "https",
            t->host, (unsigned)t->port, ip, rundir_path(x->rd));
}

static int run_coordinate(struct run_ctx *x)
{
    int status = 0;
    watchdog_arm("the run's start", WD_START);
    x->ctrl = ctrl_new(x->base, MPI_COMM_WORLD);
    if (!x->ctrl)
        status = out_of_memory(x, "control plane");
    else if (x->rank == 0 &&
             !(x->co = coord_new(x->base, x->ctrl, &x->scn, x->world, x->rd, &x->meta)))
        status = out_of_memory(x, "coordinator");
    else if (x->rank == 0 && x->metrics_fd >= 0) {
        x->metrics = metrics_http_new(x->base, x->metrics_fd, live_metrics, x->co);
        x->metrics_fd = -1; /* taken over, or closed */
        if (!x->metrics)
            status = out_of_memory(x, "--metrics-listen");
    }
    if (worst_status_of_all(status))
        return 1;

    /* Taken only now, so that the whole lead lies between the schedule
     * going out and the first event. */
    int64_t start = x->rank == 0 ? clock_mono_ns() + x->scn.control.lead_ns : 0;
    MPI_Bcast(&start, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    if (x->hosting) {
        x->host.start_coord_ns = start;
        rank_host_start(&x->rh, &x->host, x->ctrl, x->rank != 0);
        x->rh_started = true;
    }
    if (x->rank == 0) {
        for (int r = 0; r < x->world; r++)
            x->offsets[r] = x->est[r].offset_ns;
        coord_start(x->co, start, x->offsets);
        if (!x->cli->quiet && x->scn.architecture == ARCH_CENTRAL)
            fprintf(stderr,
                    "bootstorm: %s: %u peers, %u login servers, %u presence servers (spares "
                    "included) in %u data centres on %d ranks; results in %s\n",
                    x->scn.name, x->pl.n_peers, x->pl.n_ls, x->pl.n_nodes - x->pl.first_pres,
                    x->pl.n_dc, x->world, rundir_path(x->rd));
        else if (!x->cli->quiet && x->scn.architecture == ARCH_TARGET)
            start_line_target(x);
        else if (!x->cli->quiet && x->scn.architecture == ARCH_SETTOP)
            fprintf(stderr,
                    "bootstorm: %s: %u set-top boxes, %u head-end on %d ranks; results in %s\n",
                    x->scn.name, x->pl.n_peers, x->pl.n_he, x->world, rundir_path(x->rd));
        else if (!x->cli->quiet)
            fprintf(stderr,
                    "bootstorm: %s: %u peers, %u login servers, %u supernodes on %d ranks; "
                    "results in %s\n",
                    x->scn.name, x->pl.n_peers, x->pl.n_ls, x->pl.n_sn, x->world,
                    rundir_path(x->rd));
    }
    if (x->metrics && !x->cli->quiet)
        fprintf(stderr, "bootstorm: live metrics at http://%s/metrics until the run ends\n",
                x->cli->metrics_listen);
    watchdog_arm(NULL, 0);
    signals_on(x);
    loop_turn_dispatch();
    signals_off(x);
    /* The run is over: the endpoint goes (its connections closed). */
    metrics_http_free(x->metrics);
    x->metrics = NULL;
    watchdog_arm("sending the last control messages", WD_DRAIN);
    if (x->rh_started)
        rank_host_stop(&x->rh);
    /* completes the sends still pending, BYEs included */
    ctrl_free(x->ctrl);
    x->ctrl = NULL;
    return 0;
}

/* This rank's facts for run.json's ranks[]. */
static void rank_facts(const struct run_ctx *x, const struct metrics *m, uint32_t peers,
                       struct rank_info *me)
{
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    memset(me, 0, sizeof *me);
    MPI_Get_processor_name(name, &len);
    snprintf(me->host, sizeof me->host, "%.63s", name); /* host[] holds 63 characters */
    me->clock_offset_ns = x->mine.offset_ns;
    me->clock_rtt_ns = x->mine.rtt_ns;
    me->nodes = placement_count_on(&x->pl, x->rank);
    me->peers = peers;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    me->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
                ru.ru_stime.tv_usec / 1e6;
    me->maxrss_kb = ru.ru_maxrss;
    me->lag_p99_us = hist_quantile(&m->lag_total_us, 0.99);
}

/* Gather variable-length per-peer arrays on rank 0, in rank order. */
static void gather_peers(const struct run_ctx *x, const void *mine, uint32_t n, size_t elem,
                         void *all)
{
    int bytes = (int)(n * elem);
    MPI_Gather(&bytes, 1, MPI_INT, x->counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (x->rank == 0) {
        x->displs[0] = 0;
        for (int r = 1; r < x->world; r++)
            x->displs[r] = x->displs[r - 1] + x->counts[r - 1];
    }
    MPI_Gatherv(mine, bytes, MPI_BYTE, all, x->counts, x->displs, MPI_BYTE, 0, MPI_COMM_WORLD);
}

/* Sum every rank's histogram into *sum on rank 0. */
static void gather_hist(const struct run_ctx *x, const struct hist *mine, struct hist *sum)
{
    MPI_Gather(mine, (int)sizeof *mine, MPI_BYTE, x->hists, (int)sizeof *mine, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    if (x->rank == 0) {
        hist_reset(sum);
        for (int r = 0; r < x->world; r++)
            hist_merge(sum, &x->hists[r]);
    }
}

/* After the loop: rank facts, per-peer results and histograms, to rank 0. */
static int run_gather(struct run_ctx *x)
{
    static struct metrics empty; /* a rank that hosts nothing reports zeros */
    const struct metrics *m = x->hosting ? &x->host.m : &empty;
    uint32_t n_local = x->hosting ? host_n_peers(&x->host) : 0;
    struct rank_info me;
    rank_facts(x, m, n_local, &me);

    int64_t *fo = malloc(sizeof *fo * (n_local ? n_local : 1));
    int64_t *emu = malloc(sizeof *emu * (n_local ? n_local : 1));
    uint32_t *at = malloc(sizeof *at * (n_local ? n_local : 1));
    bool ok = fo && emu && at;
    if (x->rank == 0) {
        size_t n = x->pl.n_peers ? x->pl.n_peers : 1;
        x->fin.n_peers = x->pl.n_peers;
        x->fin.first_online_ns = malloc(sizeof *x->fin.first_online_ns * n);
        x->fin.first_emu_ns = malloc(sizeof *x->fin.first_emu_ns * n);
        x->fin.attempts = malloc(sizeof *x->fin.attempts * n);
        ok = ok && x->fin.first_online_ns && x->fin.first_emu_ns && x->fin.attempts;
    }
    if (worst_status_of_all(ok ? 0 : out_of_memory(x, "final results"))) {
        free(fo);
        free(emu);
        free(at);
        return 1;
    }
    me.client_hs_cpu_ns = x->hosting ? x->host.client_hs_cpu_ns : 0;

    MPI_Gather(&me, (int)sizeof me, MPI_BYTE, x->fin.ranks, (int)sizeof me, MPI_BYTE, 0,
               MPI_COMM_WORLD);
    if (x->hosting) {
        host_peer_results(&x->host, fo, at);
        host_peer_emulator_delays(&x->host, emu);
    }
    gather_peers(x, fo, n_local, sizeof *fo, x->fin.first_online_ns);
    gather_peers(x, emu, n_local, sizeof *emu, x->fin.first_emu_ns);
    gather_peers(x, at, n_local, sizeof *at, x->fin.attempts);
    free(fo);
    free(emu);
    free(at);
    if (x->rank == 0)
        for (int r = 0; r < x->world; r++)
            if (x->fin.ranks[r].client_hs_cpu_ns > x->fin.client_hs_cpu_ns)
                x->fin.client_hs_cpu_ns = x->fin.ranks[r].client_hs_cpu_ns;
    gather_hist(x, &m->login_us, &x->fin.login_us);
    gather_hist(x, &m->register_us, &x->fin.register_us);
    gather_hist(x, &m->ls_queue_us, &x->fin.ls_queue_us);
    gather_hist(x, &m->ls_service_us, &x->fin.ls_service_us);
    gather_hist(x, &m->svc_queue_us, &x->fin.svc_queue_us);
    gather_hist(x, &m->svc_service_us, &x->fin.svc_service_us);
    gather_hist(x, &m->lag_total_us, &x->fin.lag_us);
    gather_hist(x, &m->login_emu_us, &x->fin.login_emu_us);
    gather_hist(x, &m->register_emu_us, &x->fin.register_emu_us);
    gather_hist(x, &m->req_us, &x->fin.req_us);
    gather_hist(x, &m->req_emu_us, &x->fin.req_emu_us);
    gather_hist(x, &m->start_late_us, &x->fin.start_late_us);
    gather_hist(x, &m->ls_emu_us, &x->fin.ls_emu_us);
    gather_hist(x, &m->svc_emu_us, &x->fin.svc_emu_us);
    gather_hist(x, &m->dht_hops, &x->fin.dht_hops);
    gather_hist(x, &m->image_us, &x->fin.image_us);
    gather_hist(x, &m->img_cycles_pct, &x->fin.img_cycles_pct);
    gather_hist(x, &m->fec_overhead, &x->fin.fec_overhead);
    gather_hist(x, &m->he_reg_queue_us, &x->fin.he_reg_queue_us);
    gather_hist(x, &m->he_reg_service_us, &x->fin.he_reg_service_us);
    return 0;
}

/* Rank 0 writes run.json and histograms.json and prints the summary; its
 * status (0: complete and written) becomes every rank's. */
static int run_write_results(struct run_ctx *x)
{
    int rc = 0;
    if (x->rank == 0) {
        for (int r = 0; r < x->world; r++) {
            x->fin.ranks[r].clock_offset_ns = x->est[r].offset_ns;
            x->fin.ranks[r].clock_rtt_ns = x->est[r].rtt_ns;
        }
        rc = coord_finish(x->co, &x->fin) == 0 ? 0 : 1;
    }
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return rc;
}

/* The one way out, whatever phase was reached: what depends on the event
 * loop goes before it, and MPI last. */
static void run_teardown(struct run_ctx *x)
{
    if (x->sig_int)
        event_free(x->sig_int);
    if (x->sig_term)
        event_free(x->sig_term);
    metrics_http_free(x->metrics);
    if (x->metrics_fd >= 0)
        close(x->metrics_fd);
    coord_free(x->co);
    ctrl_free(x->ctrl);
    if (x->rh_started)
        rank_host_stop(&x->rh);
    if (x->host_up)
        host_destroy(&x->host);
    if (x->base) {
        loop_turn_init(NULL);
        event_base_free(x->base);
    }
    rundir_close(x->rd);
    pki_free(&x->pki);
    free(x->fin.ranks);
    free(x->fin.first_online_ns);
    free(x->fin.first_emu_ns);
    free(x->fin.attempts);
    free(x->counts);
    free(x->displs);
    free(x->hists);
    free(x->est);
    free(x->offsets);
    free(x->hosts);
    free(x->host_ips);
    watchdog_arm("MPI_Finalize", WD_FINALIZE);
    MPI_Finalize();
    watchdog_stop();
}

/* A phase that waits on other ranks, under the watchdog. */
static int guarded(struct run_ctx *x, const char *phase, int limit_s, int (*fn)(struct run_ctx *))
{
    watchdog_arm(phase, limit_s);
    int status = fn(x);
    watchdog_arm(NULL, 0);
    return status;
}

static int cmd_run(const struct cli *cli)
{
    static struct run_ctx ctx; /* the scenario and the host are large */
    struct run_ctx *x = &ctx;
    int status;
    status = run_setup_mpi(x, cli);
    watchdog_start(x->rank, watchdog_abort);
    if (status != 0)
        goto out;
    if ((status = guarded(x, "loading the scenario", WD_SCENARIO, run_load_scenario)) != 0)
        goto out;
    if ((status = guarded(x, "binding --metrics-listen", WD_SCENARIO, run_listen_metrics)) != 0)
        goto out;
    if ((status = guarded(x, "placing the hosts", WD_HOSTS, run_place_hosts)) != 0)
        goto out;
    if ((status = guarded(x, "making the key material", WD_KEYS, run_make_keys)) != 0)
        goto out;
    if ((status = guarded(x, "clock sync", WD_CLOCKS, run_sync_clocks)) != 0)
        goto out;
    if ((status = guarded(x, "starting the nodes", WD_NODES, run_start_hosts)) != 0)
        goto out;
    if ((status = run_coordinate(x)) != 0)
        goto out;
    if ((status = guarded(x, "the final gathers", WD_GATHER, run_gather)) != 0)
        goto out;
    status = guarded(x, "writing the results", WD_RESULTS, run_write_results);
out:
    run_teardown(x);
    return status;
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
