// .tap counters (LANGUAGE.md 5.4, 8.9): events counted per counter name,
// stream and label values, written to --stats as the "taps" array in the
// order the combinations first occur.
// SPDX-License-Identifier: MIT
#ifndef VP_TAP_H
#define VP_TAP_H

#include "output.h"
#include "pack.h"
#include "value.h"

// Counts one event for counter `counter` of stream `stream` with the
// given label names and values (names and counter are static strings).
void vp_tap(const char *counter, const char *stream, int nlabels,
            const char *const *names, const vp_value *values);

// Writes the entries {"counter":…,"stream":…,"labels":{…},"count":…},
// comma-separated, inside an array the caller opened.
void vp_taps_write(vp_out *o);

// Checkpoints (7.3): appends every entry to b; loads them back, before any
// event is counted.
void vp_taps_save(vp_buf *b);
void vp_taps_load(vp_rd *r);

#endif
