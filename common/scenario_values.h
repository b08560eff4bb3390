/* scenario_values.h - scalar parsers and formatters; internal to the scenario
 * loader (common/scenario*.c), not a public API, hence the scnv_ prefix. The
 * public duration helpers are scenario_parse_duration()/
 * scenario_format_duration() in scenario.h; durations and plain numbers as
 * text are units.h's, distributions dist.h's.
 *
 * The *_why parsers return false and put the reason in `why` on bad input. */
#ifndef BS_SCENARIO_VALUES_H
#define BS_SCENARIO_VALUES_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool scnv_is_digit(char c);
bool scnv_parse_uint_why(const char *t, uint64_t min, uint64_t max, uint64_t *out, char *why,
                         size_t wl);
bool scnv_parse_fraction_why(const char *t, double *out, char *why, size_t wl);
bool scnv_parse_ipv4(const char *t, const char **end, uint32_t *out);
uint32_t scnv_prefix_mask(unsigned prefix);
bool scnv_parse_cidr_why(const char *t, struct scn_net *net, char *why, size_t wl);
void scnv_format_ipv4(uint32_t a, char *buf, size_t len);
void scnv_format_cidr(const struct scn_net *n, char *buf, size_t len);
int scnv_number_precision(double v);
void scnv_format_number(double v, char *buf, size_t len);
bool scnv_parse_rate_why(const char *t, double *out, char *why, size_t wl);
void scnv_format_rate(double v, char *buf, size_t len);
bool scnv_parse_bandwidth_why(const char *t, uint64_t *out, char *why, size_t wl);
void scnv_format_bandwidth(uint64_t Bps, char *buf, size_t len);
bool scnv_parse_bool_why(const char *t, bool *out, char *why, size_t wl);
bool scnv_parse_cond_why(const char *t, struct scn_cond *c, char *why, size_t wl);
void scnv_format_cond(const struct scn_cond *c, char *buf, size_t len);

#endif
