// Input readers: .evt (LANGUAGE.md 8.3) and JSON Lines (8.4) over files or
// standard input, one record at a time, with sequence numbers and positions.
// The run loop in run.c feeds each record to the generated router; decoding
// into declared event types happens in generated code through the vp_as_*
// conversions below.
// SPDX-License-Identifier: MIT
#ifndef VP_INPUT_H
#define VP_INPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "arena.h"
#include "value.h"

typedef enum vp_format {
  VP_FORMAT_AUTO,
  VP_FORMAT_EVT,
  VP_FORMAT_JSONL,
} vp_format;

// Where a record came from: its global sequence number (0, 1, ... across all
// inputs), the input path ("-" for stdin) and its line, counted from 1.
typedef struct vp_origin {
  int64_t seq;
  const char *input;
  int64_t line;
} vp_origin;

// One input record, parsed but not yet checked against a declaration.
// Everything it points to lives in the arena passed to vp_input_next or in
// the input's scratch space (the fields of .evt records), and stays valid
// until the next vp_input_next or vp_input_close.
typedef struct vp_event {
  vp_origin origin;
  vp_str type;          // event_type (or type, or the .evt record name)
  int64_t nfields;
  vp_str *names;        // field names in input order, duplicates merged
  vp_value *values;
  vp_str raw;           // the line as read, without its line break
  int64_t time_ns;      // event time by rules 2-4 of LANGUAGE.md 8.5
  bool time_from_data;  // rules 2 and 3 gave time_ns
} vp_event;

typedef struct vp_input vp_input;

// Opens the inputs in order ("-" is stdin); with no paths, reads stdin.
// Returns NULL and sets *why (a static message with the path's errno text
// written into whybuf) when a file cannot be opened.
vp_input *vp_input_open(const char *const *paths, int npaths, vp_format fmt,
                        char *whybuf, size_t whylen);

// Reads data[0..n) as one input named name; the caller keeps data alive
// until vp_input_close. For tests and fuzzing.
vp_input *vp_input_open_mem(const char *data, size_t n, const char *name,
                            vp_format fmt);

// A read interrupted by a signal ends the input when *flag is non-zero (the
// run loop's SIGINT/SIGTERM flag); otherwise it is retried.
void vp_input_set_stop(vp_input *in, volatile sig_atomic_t *flag);

// idle(fd) runs when a read of a source that is not a regular file (a
// pipe, a terminal) would block; it returns once fd is readable, or when
// waiting is interrupted. The run loop writes its outputs out meanwhile.
void vp_input_set_idle(vp_input *in, void (*idle)(int fd));

// Sets the event time that rule 4 of 8.5 hands to the next record without
// one, when a declared event-time field (rule 1) gave the record in hand its
// time.
void vp_input_set_time(vp_input *in, int64_t ns);

// 0, or the negative errno of the first read error (the input was then cut
// short and logged).
int vp_input_error(const vp_input *in);

typedef enum vp_read_status {
  VP_READ_RECORD,      // *ev holds a record
  VP_READ_TAKEN,       // the fast reader took the record (ev has its origin)
  VP_READ_MALFORMED,   // *ev has origin and raw; *msg says what is wrong
  VP_READ_END,         // no more input
} vp_read_status;

// Reads the next record, skipping blank, comment and BATCH lines. Strings of
// the record are allocated in a. On VP_READ_MALFORMED, *msg is the
// parse_error message of LANGUAGE.md 8.8, also allocated in a.
vp_read_status vp_input_next(vp_input *in, vp_arena *a, vp_event *ev,
                             const char **msg);

// A reader that may take a .evt record before the generic parser does:
// called with the record's origin, raw text and event time set in *ev and
// its trimmed text t[0..n), which starts with a name character. It
// returns true when it has handled the record, false to leave the record
// to the generic parser, having done nothing with it.
typedef bool (*vp_fast_reader)(const vp_event *ev, const char *t, size_t n);

void vp_input_set_fast(vp_input *in, vp_fast_reader fast);

// Bytes consumed so far over all inputs (for progress display).
int64_t vp_input_bytes(const vp_input *in);

void vp_input_close(vp_input *in);

// Sets the sequence number of the next record (a connector source read
// after the main inputs continues their numbering).
void vp_input_set_seq(vp_input *in, int64_t seq);

// Checkpoints (7.3): where reading stands, as far as a restart needs it
// to go on reading the same records with the same numbers and times.
typedef struct vp_input_pos {
  int64_t cur;     // input being read (== count when all are read)
  int64_t offset;  // byte offset of the next unread byte in it
  int64_t line;
  int64_t seq;
  int64_t batch_ns;
  int64_t last_time;
  bool skipping;   // inside the rest of an overlong line
  bool batch_set;
} vp_input_pos;

int vp_input_count(const vp_input *in);
const char *vp_input_path(const vp_input *in, int i);
// The size of input i when it was opened, -1 if it is not a regular file.
int64_t vp_input_size(const vp_input *in, int i);
void vp_input_tell(const vp_input *in, vp_input_pos *p);
// FNV-1a 64 of the (at most 4 KiB) bytes before p's offset, or 0: what a
// restart compares to find out that an input changed under it.
uint64_t vp_input_tail_hash(const vp_input *in, const vp_input_pos *p);
// Goes to p, read before by an input opened on the same paths; returns 0
// or a negative errno.
int vp_input_seek(vp_input *in, const vp_input_pos *p);

// Returns the value of member name, or NULL when the record has none. Tries
// the member after the one it found last (on this thread) first, so a
// decoder that asks for the fields in input order finds each at once.
const vp_value *vp_event_get(const vp_event *ev, const char *name,
                             size_t len);

// The same with a per-call-site hint: *hint is the index where name was
// found last (start it at 0 or -1). The member at *hint is tried first and
// *hint is updated after a search, so each decoder call site learns the
// layout of its input. The hint only orders the search: any value, stale
// or shared between threads (it is read and written with relaxed atomics),
// gives the same result as vp_event_get. Generated decoders keep one
// `static int32_t` per declared field.
const vp_value *vp_event_get_hint(const vp_event *ev, const char *name,
                                  size_t len, int32_t *hint);

// Conversions used by generated decoders for declared fields (8.6). Each
// returns false when the value does not convert; ints widen to float; a
// timestamp is an RFC 3339 string (optional '@', fraction, zone) or an int of
// milliseconds; a duration is an int of nanoseconds or a VPL duration string.
bool vp_as_int(const vp_value *v, int64_t *out);
bool vp_as_float(const vp_value *v, double *out);
bool vp_as_bool(const vp_value *v, bool *out);
bool vp_as_str(const vp_value *v, vp_str *out);
bool vp_as_timestamp(const vp_value *v, int64_t *out_ns);
bool vp_as_duration(const vp_value *v, int64_t *out_ns);

#endif
