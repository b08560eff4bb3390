/* fuzz_wire_payload - the wire decoder, wire_decode_payload (node/wire.h).
 *
 * Feeds: the input as one payload (a UDP datagram, or a TCP frame without
 * its length prefix).
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - the status is one the header defines, and NEED_MORE never comes back;
 *   - on an error the message is left zeroed;
 *   - a payload that decodes re-encodes (wire_encode_payload), and the
 *     re-encoded bytes decode to the same message; encoding that message
 *     again gives the same bytes (the encoder is canonical);
 *   - the type decoded has a name (wire_type_name is not "UNKNOWN"). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/wire.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_wire_payload: invariant failed: %s\n", #cond);                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_msg m, again;
    uint8_t enc[2048], enc2[2048]; /* the largest payload, DHT NODES of 32, is 1025 */

    memset(&m, 0xa5, sizeof m); /* the decoder must set every byte it leaves */
    enum wire_status st = wire_decode_payload(data, size, &m);
    CHECK(st == WIRE_OK || st == WIRE_ERR_OVERSIZE || st == WIRE_ERR_MALFORMED ||
          st == WIRE_ERR_UNKNOWN || st == WIRE_ERR_VERSION);
    CHECK(strcmp(wire_status_name(st), "invalid_status") != 0);
    if (st != WIRE_OK) {
        CHECK(all_zero(&m, sizeof m));
        return 0;
    }
    CHECK(strcmp(wire_type_name(m.type), "UNKNOWN") != 0);

    int n = wire_encode_payload(&m, enc, sizeof enc);
    CHECK(n > 0 && (size_t)n <= size); /* canonical form is never longer than the input */
    memset(&again, 0x5a, sizeof again);
    CHECK(wire_decode_payload(enc, (size_t)n, &again) == WIRE_OK);
    CHECK(memcmp(&m, &again, sizeof m) == 0);
    int n2 = wire_encode_payload(&again, enc2, sizeof enc2);
    CHECK(n2 == n && memcmp(enc, enc2, (size_t)n) == 0);
    return 0;
}
