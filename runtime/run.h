// The generated executable's driver: command line (LANGUAGE.md 8.1), the
// read-route loop, regions, outputs, run summary, --stats and exit codes
// (8.9). Generated code describes the program with a vp_program and calls
// vp_main; stages call back into the few services below.
// SPDX-License-Identifier: MIT
#ifndef VP_RUN_H
#define VP_RUN_H

#include "arena.h"
#include "input.h"
#include "output.h"
#include "region.h"

// Metadata that travels with every record derived from one input record.
typedef struct vp_meta {
  vp_origin origin;
  int64_t time_ns;
  bool time_from_data;
  uint64_t key_hash;  // routing hash of the partition key (5.4, 5.7)
} vp_meta;

// One route per event type that some stream consumes: handle decodes the
// record and runs the subscribed streams. It reports a record that fails
// its declaration with vp_parse_error.
typedef struct vp_route {
  const char *type;
  void (*handle)(const vp_event *ev);
  // Reads and handles the .evt text after the type name, [body, end),
  // when it has the plain shape of evtfast.h; false leaves the record to
  // handle. NULL when the type has no fast reader.
  bool (*fast)(const vp_event *ev, const char *body, const char *end);
} vp_route;

// A stream's own source, read from a file connector (E.from(C), 5.2)
// after the main inputs: its records must have type `type`.
typedef struct vp_source {
  const char *path;
  vp_format format;
  const char *type;
  void (*handle)(const vp_event *ev);
} vp_source;

// Fates per stream (8.9): in = passed + filtered + dead_lettered + held.
typedef struct vp_stream_counts {
  int64_t in;
  int64_t out;
  int64_t passed;
  int64_t filtered;
  int64_t dead_lettered;
  int64_t held;
} vp_stream_counts;

typedef struct vp_program {
  const char *name;  // the .vpl file, for --version and --help
  const vp_route *routes;
  int nroutes;
  const vp_region_desc *regions;
  int nregions;
  const vp_source *sources;
  int nsources;
  const char *const *streams;  // stream names, indexed by stream id
  int nstreams;
  void (*init)(void);  // global initialisation (2.5), before any input
  // Called after each input record has been routed, and at the end of
  // input, to run queued work; may be NULL.
  void (*flush)(void);
  // Called once at the end of input (5.5): releases sessions, and every
  // window when flush_windows is set (--flush-windows-at-eof); may be NULL.
  void (*finish)(bool flush_windows);
  // Checkpoints (7.3): a hash of the generated program, which a
  // checkpoint must carry to be resumed by it; save appends the state of
  // every operator outside regions, load reads it back after init.
  uint64_t fingerprint;
  void (*save)(vp_buf *b);
  void (*load)(vp_rd *r);
  // Defaults set by a config: block (2.9); NULL/AUTO when absent.
  vp_format default_format;
  const char *default_output;
  const char *default_dlq;
} vp_program;

// Runs the program over the command line's inputs; returns the exit status.
int vp_main(const vp_program *prog, int argc, char **argv);

// Settings of the command line that other modules read (8.1):
// --deterministic, --flush-windows-at-eof, --seed and --trace (NULL when
// absent).
extern bool vp_deterministic;
extern bool vp_flush_windows;
extern uint64_t vp_seed;
extern const char *vp_trace_path;

// The input record whose processing writes outputs now (the one routed,
// or the one whose region outcome is delivered; the record count at the
// end of input): the SEQ of --record-ids.
extern int64_t vp_record_seq;
// --record-ids: generated code writes ids when it is set.
extern bool vp_record_ids;

// Services for generated code.

// The main output (-o, default stdout). In a worker, a memory output:
// what a worker writes there goes to its collector with the event's
// outcome (vp_out_take), to be written out in the collector's order.
vp_out *vp_main_out(void);
// Called once in a new worker process: makes its main output the memory
// output.
void vp_capture_main_out(void);

// The arena of the record in hand: reset after each input record on the
// main thread, after each event in a worker. During prog->init it is the
// run's arena, so what global initialisation allocates lives for the run.
extern vp_arena *vp_event_arena;

// Started regions, indexed as prog->regions.
extern vp_region **vp_regions;

// Per-stream counters, indexed by stream id.
extern vp_stream_counts *vp_counts;

// A decoder whose record got its event time from a declared field (rule 1
// of 8.5) reports it here, so that rule 4 hands it to the next record.
void vp_note_event_time(int64_t ns);

// Writes a parse_error dead letter for a record that fails its declaration
// (8.6); message as 8.6 spells it ("missing field: f").
void vp_parse_error(const vp_event *ev, const char *message);

// Writes a dead letter for err. write_event writes the event (vp_w_begin ..
// vp_w_end) or is NULL for a null event. handler_error is non-NULL when a
// handler failed on err (5.7).
typedef void (*vp_event_writer)(vp_out *o, const void *rec);
void vp_dead_letter(const vp_stream_error *err, vp_event_writer write_event,
                    const void *rec, const vp_str *handler_error);

// Opens a file connector's output (2.11): appending or truncating, or,
// when the run resumes from a checkpoint, at the length it recorded.
// Returns NULL with errno set on failure.
vp_out *vp_sink_open(const char *path, bool append);

// A worker could not save its state for the checkpoint in progress.
void vp_ckpt_worker_failed(const vp_stream_error *err);

// log_error(e) of 6.11: "[ERROR] stream: kind: message (worker W, attempt A,
// seq S)".
void vp_log_stream_error(const vp_stream_error *err);

#endif
