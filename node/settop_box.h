/* settop_box.h - a set-top box's image fetch (architecture: settop).
 *
 * Each peer of a settop run is a box and owns one. Between power-on and
 * registration the box gets the boot image by the run's method
 * (settop.method) and checks it:
 *   carousel  it listens to its rank's receiver (node/settop_rx.h) and
 *             marks each block it hears in a block map; a block its own
 *             link loses (settop.downstream.loss) comes round again a cycle
 *             later. Complete when every block is marked.
 *   fountain  it keeps the symbols it hears and, from K + settop.fountain
 *             .overhead of them, decodes (node/fountain.h); a decode short
 *             of rank waits for one more symbol.
 *   unicast   one TCP download per attempt from the head-end, from the
 *             first block it lacks (the bytes it had survive a failed
 *             attempt, as an HTTP range request would), hashed as they
 *             arrive; an attempt fails on BUSY, on settop.download.timeout
 *             without a byte, or on a broken connection, and the peer
 *             backs off per settop.download.
 * A share settop.verify of the boxes (a fixed hash draw per box) keeps the
 * bytes and checks the SHA-256 of what it rebuilt or decoded: the check is
 * real for them. The others count blocks or symbols and never hold the
 * bytes; they count img_ok without img_verified. Unicast boxes always
 * verify (hashing as the bytes arrive needs no copy of the image).
 *
 * The outcome goes to the peer through peer_settop_fetched (node/peer.h). */
#ifndef BS_SETTOP_BOX_H
#define BS_SETTOP_BOX_H

#include <stdbool.h>
#include <stdint.h>

struct host;
struct peer;
struct settop_box;
struct wire_img;

/* A box for peer p, off, holding nothing. NULL when out of memory. */
struct settop_box *settop_box_new(struct host *h, struct peer *p);
void settop_box_free(struct settop_box *b);

/* The peer starts fetching (the image time runs from the first since
 * power-on, a throttled attempt included). */
void settop_box_begin(struct settop_box *b);
/* Start getting the image (the peer is in FETCH): listen, or start one
 * download attempt. Returns 0, or -1 when the attempt cannot start (errno
 * set; nothing will report). */
int settop_box_fetch(struct settop_box *b);
/* The peer stops waiting for the attempt in flight (no report follows);
 * what the box has is kept. */
void settop_box_stop(struct settop_box *b);
/* The box loses power: the attempt, the blocks and the image are gone. */
void settop_box_down(struct settop_box *b);

/* The image hash it registers with: the one it verified, or for a box that
 * only counted, the image's published hash. */
const uint8_t *settop_box_sha256(const struct settop_box *b);

/* The rank's receiver heard a block or symbol of the run's image (checked:
 * right image, index and length); the box applies its own loss. */
void settop_box_hear(struct settop_box *b, const struct wire_img *img);
/* The receiver's bookkeeping: where the box sits in its list. */
uint32_t *settop_box_rx_slot(struct settop_box *b);

#endif
