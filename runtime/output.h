// Buffered JSON Lines writers for the main output, file sinks and the
// dead-letter output (LANGUAGE.md 8.7, 8.8). Generated code writes a record
// key by key; the writer owns number and string formatting.
// SPDX-License-Identifier: MIT
#ifndef VP_OUTPUT_H
#define VP_OUTPUT_H

#include <signal.h>

#include "input.h"
#include "pack.h"
#include "value.h"

typedef struct vp_out vp_out;

// Opens path for writing (truncating it), or stdout when path is NULL or
// "-". lazy: create the file only with the first record (the dead-letter
// output, 8.1); an existing file is still truncated at open. Returns NULL
// with errno set on failure.
vp_out *vp_out_open(const char *path, bool lazy);

// A writer on an open descriptor it does not own (stderr for .print and
// .log).
vp_out *vp_out_open_fd(int fd);

// An output that keeps what is written in memory, for vp_out_take: a
// worker's main output, whose records its collector writes out in order.
vp_out *vp_out_open_memory(void);
// Appends to b what the memory output o holds (its record count, its
// length, then its bytes) and empties it.
void vp_out_take(vp_out *o, vp_buf *b);
// Writes to o what vp_out_take appended at rd, and moves rd past it.
void vp_out_put_taken(vp_out *o, vp_rd *rd);
// Opens path for appending, creating it if needed (a file sink's default
// mode, LANGUAGE.md 2.11). Returns NULL with errno set on failure.
vp_out *vp_out_open_append(const char *path);

// Checkpoints (7.3). Opens path again at the length a checkpoint recorded,
// with records records before: a longer file is cut there, a shorter one
// is an error (NULL, errno ERANGE). A file that does not exist is created
// when length is 0. Returns NULL with errno set on failure.
vp_out *vp_out_open_at(const char *path, int64_t length, int64_t records,
                       bool lazy);
// Writes what is buffered and fsyncs it; returns the file's length, 0 for
// a lazy file not created yet, VP_OUT_NOT_FILE for a terminal or pipe,
// or a negative errno.
#define VP_OUT_NOT_FILE INT64_MIN
int64_t vp_out_sync(vp_out *o);
// The path given at open, NULL for a descriptor.
const char *vp_out_path(const vp_out *o);

// Writes text as it is, outside any record (the "[PRINT] " of .print).
void vp_out_raw(vp_out *o, const char *p, size_t n);

// Writes what is buffered and closes; returns 0 or a negative errno.
int vp_out_close(vp_out *o);
int vp_out_flush(vp_out *o);
// Flushes every output open in this process.
void vp_out_flush_all(void);
// A write interrupted by a signal gives up, with the error -EINTR, when
// *flag is non-zero (the run loop's SIGINT/SIGTERM flag): a reader that
// takes nothing must not keep a stopped run waiting. Otherwise it is
// retried.
void vp_out_set_stop(volatile sig_atomic_t *flag);

// Records written and bytes written so far. A record is a line: one
// vp_w_begin .. vp_w_end, a dead letter, or an object begun at depth 0.
int64_t vp_out_records(const vp_out *o);
int64_t vp_out_bytes(const vp_out *o);

// A record: begin, then key/value pairs, then end. begin writes
// {"event_type":"T" and, when has_time, "timestamp":"..."; end writes "}"
// and, at nesting depth 0, the line break that completes the record.
void vp_w_begin(vp_out *o, vp_str type, bool has_time, int64_t time_ns);
void vp_w_end(vp_out *o);
// --record-ids (7.3): after vp_w_begin of a record of stream, writes
// "_id":"SEQ-STREAM-K", K counting that stream's records written while
// input record SEQ is processed, from 0; nothing inside another record.
void vp_w_record_id(vp_out *o, int64_t seq, const char *stream);

// A flat record in one piece, for generated writers: vp_out_room gives
// room for n bytes, the writer fills it with the whole record up to its
// closing '}', and vp_out_room_done ends the record at end, the byte after
// it. NULL (write the record with vp_w_begin .. vp_w_end instead) inside
// another record or when n is large.
char *vp_out_room(vp_out *o, size_t n);
void vp_out_room_done(vp_out *o, char *end);

// Whether s goes into a JSON string as it is: no byte needs an escape.
bool vp_str_plain(vp_str s);

// Whether v is null, a bool, a number or a plain string, which
// vp_put_flat writes at d in at most 32 bytes plus the string's length;
// it returns the end.
bool vp_value_flat(const vp_value *v);
char *vp_put_flat(char *d, const vp_value *v);

// An object or array nested in a value position (no event_type). An
// object begun at depth 0 is a record of its own: its end writes the line
// break too (the --stats object, dead letters).
void vp_w_obj_begin(vp_out *o);
void vp_w_obj_end(vp_out *o);
void vp_w_arr_begin(vp_out *o);
void vp_w_arr_end(vp_out *o);

// Writes ,"name": (or "name": as the first member).
void vp_w_key(vp_out *o, const char *name, size_t len);

// The same for a key already written as JSON with its colon, e.g.
// vp_w_key_lit(o, "\"order_id\":", 11): generated code knows its keys at
// compile time, so the writer need not scan them for escapes.
void vp_w_key_lit(vp_out *o, const char *quoted, size_t len);

// Values. Inside an array each value is preceded by a comma as needed.
void vp_w_int(vp_out *o, int64_t v);
void vp_w_float(vp_out *o, double v);  // 8.7: shortest round trip, repr layout
void vp_w_bool(vp_out *o, bool v);
void vp_w_null(vp_out *o);
void vp_w_str(vp_out *o, vp_str s);
void vp_w_time(vp_out *o, int64_t ns);     // RFC 3339 text, 8.7
void vp_w_duration(vp_out *o, int64_t ns); // integer nanoseconds
void vp_w_value(vp_out *o, const vp_value *v);

// Formats a double as 8.7 says into buf (at least 32 bytes); returns the
// length. Used by the writer and by to_string/print.
int vp_fmt_float(char *buf, double v);

// Formats a timestamp as 8.7 says into buf (at least 40 bytes).
int vp_fmt_time(char *buf, int64_t ns);

// A dead-letter record (8.8) up to the event: writes kind .. line and the
// key "event". The caller then writes the event with vp_w_begin .. vp_w_end
// (or vp_w_null) and finishes with vp_dlq_end, which adds "raw" when raw is
// non-NULL and "handler_error" when handler_error is non-NULL.
typedef struct vp_dlq_head {
  const char *kind;
  vp_str message;
  const char *stream;  // NULL writes null
  int64_t worker;
  int64_t attempt;
  vp_origin origin;
} vp_dlq_head;

void vp_dlq_begin(vp_out *o, const vp_dlq_head *h);
void vp_dlq_end(vp_out *o, const vp_str *raw, const vp_str *handler_error);

#endif
