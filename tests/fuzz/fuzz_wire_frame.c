/* fuzz_wire_frame - the TCP frame reader, wire_decode_frame (node/wire.h),
 * as node/conn.c drives it: take frames off an evbuffer until it needs more.
 *
 * Feeds: the input as a byte stream, added to the evbuffer as one chain per
 * piece so that frames span chains (pullup has to copy), as they do when
 * they arrive in several reads. The first input byte picks the piece size
 * (1 to 256 bytes); the rest is the stream.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - NEED_MORE and OVERSIZE consume nothing and report a frame length of 0;
 *   - otherwise the reported frame length is 5 to 4 + WIRE_MAX_FRAME, never
 *     more than the buffer held, and exactly what left the buffer;
 *   - each frame gets the status wire_decode_payload gives its payload, and
 *     the same message;
 *   - a frame that decodes re-encodes (wire_encode) to a frame that decodes
 *     to the same message;
 *   - NEED_MORE only when the buffer holds less than one whole frame. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "node/wire.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_wire_frame: invariant failed: %s\n", #cond);                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] + 1;
    data++;
    size--;

    /* evbuffer_add would fill the last chain first: moving each piece in
     * from another buffer keeps it a chain of its own. */
    struct evbuffer *in = evbuffer_new();
    struct evbuffer *re = evbuffer_new();
    struct evbuffer *one = evbuffer_new();
    CHECK(in && re && one);
    for (size_t off = 0; off < size; off += piece) {
        CHECK(evbuffer_add(one, data + off, size - off < piece ? size - off : piece) == 0);
        CHECK(evbuffer_add_buffer(in, one) == 0);
    }

    size_t pos = 0; /* where the buffer's front is in data */
    for (;;) {
        struct wire_msg m, want;
        size_t before = evbuffer_get_length(in), n = 12345;
        CHECK(before == size - pos);
        enum wire_status st = wire_decode_frame(in, &m, &n);
        size_t after = evbuffer_get_length(in);

        if (st == WIRE_NEED_MORE || st == WIRE_ERR_OVERSIZE) {
            CHECK(n == 0 && after == before);
            if (st == WIRE_NEED_MORE)
                CHECK(before < 4 || before < 4 + (size_t)be32(data + pos));
            else
                CHECK(before >= 4 && (be32(data + pos) == 0 || be32(data + pos) > WIRE_MAX_FRAME));
            break;
        }
        CHECK(n >= 5 && n <= 4 + (size_t)WIRE_MAX_FRAME && n <= before && after == before - n);
        CHECK(n == 4 + (size_t)be32(data + pos));
        CHECK(wire_decode_payload(data + pos + 4, n - 4, &want) == st);
        if (st == WIRE_OK) {
            CHECK(memcmp(&m, &want, sizeof m) == 0);
            struct wire_msg again;
            size_t n2 = 0;
            int len = wire_encode(&m, re);
            CHECK(len > 4 && (size_t)len <= n);
            CHECK(wire_decode_frame(re, &again, &n2) == WIRE_OK && n2 == (size_t)len);
            CHECK(memcmp(&m, &again, sizeof m) == 0 && evbuffer_get_length(re) == 0);
        }
        pos += n;
    }
    evbuffer_free(in);
    evbuffer_free(re);
    evbuffer_free(one);
    return 0;
}
