/* headend.h - the cable head-end of architecture settop (docs/architecture.md,
 * "Set-top boxes").
 *
 * One node serves the neighbourhood. It makes the boot image at start
 * (node/settop_image.h) and puts it on the shared downstream channel
 * (settop.channel.bitrate) by the scenario's method:
 *   carousel  block after block, cycling, over UDP, paced at
 *             settop.carousel.bitrate;
 *   fountain  RaptorQ symbols, ESI after ESI (node/fountain.h), the same way;
 *   unicast   each box's own TCP download (IMG_FETCH, then IMG_BLOCK frames
 *             in order), the sessions sharing the channel round-robin; a
 *             segment lost on a box's link (settop.downstream.loss) is sent
 *             again and holds that session settop.downstream.retransmit.
 * A broadcast slot is one datagram to each rank's receiver
 * (node/settop_rx.h), never one per box: the head-end's cost per block does
 * not grow with the boxes. Channel bytes count once per slot
 * (he_egress_bytes); he_datagrams counts the datagrams.
 *
 * On the same TCP port (settop.headend.port) it is the registration server:
 * BOX_REGISTER goes through the capacity model (settop.headend.register.*),
 * answered REGISTER_OK, BUSY (refused, with the retry-after hint) or
 * REGISTER_FAIL (WRONG_IMAGE, NOT_A_BOX); a registered box's KEEPALIVEs are
 * answered at once. The first message on a connection decides what it is;
 * anything out of order (a second FETCH, a REGISTER on a download, a FETCH
 * for a block past the end or from an id that is no box) counts malformed
 * and closes it. Beyond settop.headend.max_downloads open downloads a FETCH
 * is answered BUSY (he_dl_refused). A download is fed only while little of
 * it waits unsent (the channel paces it, not the kernel); one whose box
 * stops reading for request_deadline is closed (conn_deadline).
 *
 * The broadcast schedule runs from run time 0 at settop.carousel.bitrate,
 * carousel_slot_bytes(block) per slot (node/carousel.h), so slot s is due
 * at the same run time on every run. A tick that runs late sends at most
 * 10 ms of slots and skips the older ones; a restored head-end goes on
 * where the schedule is by then.
 *
 * States: UP <--crash / outage--> DOWN (the carousel stops, every
 * connection closes). Capacity and stall events act on registration. */
#ifndef BS_HEADEND_H
#define BS_HEADEND_H

#include "role_table.h"

extern const struct role_ops headend_role;

#endif
