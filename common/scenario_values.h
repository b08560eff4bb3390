/* scenario_values.h - scalar parsers and formatters; internal to the scenario
 * loader (common/scenario*.c), not a public API. The public duration helpers
 * are scenario_parse_duration()/scenario_format_duration() in scenario.h.
 *
 * The *_why parsers return false and put the reason in `why` on bad input. */
#ifndef BS_SCENARIO_VALUES_H
#define BS_SCENARIO_VALUES_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool scn_is_digit(char c);
bool parse_duration_why(const char *t, int64_t *ns, char *why, size_t wl);
int64_t ns_of_double(double v);
bool parse_uint_why(const char *t, uint64_t min, uint64_t max, uint64_t *out, char *why, size_t wl);
bool parse_number(const char *t, size_t len, double *out);
bool parse_fraction_why(const char *t, double *out, char *why, size_t wl);
bool parse_ipv4(const char *t, const char **end, uint32_t *out);
uint32_t prefix_mask(unsigned prefix);
bool parse_cidr_why(const char *t, struct scn_net *net, char *why, size_t wl);
void format_ipv4(uint32_t a, char *buf, size_t len);
void format_cidr(const struct scn_net *n, char *buf, size_t len);
bool parse_dist_why(const char *text, struct dist *d, char *why, size_t wl);
void format_dist(const struct dist *d, char *buf, size_t len);
int number_precision(double v);
void format_number(double v, char *buf, size_t len);
bool parse_rate_why(const char *t, double *out, char *why, size_t wl);
void format_rate(double v, char *buf, size_t len);
bool parse_bandwidth_why(const char *t, uint64_t *out, char *why, size_t wl);
void format_bandwidth(uint64_t Bps, char *buf, size_t len);
bool parse_bool_why(const char *t, bool *out, char *why, size_t wl);
bool parse_cond_why(const char *t, struct scn_cond *c, char *why, size_t wl);
void format_cond(const struct scn_cond *c, char *buf, size_t len);

#endif
