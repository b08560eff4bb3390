/* settop_rx.h - a rank's broadcast receiver (architecture settop).
 *
 * One UDP socket per rank that hosts boxes, at placement_rx's address: the
 * head-end sends each carousel block or fountain symbol to it once, and it
 * hands the datagram to every box of the rank that is listening, each of
 * which applies its own loss (node/settop_box.h). A datagram that does not
 * decode counts malformed; one for another image, or whose index or size
 * does not fit the image, counts img_bad; both are dropped. */
#ifndef BS_SETTOP_RX_H
#define BS_SETTOP_RX_H

#include <stddef.h>

struct host;
struct settop_box;

/* Bind the rank's receiver. NULL with err set. */
struct settop_rx *settop_rx_new(struct host *h, char *err, size_t errlen);
void settop_rx_free(struct settop_rx *rx);
/* A box starts or stops taking blocks (O(1) each). listen returns 0, or
 * -1 when out of memory. */
int settop_rx_listen(struct settop_rx *rx, struct settop_box *b);
void settop_rx_unlisten(struct settop_rx *rx, struct settop_box *b);

#endif
