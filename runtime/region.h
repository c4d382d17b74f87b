// Concurrent regions: worker processes forked by the single-threaded parent,
// shared-memory rings in both directions, dispatch by strategy, and the
// collector that releases outcomes in completion or input order
// (LANGUAGE.md 5.7, ARCHITECTURE.md 3), supervised as LANGUAGE.md 6 says
// (decisions in sup.c and breaker.c). Generated code describes each region
// with a vp_region_desc; the run loop in run.c starts, polls and stops them.
//
// Fault injection for tests: the environment variable VP_FAULT, read when
// the first region starts, is a comma-separated list of ACTION@SEQ or
// ACTION@SEQ/1. The worker that takes the event with input sequence number
// SEQ then fails before running the region's operators, on every attempt
// or (with /1) only on the first: segv raises SIGSEGV, abort calls abort(),
// exit calls _exit(1), hang waits forever, stop raises SIGSTOP. Example:
// VP_FAULT=segv@1000/1,hang@2000. SEQ may also be the word checkpoint:
// every worker then fails on each checkpoint barrier (7.3). A malformed
// value is ignored with a warning.
// SPDX-License-Identifier: MIT
#ifndef VP_REGION_H
#define VP_REGION_H

#include <stdbool.h>
#include <stdint.h>

#include "input.h"
#include "pack.h"
#include "supconfig.h"
#include "value.h"

typedef enum vp_strategy {
  VP_STRATEGY_CONSISTENT_HASH,
  VP_STRATEGY_ROUND_ROBIN,
  VP_STRATEGY_BROADCAST,
} vp_strategy;

typedef enum vp_order {
  VP_ORDER_COMPLETION,
  VP_ORDER_INPUT,
} vp_order;

// The StreamError of LANGUAGE.md 6.10.
typedef struct vp_stream_error {
  const char *kind;  // "error", "crash", "timeout", "circuit_open", ...
  vp_str message;
  int64_t worker;    // slot, or -1 outside regions
  int64_t attempt;
  const char *stream;
  vp_origin origin;
} vp_stream_error;

typedef struct vp_worker vp_worker;

typedef struct vp_region_desc {
  int id;  // index among the program's regions
  const char *stream;
  int max_workers;
  vp_strategy strategy;
  vp_order order;
  int queue_capacity;
  int64_t recycle_after;
  vp_sup_config sup;

  // Runs in a worker process for each event: in/len is the packed event as
  // submitted. Outputs go through vp_worker_emit. A runtime error raised
  // with vp_raise inside becomes the event's error outcome, and its outputs
  // are discarded.
  void (*work)(vp_worker *w, const uint8_t *in, size_t len);

  // Runs on the main thread once per released outcome without error:
  // records holds nrecords packed outputs, each as an int64 length followed
  // by that many bytes (read them with vp_rd_i64 then the record).
  void (*on_result)(const vp_origin *origin, vp_rd *records,
                    int64_t nrecords);

  // Runs on the main thread for an outcome that is an error, crash or
  // supervision failure; in/len is the packed event that entered the region.
  void (*on_error)(const vp_stream_error *err, const uint8_t *in,
                   size_t len);

  // Runs on the main thread when slot's worker is restarted (a new process
  // replaces a failed one); may be NULL. Keyed state (5.7) starts empty.
  void (*on_restart)(int slot);

  // Keyed state for checkpoints (7.3), in a worker; NULL when the region
  // keeps none. save appends the worker's state, load reads it back into
  // a new worker.
  void (*save)(vp_buf *b);
  void (*load)(vp_rd *r);
} vp_region_desc;

typedef struct vp_region vp_region;

// Creates the rings and forks the workers. workers > 0 overrides
// desc->max_workers (the executable's --workers), except for broadcast.
// states, when not NULL, holds each slot's state from a checkpoint.
vp_region *vp_region_start(const vp_region_desc *desc, int workers,
                           const vp_str *states);

// The number of workers vp_region_start gives the region.
int vp_region_workers(const vp_region_desc *desc, int workers);

// Checkpoints (7.3), on a drained region: barrier sends each worker the
// marker on which it saves its state (VP_CKPT_SEQ; the generated worker
// calls vp_worker_save_state); once drained again, take_states appends
// every slot's state and the round-robin position to body (or returns a
// negative errno), and checkpoint_done makes them the states new workers
// start from.
void vp_region_barrier(vp_region *r);
int vp_region_take_states(vp_region *r, vp_buf *body);
void vp_region_checkpoint_done(vp_region *r);
// The slot round robin takes next, as a checkpoint recorded it.
void vp_region_set_round_robin(vp_region *r, int64_t next);
// Bytes of the events kept for replay since the last checkpoint.
size_t vp_region_replay_bytes(const vp_region *r);

// Hands one packed event to the region. key_hash is the FNV-1a hash of the
// routing key's canonical encoding (consistent_hash only). When the slot's
// ring is full this keeps collecting (and so may call on_result/on_error)
// until room frees: events are never dropped.
void vp_region_submit(vp_region *r, const vp_origin *origin,
                      uint64_t key_hash, const void *in, size_t len);

// Releases what is ready without waiting. Returns the number of outcomes
// released.
int vp_region_poll(vp_region *r);

// As vp_region_poll, but only when a worker rang the parent since the last
// call, or a reap is due: the run loop calls it after every input record,
// and outcomes then cross between CPUs in batches, after their worker has
// moved on.
int vp_region_poll_rung(vp_region *r);

// Waits until every submitted event has been released.
void vp_region_drain(vp_region *r);

// Stops the workers (after vp_region_drain) and frees the region.
void vp_region_stop(vp_region *r);

// --trace PATH (LANGUAGE.md 8.9): opens the file every region writes its
// supervision actions to, one JSON line each; t_ms counts from this call.
// Returns 0 or a negative errno.
int vp_region_trace_open(const char *path);

// Closes the trace file, if open; returns 0 or a negative errno.
int vp_region_trace_close(void);

// Counters for the run summary and --stats.
typedef struct vp_region_stats {
  int64_t submitted;
  int64_t released;
  int64_t errors;
  int64_t crashes;   // worker failures: crashes and timeouts
  int64_t restarts;  // restarts performed (recycles and region restarts too)
  int64_t workers;
  bool escalated;
  int64_t escalations;
  int64_t breaker_trips;        // transitions to open
  int64_t breaker_transitions;  // every breaker transition
  int64_t rejected;             // events rejected with circuit_open
} vp_region_stats;

void vp_region_get_stats(const vp_region *r, vp_region_stats *s);

// Worker side, for generated work functions: adds one packed output record
// to the outcome of the event in hand.
void vp_worker_emit(vp_worker *w, const void *rec, size_t len);
// The same for a record that counts against the outcome's limits as
// counted bytes (its packed size, for a record the worker has written as
// output lines: what one event may give does not depend on the form its
// records travel in). The lines themselves must still fit the ring.
void vp_worker_emit_counted(vp_worker *w, const void *rec, size_t len,
                            size_t counted);

// Whether the outcome in hand has used half of what one outcome may hold:
// work that can stop and go on in a later event (the end-of-input release
// of a keyed region) stops here.
bool vp_worker_half_full(const vp_worker *w);

// The worker's slot index.
int vp_worker_slot(const vp_worker *w);

// Saves the worker's keyed state for the checkpoint in progress (7.3).
void vp_worker_save_state(vp_worker *w);

#endif
