/* watchdog.c - deadlines on blocking phases (see watchdog.h). */
#include "watchdog.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, quit;
    int rank;
    double scale;
    watchdog_expire_fn on_expire;
    const char *phase; /* NULL: nothing timed */
    int64_t deadline_ns;
    double limit_s;
} wd = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void *watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wd.mu);
    while (!wd.quit) {
        if (!wd.phase) {
            pthread_cond_wait(&wd.cv, &wd.mu);
            continue;
        }
        if (clock_mono_ns() >= wd.deadline_ns) {
            fprintf(stderr, "bootstorm: rank %d: %s did not finish in %.0f s; aborting\n", wd.rank,
                    wd.phase, wd.limit_s);
            fflush(stderr);
            wd.on_expire(wd.phase, wd.limit_s);
            _exit(1); /* the expiry function is not expected to return */
        }
        struct timespec ts = {(time_t)(wd.deadline_ns / NS_PER_S),
                              (long)(wd.deadline_ns % NS_PER_S)};
        pthread_cond_timedwait(&wd.cv, &wd.mu, &ts);
    }
    pthread_mutex_unlock(&wd.mu);
    return NULL;
}

void watchdog_start(int rank, watchdog_expire_fn on_expire)
{
    const char *sc = getenv("BOOTSTORM_WATCHDOG_SCALE");
    double scale = sc ? strtod(sc, NULL) : 0;
    wd.rank = rank;
    wd.scale = scale > 0 ? scale : 1.0;
    wd.on_expire = on_expire;
    wd.quit = false;
    wd.phase = NULL;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* clock_mono_ns's clock */
    pthread_cond_init(&wd.cv, &ca);
    pthread_condattr_destroy(&ca);
    wd.started = pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0;
}

void watchdog_arm(const char *phase, double limit_s)
{
    pthread_mutex_lock(&wd.mu);
    wd.phase = phase;
    wd.limit_s = limit_s * wd.scale;
    wd.deadline_ns = clock_mono_ns() + (int64_t)(wd.limit_s * NS_PER_S);
    pthread_cond_signal(&wd.cv);
    pthread_mutex_unlock(&wd.mu);
}

void watchdog_stop(void)
{
    if (!wd.started)
        return;
    pthread_mutex_lock(&wd.mu);
    wd.quit = true;
    pthread_cond_signal(&wd.cv);
    pthread_mutex_unlock(&wd.mu);
    pthread_join(wd.thread, NULL);
    pthread_cond_destroy(&wd.cv);
    wd.started = false;
}
