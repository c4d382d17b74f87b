// Concurrent regions (see region.h): forks one worker process per slot,
// dispatches packed events into per-slot input rings (ring.c) on the main
// thread, and collects outcomes from per-slot output rings in completion or
// input order for the generated on_result/on_error. This is also the thin
// shell of supervision: it forks, reaps and kills workers, and carries out
// what sup.c and breaker.c decide (LANGUAGE.md 6.4-6.9); it writes --trace.
// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "region.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "breaker.h"
#include "ckpt.h"
#include "err.h"
#include "log.h"
#include "partition.h"
#include "ring.h"
#include "run.h"
#include "sup.h"
#include "window.h"

#define MAX_WORKERS     1024
#define IN_RING_MIN     ((size_t)4 << 20)  // max record 2 MiB > 1 MiB event
#define IN_RING_MAX     ((size_t)64 << 20)
#define IN_EVENT_GUESS  512                // bytes per queued event, sizing
#define OUT_RING_SIZE   ((size_t)64 << 20) // max record 32 MiB: 16 MiB outcomes
#define MAX_OUT_RECORDS 65536
#define MAX_OUT_BYTES   ((size_t)16 << 20)
#define MSG_MAX         1024  // error text kept in an outcome
#define CRASH_MSG_MAX   512
#define EXIT_CRASH      71        // worker exit status: trapped crash, see shm
#define EXIT_OOM        70        // vp_arena_alloc's exit status: out of memory
#define PARENT_SPINS    200       // readiness checks before sleeping
#define PARENT_WAIT_NS  5000000L  // the parent also reaps between waits
#define WORKER_IDLE_NS  2000000L       // first wait of an idle worker
#define WORKER_WAIT_NS  500000000L     // the worker also checks its parent
#define KICK_EVERY      1024    // dispatches between two checks of a worker
#define KICK_GAP        2000000 // ticks() between two wakes of a worker
#define RING_EVERY      128     // outcomes between two checks of the parent
#define STALL_WARN_NS   60000000000LL  // without health_check: warn (6.8)
#define STALL_CHECK_NS  1000000000LL   // how often, without health_check
#define MAX_FAULTS      16

// Futex words and flags shared by the parent and all workers of every
// region: the parent sleeps on one doorbell that any worker rings.
typedef struct parent_bell {
  _Alignas(64) uint32_t bell;
  uint32_t sleeping;
  uint32_t rings;  // bumped by every ring, whether the parent sleeps or not
} parent_bell;

// Per-slot words shared by the parent and the slot's worker.
typedef struct slot_shm {
  _Alignas(64) uint32_t bell;  // bumped by the parent to wake the worker
  uint32_t sleeping;           // the worker is about to wait on bell
  uint32_t stop;               // exit once the input ring is empty
  // Progress marks, written by the worker with relaxed stores and read by
  // the parent's health check (6.8) and after the worker's death; a
  // reaped worker's stores are visible after waitpid.
  _Alignas(64) int64_t cur_entry;  // entry of the event in hand, or -1
  int64_t progress_ns;             // time of the last take or finish
  uint64_t in_pos;                 // input position after the last finish
  // Waiting for room in the output ring: read by the parent for every
  // outcome it releases, so on a line the worker writes only when it
  // blocks and unblocks.
  _Alignas(64) uint32_t out_blocked;
  _Alignas(64) uint32_t crash_len;
  char crash_msg[CRASH_MSG_MAX];  // why a worker exited with EXIT_CRASH
} slot_shm;

// Input ring record: this header, then the packed event.
typedef struct in_hdr {
  int64_t entry;
  int64_t seq;
  const char *input;  // the parent's string; valid in its forks
  int64_t line;
} in_hdr;

typedef enum out_status {
  OUT_OK,
  OUT_ERROR,
  OUT_REJECT,  // the slot's breaker rejected the event (circuit_open)
} out_status;

// Output ring record (one per event): this header, the message padded to 8
// bytes, then nrecords records as int64 length + bytes. The slot's breaker
// state after the outcome travels in the same commit, so a new worker of the
// slot starts from the state of the last published outcome.
typedef struct out_hdr {
  int64_t entry;
  uint64_t in_end;  // input ring position after the event
  int32_t status;
  int32_t attempt;
  int64_t nrecords;
  uint32_t msg_len;
  int16_t trans_take;  // breaker state entered at the take, or -1
  int16_t trans_done;  // breaker state entered at the outcome, or -1
  vp_breaker breaker;
} out_hdr;

// An event dispatched to a slot and not yet released. fail_kind is set when
// the parent decided its outcome itself (crash at attempt 2, slot down);
// such an event has no outcome record in the output ring.
typedef struct qitem {
  int64_t entry;
  uint64_t in_end;
  const uint8_t *in;  // packed event, inside the input ring
  size_t len;
  vp_origin origin;
  int attempt;
  const char *fail_kind;
  char *fail_msg;
  int64_t log_off;  // its record in the slot's replay log, or -1
} qitem;

typedef struct slot {
  vp_ring *in;
  vp_ring *out;
  slot_shm *shm;
  pid_t pid;          // 0 when the slot has no worker
  bool down;          // closed: never restarted again
  bool waiting;       // a restart is due at restart_at (backoff, 6.6)
  bool killed;        // the health check killed the worker (timeout)
  bool stall_warned;  // the 60 s stall warning was given
  int64_t restart_at;
  uint64_t resume;     // input position where the next worker starts
  int resume_attempt;  // attempt of the next worker's first event
  int64_t wait_since;  // when work last started waiting for an idle slot
  uint64_t noted;      // output position up to which outcomes were noted
  uint64_t in_pub;     // input position after the last dispatched event
  int unkicked;        // events dispatched since the worker was last kicked
  uint64_t kicked_at;  // ticks() of that kick
  vp_breaker breaker;  // state after the last noted outcome or failure
  qitem *q;            // FIFO of unreleased events, qcap entries
  int qcap, qhead, qlen;
  uint64_t out_rd;    // next outcome in out
  uint64_t in_done;   // input ring position after the last released event
  uint64_t out_done;  // output ring position after the last released outcome
  int pins;           // callbacks running on bytes of this slot's rings
  // With checkpoints (7.3), keyed state survives a worker's restart: a new
  // worker loads the state of the last checkpoint, then replays the events
  // the slot took since, whose outcomes are known and not sent again.
  vp_buf state;       // the slot's state at the last checkpoint
  vp_buf next_state;  // ... at the checkpoint being taken
  vp_buf replay;      // replay records since the last checkpoint
} slot;

// A replay log record: this header, then the in_hdr and packed event.
typedef struct replay_hdr {
  uint64_t in_end;  // input ring position after the event
  uint32_t len;     // bytes that follow
  uint8_t apply;    // 0: its worker died on it or never ran it
} replay_hdr;

// An event whose outcome never went through a worker: routed to a closed
// slot, or too large for a ring. It owns copies of its bytes.
typedef struct synth {
  int64_t entry;
  const char *kind;
  char *msg;
  int worker;
  vp_origin origin;
  uint8_t *in;
  size_t len;
} synth;

// Region-entry log: a slot index, or -1 with a synth.
typedef struct log_item {
  int slot;
  synth *sy;
} log_item;

typedef struct log_fifo {
  log_item *v;
  size_t cap, head, len;
} log_fifo;

struct vp_region {
  const vp_region_desc *desc;
  int n;
  slot *slots;
  int rr;              // next round-robin slot
  uint32_t rings_seen;  // pbell->rings at the last vp_region_poll_rung
  int64_t next_entry;  // region entry index of the next event
  log_fifo order;      // VP_ORDER_INPUT: every unreleased entry in order
  log_fifo synths;     // VP_ORDER_COMPLETION: pending synthetic outcomes
  int collecting;      // callbacks in progress (nesting depth)
  int64_t last_reap_ns;
  int64_t next_health_ns;
  vp_sup sup;         // intensity, period, jitter generator (sup.c)
  vp_sup_slot *sups;  // per slot: c of 6.6, closed
  vp_breaker_config bcfg;
  char *failed_msg;  // worker_failed message while the region is failed
  vp_region_stats st;
};

struct vp_worker {
  vp_region *r;
  int slot;
  uint8_t *buf;  // the pending outcome's records
  size_t n, cap;
  int64_t nrec;
  size_t counted;      // what the records count against limit
  size_t limit;        // the most record bytes one outcome may hold
  size_t room;         // the most bytes an outcome's records can take
  int64_t events;      // events taken, for recycle_after
  vp_breaker breaker;  // the slot's breaker; this worker is its only writer
  bool replaying;      // rebuilding state: outputs are dropped
  int unrung;          // outcomes published since the parent's last ring
  int64_t rung_ns;     // when the parent's bell was last rung
};

// An outcome taken off the region's state, ready for its callback.
typedef struct taken {
  int slot;  // -1 for a synth
  bool ok;
  vp_origin origin;
  vp_rd records;
  int64_t nrecords;
  vp_stream_error err;
  const uint8_t *in;
  size_t len;
  synth *sy;
  char *owned_msg;
} taken;

static parent_bell *pbell;

// Futexes. The words live in MAP_SHARED memory used by several processes, so
// these are shared futexes (no FUTEX_PRIVATE_FLAG).

static void futex_wait(uint32_t *word, uint32_t seen, long ns) {
  struct timespec ts = { ns / 1000000000L, ns % 1000000000L };
  syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, NULL, 0);
}

static void futex_wake(uint32_t *word) {
  syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

// A cheap clock for spacing kicks: the time-stamp counter where there is
// one, else the monotonic clock in ns. KICK_GAP is then 0.5 to 1 ms of a
// 2 to 4 GHz counter, or 2 ms; only its order of magnitude matters.
static uint64_t ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Rings bell if its owner announced it sleeps; returns whether it did. The
// caller has just published something the sleeper waits for.
static bool ring_bell(uint32_t *bell, uint32_t *sleeping) {
  // Full fence, paired with the fence in wait_bell: either the sleeper sees
  // what we published before it waits, or we see its sleeping flag.
  // Taking the flag makes later rings skip the syscall until the sleeper
  // announces itself again.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (__atomic_load_n(sleeping, __ATOMIC_RELAXED) &&
      __atomic_exchange_n(sleeping, 0, __ATOMIC_RELAXED)) {
    // Release, paired with the acquire load of bell in wait_bell.
    __atomic_fetch_add(bell, 1, __ATOMIC_RELEASE);
    futex_wake(bell);
    return true;
  }
  return false;
}

// Sleeps on bell for at most ns unless ready(arg) already holds; returns
// whether it held at the end. The eventcount protocol of ring_bell makes a
// lost wakeup impossible.
static bool wait_bell(uint32_t *bell, uint32_t *sleeping, int spins, long ns,
                      bool (*ready)(void *), void *arg) {
  // Spin a little first (the parent; workers pass 0): the other side is
  // often about to publish, and a shared futex wake costs far more than a
  // short spin. The spin stays short: a long run of pause instructions
  // makes a hypervisor deschedule the virtual CPU. A worker does not spin:
  // it would take the parent's events one at a time as they come, in lock
  // step, instead of sleeping until a batch is there.
  for (int i = 0; i < spins; i++) {
    if (ready(arg))
      return true;
    cpu_relax();
  }

  // Acquire, paired with the release increment in ring_bell.
  uint32_t seen = __atomic_load_n(bell, __ATOMIC_ACQUIRE);
  __atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
  // Full fence, paired with the fence in ring_bell.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  bool ok = ready(arg);
  if (!ok) {
    futex_wait(bell, seen, ns);
    ok = ready(arg);
  }
  __atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
  return ok;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (!p)
    vp_arena_oom();
  return p;
}

static char *xstrdup(const char *s) {
  char *p = strdup(s);
  if (!p)
    vp_arena_oom();
  return p;
}

static char *fmt_dup(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *fmt_dup(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return xstrdup(buf);
}

static void *map_shared(size_t size) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                 -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

// Region-entry log.

static void log_push(log_fifo *f, log_item it) {
  if (f->len == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 64;
    log_item *v = xcalloc(cap, sizeof *v);
    for (size_t i = 0; i < f->len; i++)
      v[i] = f->v[(f->head + i) % f->cap];
    free(f->v);
    f->v = v;
    f->cap = cap;
    f->head = 0;
  }
  f->v[(f->head + f->len) % f->cap] = it;
  f->len++;
}

static log_item *log_front(log_fifo *f) {
  return f->len ? &f->v[f->head] : NULL;
}

static void log_pop(log_fifo *f) {
  f->head = (f->head + 1) % f->cap;
  f->len--;
}

// Worker side.

static void wake_parent(vp_worker *w, int64_t now) {
  w->unrung = 0;
  w->rung_ns = now;
  __atomic_fetch_add(&pbell->rings, 1, __ATOMIC_RELAXED);
  ring_bell(&pbell->bell, &pbell->sleeping);
}

typedef struct input_wait {
  slot *s;
  uint64_t cursor;
} input_wait;

static bool input_ready(void *arg) {
  input_wait *iw = arg;
  // Acquire, paired with the release store of stop in vp_region_stop.
  return vp_ring_ready(iw->s->in, iw->cursor) ||
         __atomic_load_n(&iw->s->shm->stop, __ATOMIC_ACQUIRE);
}

typedef struct room_wait {
  slot *s;
  uint64_t head;
} room_wait;

static bool room_ready(void *arg) {
  room_wait *rw = arg;
  return vp_ring_head(rw->s->out) != rw->head;
}

static void check_parent(pid_t ppid) {
  if (getppid() != ppid)
    _exit(0);
}

// Publishes the outcome of one event in one commit, waiting for room, then
// moves the progress marks past the event.
static void publish(vp_worker *w, out_hdr *h, const char *msg, size_t msg_len,
                    pid_t ppid) {
  slot *s = &w->r->slots[w->slot];
  size_t rec_bytes = h->status == OUT_OK ? w->n : 0;
  size_t msg_pad = (msg_len + 7) & ~(size_t)7;
  size_t total = sizeof(out_hdr) + msg_pad + rec_bytes;
  void *dst;
  bool blocked = false;
  while (vp_ring_reserve(s->out, total, &dst) != 0) {
    room_wait rw = { s, vp_ring_head(s->out) };
    if (vp_ring_reserve(s->out, total, &dst) == 0)
      break;
    // Waiting for room is not a stall (6.8). The parent frees room as it
    // collects: it must know what is there to collect.
    __atomic_store_n(&s->shm->out_blocked, 1, __ATOMIC_RELAXED);
    blocked = true;
    wake_parent(w, now_ns());
    if (!wait_bell(&s->shm->bell, &s->shm->sleeping, 0, WORKER_WAIT_NS,
                   room_ready, &rw))
      check_parent(ppid);  // woken without room: a timeout, or a stop
  }
  if (blocked)
    __atomic_store_n(&s->shm->out_blocked, 0, __ATOMIC_RELAXED);

  h->nrecords = h->status == OUT_OK ? w->nrec : 0;
  h->msg_len = (uint32_t)msg_len;
  uint8_t *p = dst;
  memcpy(p, h, sizeof *h);
  if (msg_len)
    memcpy(p + sizeof *h, msg, msg_len);
  if (rec_bytes)
    memcpy(p + sizeof *h + msg_pad, w->buf, rec_bytes);
  vp_ring_commit(s->out);

  // The event is finished: the commit above is what the parent trusts, the
  // marks below only feed the health check.
  int64_t now = now_ns();
  __atomic_store_n(&s->shm->cur_entry, -1, __ATOMIC_RELAXED);
  __atomic_store_n(&s->shm->in_pos, h->in_end, __ATOMIC_RELAXED);
  __atomic_store_n(&s->shm->progress_ns, now, __ATOMIC_RELAXED);

  // The parent is told in batches: after RING_EVERY outcomes, when the
  // coarse clock ticks (a slow event), and when this worker runs out of
  // input or room. A parent waiting meanwhile also wakes on its timeout.
  // A parent held back by full queues sleeps until such a ring; when the
  // workers keep both CPUs busy, each of its wakes takes one from a
  // worker, so the batch is large, but still an eighth of a default queue
  // so that the worker has events left when the parent refills it.
  if (++w->unrung >= RING_EVERY || now != w->rung_ns)
    wake_parent(w, now);
}

// Fault injection for the fault tests, read from VP_FAULT when the first
// region starts (see region.h): the worker that takes the event with a
// chosen seq crashes or hangs, on every attempt or only the first.
typedef enum fault_kind {
  FAULT_SEGV,
  FAULT_ABORT,
  FAULT_EXIT,
  FAULT_HANG,
  FAULT_STOP,
} fault_kind;

typedef struct fault {
  fault_kind kind;
  int64_t seq;
  bool first_only;
} fault;

static fault faults[MAX_FAULTS];
static int nfaults;

static void parse_faults(void) {
  static const char *const names[] = { "segv", "abort", "exit", "hang",
                                       "stop" };
  const char *spec = getenv("VP_FAULT");
  for (const char *p = spec; p && *p && nfaults < MAX_FAULTS;) {
    size_t n = strcspn(p, "@");
    int kind = -1;
    for (int k = 0; k < 5; k++)
      if (strlen(names[k]) == n && strncmp(p, names[k], n) == 0)
        kind = k;
    char *end = NULL;
    long long seq = -1;
    if (p[n] == '@' && !strncmp(p + n + 1, "checkpoint", 10)) {
      seq = VP_CKPT_SEQ;  // every checkpoint barrier (7.3)
      end = (char *)p + n + 11;
    } else if (p[n] == '@') {
      seq = strtoll(p + n + 1, &end, 10);
    }
    bool first = end && strncmp(end, "/1", 2) == 0;
    if (first)
      end += 2;
    if (kind < 0 || !end || (*end && *end != ',')) {
      vp_log(VP_LOG_WARN, "region: fault_ignored spec=\"%s\"", spec);
      nfaults = 0;
      return;
    }
    faults[nfaults++] = (fault){ (fault_kind)kind, seq, first };
    p = *end ? end + 1 : end;
  }
}

static void inject_fault(int64_t seq, int attempt) {
  for (int i = 0; i < nfaults; i++) {
    const fault *f = &faults[i];
    if (f->seq != seq || (f->first_only && attempt != 1))
      continue;
    switch (f->kind) {
    case FAULT_SEGV:
      raise(SIGSEGV);
      break;
    case FAULT_ABORT:
      abort();
    case FAULT_EXIT:
      _exit(1);
    case FAULT_HANG:
      for (;;)
        pause();
    case FAULT_STOP:
      raise(SIGSTOP);
      break;
    }
  }
}

// Marks the take of an event: what the health check and the death handling
// read (6.8, 6.7).
static void mark_take(slot_shm *shm, int64_t entry, int64_t now) {
  __atomic_store_n(&shm->cur_entry, entry, __ATOMIC_RELAXED);
  __atomic_store_n(&shm->progress_ns, now, __ATOMIC_RELAXED);
}

// Consults the slot's breaker before an event (6.9); returns false when it
// rejects the event. A retry is processed whatever the state.
static bool breaker_allows(vp_worker *w, out_hdr *h, int attempt, int64_t now) {
  if (!w->r->desc->sup.breaker_enabled || attempt != 1)
    return true;
  int32_t before = w->breaker.state;
  bool allowed = vp_breaker_allow(&w->breaker, &w->r->bcfg, now);
  if (w->breaker.state != before)
    h->trans_take = (int16_t)w->breaker.state;
  return allowed;
}

// Feeds an outcome to the slot's breaker; errors count with count_errors.
static void breaker_outcome(vp_worker *w, out_hdr *h) {
  const vp_sup_config *c = &w->r->desc->sup;
  if (!c->breaker_enabled)
    return;
  bool failure = h->status == OUT_ERROR && c->breaker_count_errors;
  int32_t before = w->breaker.state;
  vp_breaker_record(&w->breaker, &w->r->bcfg, failure, now_ns());
  if (w->breaker.state != before)
    h->trans_done = (int16_t)w->breaker.state;
}

// Runs one event under a trap. A crash (panic, recursion limit) ends the
// worker abnormally, as a fatal signal would, after leaving its message.
static void run_event(vp_worker *w, const uint8_t *rec, size_t len,
                      uint64_t in_end, int attempt, pid_t ppid) {
  const vp_region_desc *desc = w->r->desc;
  slot_shm *shm = w->r->slots[w->slot].shm;
  in_hdr ih;
  memcpy(&ih, rec, sizeof ih);
  w->n = 0;
  w->nrec = 0;
  w->counted = 0;
  int64_t now = now_ns();
  mark_take(shm, ih.entry, now);

  out_hdr h = { .entry = ih.entry, .in_end = in_end, .attempt = attempt };
  h.trans_take = h.trans_done = -1;
  if (!breaker_allows(w, &h, attempt, now)) {
    h.status = OUT_REJECT;
    h.attempt = 0;
    h.breaker = w->breaker;
    publish(w, &h, NULL, 0, ppid);
    return;
  }
  if (nfaults)
    inject_fault(ih.seq, attempt);

  vp_trap t;
  if (VP_TRY(t)) {
    desc->work(w, rec + sizeof ih, len - sizeof ih);
    vp_trap_pop(&t);
    h.status = OUT_OK;
    breaker_outcome(w, &h);
    h.breaker = w->breaker;
    publish(w, &h, NULL, 0, ppid);
    return;
  }
  size_t n = (size_t)t.message.n;
  if (strcmp(t.kind, "crash") == 0) {
    if (n > CRASH_MSG_MAX)
      n = CRASH_MSG_MAX;
    memcpy(shm->crash_msg, t.message.p, n);
    shm->crash_len = (uint32_t)n;
    _exit(EXIT_CRASH);
  }
  if (n > MSG_MAX)
    n = MSG_MAX;
  h.status = OUT_ERROR;
  breaker_outcome(w, &h);
  h.breaker = w->breaker;
  publish(w, &h, t.message.p, n, ppid);
}

static slot_shm *worker_shm;  // the worker's own slot, in a worker

// Memory ran out in a worker: a crash with the message of LANGUAGE.md 4.10,
// reported like a trapped crash. Nothing here allocates.
static void worker_oom(void) {
  static const char msg[] = "out of memory";
  memcpy(worker_shm->crash_msg, msg, sizeof msg - 1);
  worker_shm->crash_len = sizeof msg - 1;
  _exit(EXIT_CRASH);
}

// A new worker of a slot with keyed state gets it back (7.3): the state of
// the last checkpoint, then every event the slot took since whose outcome
// was published before cursor, run with their outputs dropped. Errors are
// part of what those events did; a crash here ends the worker as any other.
static void restore_state(vp_worker *w, slot *s, uint64_t cursor,
                          vp_arena *arena) {
  const vp_region_desc *desc = w->r->desc;
  if (!desc->load)
    return;
  if (s->state.n) {
    vp_rd rd = { s->state.p, s->state.p + s->state.n };
    desc->load(&rd);
  }
  w->replaying = true;
  for (size_t off = 0; off < s->replay.n;) {
    replay_hdr h;
    memcpy(&h, s->replay.p + off, sizeof h);
    const uint8_t *rec = s->replay.p + off + sizeof h;
    off += sizeof h + h.len;
    if (!h.apply || h.in_end > cursor)
      continue;
    vp_trap t;
    if (VP_TRY(t)) {
      desc->work(w, rec + sizeof(in_hdr), h.len - sizeof(in_hdr));
      vp_trap_pop(&t);
    }
    w->n = 0;
    w->nrec = 0;
    w->counted = 0;
    vp_arena_reset(arena);
  }
  w->replaying = false;
}

// A worker: reads its input ring from cursor (never releasing: the parent
// does when it takes the outcome) and writes one outcome per event. It
// leaves only through _exit, so nothing inherited from the parent (stdio
// buffers, atexit handlers) runs twice; exit status 0 is a normal end
// (recycle_after, 6.3) or a stop.
_Noreturn static void worker_main(vp_region *r, int si, uint64_t cursor,
                                  int attempt, pid_t ppid) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  check_parent(ppid);       // the parent may have died before prctl
  signal(SIGINT, SIG_IGN);  // the parent handles ^C and stops us
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);

  slot *s = &r->slots[si];
  worker_shm = s->shm;
  vp_capture_main_out();
  vp_arena_oom_hook = worker_oom;
  vp_ring_abort(s->out);  // a dead predecessor's reservations
  vp_trap_top = NULL;
  vp_arena arena = { 0 };
  vp_event_arena = &arena;
  vp_worker w = { .r = r, .slot = si, .breaker = s->breaker };
  w.room = vp_ring_max_record(s->out) - sizeof(out_hdr) - MSG_MAX;
  w.limit = w.room < MAX_OUT_BYTES ? w.room : MAX_OUT_BYTES;
  int64_t recycle = r->desc->recycle_after;
  restore_state(&w, s, cursor, &arena);

  // Every record before end is published: they are taken one after the
  // other without reading the parent's line again.
  uint64_t end = cursor;
  long idle_ns = WORKER_IDLE_NS;
  for (;;) {
    uint64_t next = cursor;
    size_t len;
    const uint8_t *rec = vp_ring_next(s->in, &next, end, &len);
    if (!rec && (end = vp_ring_tail(s->in)) != cursor)
      continue;
    if (!rec) {
      // Acquire, paired with the release store of stop in vp_region_stop.
      if (__atomic_load_n(&s->shm->stop, __ATOMIC_ACQUIRE))
        _exit(0);
      if (w.unrung)
        wake_parent(&w, now_ns());

      // The parent kicks a worker it sees asleep, at the latest after
      // KICK_EVERY events or before it waits. The first waits after work
      // are short, so that a kick lost to a race costs little.
      input_wait iw = { s, cursor };
      if (!wait_bell(&s->shm->bell, &s->shm->sleeping, 0, idle_ns,
                     input_ready, &iw)) {
        idle_ns = idle_ns < WORKER_WAIT_NS / 2 ? idle_ns * 2 : WORKER_WAIT_NS;
        check_parent(ppid);
      }
      continue;
    }
    idle_ns = WORKER_IDLE_NS;
    run_event(&w, rec, len, next, attempt, ppid);
    vp_arena_reset(&arena);
    cursor = next;
    attempt = 1;
    if (recycle > 0 && ++w.events >= recycle)
      _exit(0);
  }
}

void vp_worker_emit(vp_worker *w, const void *rec, size_t len) {
  vp_worker_emit_counted(w, rec, len, len);
}

void vp_worker_emit_counted(vp_worker *w, const void *rec, size_t len,
                            size_t counted) {
  if (w->replaying)
    return;
  size_t need = w->n + sizeof(int64_t) + len;
  if (w->nrec >= MAX_OUT_RECORDS || counted > w->limit ||
      w->counted + sizeof(int64_t) + counted > w->limit || len > w->room ||
      need > w->room)
    vp_raise("invalid argument: process: too many outputs");
  w->counted += sizeof(int64_t) + counted;
  if (need > w->cap) {
    size_t cap = w->cap ? w->cap : 4096;
    while (cap < need)
      cap *= 2;
    uint8_t *p = realloc(w->buf, cap);
    if (!p)
      vp_arena_oom();
    w->buf = p;
    w->cap = cap;
  }
  int64_t n = (int64_t)len;
  memcpy(w->buf + w->n, &n, sizeof n);
  memcpy(w->buf + w->n + sizeof n, rec, len);
  w->n = need;
  w->nrec++;
}

bool vp_worker_half_full(const vp_worker *w) {
  return w->n > w->limit / 2 || w->nrec > MAX_OUT_RECORDS / 2;
}

void vp_worker_save_state(vp_worker *w) {
  vp_buf b = { 0 };
  w->r->desc->save(&b);
  char path[4096];
  vp_ckpt_state_path(path, sizeof path, w->r->desc->id, w->slot);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  int rc = fd < 0 ? -errno : 0;
  for (size_t off = 0; rc == 0 && off < b.n;) {
    ssize_t n = write(fd, b.p + off, b.n - off);
    if (n < 0 && errno != EINTR)
      rc = -errno;
    off += n > 0 ? (size_t)n : 0;
  }
  if (fd >= 0 && close(fd) < 0 && rc == 0)
    rc = -errno;
  vp_buf_free(&b);
  if (rc < 0)
    vp_raise("checkpoint: cannot write %s: %s", path, strerror(-rc));
}

int vp_worker_slot(const vp_worker *w) {
  return w->slot;
}

// Parent side: the trace of --trace (LANGUAGE.md 8.9).

static FILE *trace_fp;
static int64_t trace_epoch;

int vp_region_trace_open(const char *path) {
  trace_fp = fopen(path, "w");
  if (!trace_fp)
    return -errno;
  trace_epoch = now_ns();
  return 0;
}

int vp_region_trace_close(void) {
  if (!trace_fp)
    return 0;
  int rc = fclose(trace_fp) == 0 ? 0 : -errno;
  trace_fp = NULL;
  return rc;
}

// One trace line; worker < -1 (use -2), seq < 0, delay_ns < 0 and NULL
// strings leave their key out.
static void trace(vp_region *r, const char *action, int worker, int64_t seq,
                  const char *kind, int64_t delay_ns, const char *state) {
  if (!trace_fp)
    return;
  fprintf(trace_fp, "{\"t_ms\":%lld,\"stream\":\"%s\",\"action\":\"%s\"",
          (long long)((now_ns() - trace_epoch) / 1000000), r->desc->stream,
          action);
  if (worker >= -1)
    fprintf(trace_fp, ",\"worker\":%d", worker);
  if (seq >= 0)
    fprintf(trace_fp, ",\"seq\":%lld", (long long)seq);
  if (kind)
    fprintf(trace_fp, ",\"kind\":\"%s\"", kind);
  if (delay_ns >= 0)
    fprintf(trace_fp, ",\"delay_ns\":%lld", (long long)delay_ns);
  if (state)
    fprintf(trace_fp, ",\"state\":\"%s\"", state);
  fputs("}\n", trace_fp);
}

// Parent side: workers.

static int spawn(vp_region *r, int si, uint64_t cursor, int attempt) {
  pid_t ppid = getpid();
  if (trace_fp)
    fflush(trace_fp);  // nothing buffered is inherited
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0)
    worker_main(r, si, cursor, attempt, ppid);
  r->slots[si].pid = pid;
  return 0;
}

// Wakes slot s's worker if it sleeps. A worker woken here was idle (or
// waiting for room): work starts waiting for it now (6.8), not when it was
// dispatched without a wake.
static void kick(slot *s) {
  s->unkicked = 0;
  s->kicked_at = ticks();
  if (ring_bell(&s->shm->bell, &s->shm->sleeping))
    s->wait_since = now_ns();
}

// Kicks every worker that may sleep over work it was not told about: events
// dispatched since its last kick, or room freed while it waits for room.
// Runs before the parent waits and at each reap.
static void kick_pending(vp_region *r) {
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    if (s->pid > 0 &&
        (s->unkicked ||
         __atomic_load_n(&s->shm->out_blocked, __ATOMIC_RELAXED)))
      kick(s);
  }
}

static const char *sig_name(int sig, char *buf, size_t size) {
  const char *abbrev = sigabbrev_np(sig);
  if (abbrev)
    snprintf(buf, size, "SIG%s", abbrev);
  else
    snprintf(buf, size, "%d", sig);
  return buf;
}

// The crash message for a worker's end, as LANGUAGE.md 4.10 words it.
static char *death_reason(slot *s, int status) {
  char name[32];
  if (WIFSIGNALED(status))
    return fmt_dup("signal %s", sig_name(WTERMSIG(status), name, sizeof name));
  int code = WEXITSTATUS(status);
  if (code == EXIT_CRASH) {
    uint32_t n = s->shm->crash_len;
    return fmt_dup("%.*s", (int)(n < CRASH_MSG_MAX ? n : CRASH_MSG_MAX),
                   s->shm->crash_msg);
  }
  if (code == EXIT_OOM)
    return xstrdup("out of memory");
  return fmt_dup("exit status %d", code);
}

// "processing exceeded 1s" (6.8).
static char *timeout_reason(vp_region *r) {
  char d[32];
  vp_sup_format_duration(r->desc->sup.health_timeout_ns, d, sizeof d);
  return fmt_dup("processing exceeded %s", d);
}

static qitem *qat(slot *s, int i) {
  int k = s->qhead + i;  // both below qcap
  return &s->q[k < s->qcap ? k : k - s->qcap];
}

// The input position after every queued event of s.
static uint64_t queue_end(slot *s) {
  return s->qlen ? qat(s, s->qlen - 1)->in_end : s->in_done;
}

// An event whose worker never finished it: its state changes died with
// the worker, so a replay must skip it.
static void skip_replay(slot *s, const qitem *it) {
  if (it->log_off >= 0)
    s->replay.p[it->log_off + offsetof(replay_hdr, apply)] = 0;
}

static void fail_item(slot *s, qitem *it, const char *kind, char *msg,
                      int attempt) {
  skip_replay(s, it);
  it->fail_kind = kind;
  it->fail_msg = msg;
  it->attempt = attempt;
}

// A breaker transition of slot si: trace, log line, counters.
static void breaker_moved(vp_region *r, int si, int state) {
  static const char *const events[] = { "breaker_close", "breaker_open",
                                        "breaker_half_open" };
  trace(r, "breaker", si, -1, NULL, -1,
        vp_breaker_state_name((vp_breaker_state)state));
  vp_log(state == VP_BREAKER_OPEN ? VP_LOG_WARN : VP_LOG_INFO,
         "breaker: %s stream=%s worker=%d", events[state], r->desc->stream, si);
  r->st.breaker_transitions++;
  if (state == VP_BREAKER_OPEN)
    r->st.breaker_trips++;
}

// Takes in what one published outcome of slot si tells the supervisor,
// once: the slot's breaker state and transitions, and the reset of c (6.6;
// an outcome in the ring is never a crash or timeout). end is the output
// position after the outcome.
static void note_outcome(vp_region *r, int si, const out_hdr *h, uint64_t end) {
  slot *s = &r->slots[si];
  if (end <= s->noted)
    return;
  s->noted = end;
  if (h->status != OUT_REJECT)
    vp_sup_on_success(&r->sups[si]);
  if (!r->desc->sup.breaker_enabled)
    return;
  s->breaker = h->breaker;
  if (h->trans_take >= 0)
    breaker_moved(r, si, h->trans_take);
  if (h->trans_done >= 0)
    breaker_moved(r, si, h->trans_done);
}

// Walks the outcomes slot si published that the collector has not taken
// yet, noting them. Returns the index of the first queued event without an
// outcome (-1 if none) and stores where a new worker resumes: just before
// that event.
static int scan_published(vp_region *r, int si, uint64_t *resume) {
  slot *s = &r->slots[si];
  uint64_t cur = s->out_rd;
  *resume = s->in_done;
  for (int i = 0; i < s->qlen; i++) {
    qitem *it = qat(s, i);
    if (!it->fail_kind) {
      size_t len;
      const uint8_t *p = vp_ring_peek(s->out, &cur, &len);
      if (!p)
        return i;
      out_hdr h;
      memcpy(&h, p, sizeof h);
      note_outcome(r, si, &h, cur);
    }
    *resume = it->in_end;
  }
  return -1;
}

// Marks every event of slot si from queue index from on that has no outcome
// yet as worker_failed with msg. The one with entry hand (in flight when its
// worker was stopped) keeps its attempt; the others were never processed.
static void fail_rest(vp_region *r, int si, int from, const char *msg,
                      int64_t hand) {
  slot *s = &r->slots[si];
  for (int i = from < 0 ? s->qlen : from; i < s->qlen; i++) {
    qitem *it = qat(s, i);
    if (!it->fail_kind)
      fail_item(s, it, "worker_failed", xstrdup(msg),
                it->entry == hand ? it->attempt : 0);
  }
}

// Closes slot si for good (6.4): its events without an outcome from queue
// index hand on become worker_failed.
static void close_slot(vp_region *r, int si, int hand, const char *reason) {
  slot *s = &r->slots[si];
  s->down = true;
  s->waiting = false;
  r->sups[si].closed = true;
  trace(r, "slot_closed", si, -1, NULL, -1, NULL);
  vp_log(VP_LOG_ERROR, "sup: slot_closed stream=%s worker=%d reason=\"%s\"",
         r->desc->stream, si, reason);
  char msg[64];
  snprintf(msg, sizeof msg, "worker %d is down", si);
  fail_rest(r, si, hand, msg, -1);
}

// Forks the slot's next worker at s->resume. A restart is traced.
static void start_slot(vp_region *r, int si, int64_t now, bool restart) {
  slot *s = &r->slots[si];
  s->waiting = false;
  s->killed = false;
  s->stall_warned = false;
  s->wait_since = now;
  __atomic_store_n(&s->shm->cur_entry, -1, __ATOMIC_RELAXED);
  __atomic_store_n(&s->shm->progress_ns, now, __ATOMIC_RELAXED);
  __atomic_store_n(&s->shm->in_pos, s->resume, __ATOMIC_RELAXED);
  __atomic_store_n(&s->shm->out_blocked, 0, __ATOMIC_RELAXED);
  if (spawn(r, si, s->resume, s->resume_attempt) < 0) {
    vp_log(VP_LOG_ERROR, "region: cannot fork worker %d of stream %s: %s", si,
           r->desc->stream, strerror(errno));
    uint64_t resume;
    close_slot(r, si, scan_published(r, si, &resume), "fork failed");
    return;
  }
  if (restart)
    trace(r, "restart", si, -1, NULL, -1, NULL);
  if (restart && r->desc->on_restart && !vp_ckpt_dir)
    r->desc->on_restart(si);
}

// Escalation (6.5): stops every worker, turns every event without an
// outcome into worker_failed (the failing one already has its kind), and
// leaves the region failed until the sup's failed_until.
static void escalate(vp_region *r, int si, const char *kind,
                     const vp_sup_decision *d, const char *reason) {
  const vp_sup_config *c = &r->desc->sup;
  char win[32];
  vp_sup_format_duration(c->restart_window_ns, win, sizeof win);
  free(r->failed_msg);
  r->failed_msg = fmt_dup("region failed: restart limit exceeded "
                          "(%lld restarts within %s)",
                          (long long)c->max_restarts, win);
  r->st.escalated = true;
  trace(r, "escalate", si, -1, kind, -1, NULL);
  vp_log(VP_LOG_ERROR,
         "sup: escalate stream=%s worker=%d reason=\"%s\" restarts=%lld/%lld "
         "window_ns=%lld",
         r->desc->stream, si, reason, (long long)d->in_window,
         (long long)c->max_restarts, (long long)c->restart_window_ns);

  // Stop every worker (OTP's brutal_kill), then settle their queues.
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    s->waiting = false;
    int64_t hand = -1;
    if (s->pid > 0) {
      kill(s->pid, SIGKILL);
      while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
        ;
      s->pid = 0;
      s->killed = false;
      hand = __atomic_load_n(&s->shm->cur_entry, __ATOMIC_RELAXED);
    }
    uint64_t resume;
    fail_rest(r, i, scan_published(r, i, &resume), r->failed_msg, hand);
    s->resume = queue_end(s);
    s->resume_attempt = 1;
  }
}

// Carries out a restart decision for slot si: now, or after the backoff.
static void schedule_restart(vp_region *r, int si, const vp_sup_decision *d,
                             const char *reason, int64_t now) {
  slot *s = &r->slots[si];
  if (d->backoff)
    trace(r, "backoff", si, -1, NULL, d->delay_ns, NULL);
  vp_log(VP_LOG_WARN,
         "sup: restart stream=%s worker=%d reason=\"%s\" restarts=%lld/%lld "
         "delay_ns=%lld",
         r->desc->stream, si, reason, (long long)d->in_window,
         (long long)r->desc->sup.max_restarts, (long long)d->delay_ns);
  if (d->delay_ns > 0) {
    s->waiting = true;
    s->restart_at = now + d->delay_ns;
  } else {
    start_slot(r, si, now, true);
  }
}

// A worker ended: find its event in hand, let sup.c decide, then retry the
// event, give up on it (6.7), close the slot or escalate.
static void on_death(vp_region *r, int si, int status) {
  slot *s = &r->slots[si];
  int64_t now = now_ns();
  bool timed_out = s->killed;
  s->pid = 0;
  s->killed = false;

  // Outcomes already published stay; the event in hand is the first one
  // without an outcome, if the worker had taken it.
  uint64_t resume;
  int hand = scan_published(r, si, &resume);
  qitem *it = hand >= 0 ? qat(s, hand) : NULL;
  if (it && it->entry != __atomic_load_n(&s->shm->cur_entry, __ATOMIC_RELAXED))
    it = NULL;

  bool normal = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const char *kind = timed_out ? "timeout" : "crash";
  char *reason = normal      ? xstrdup("recycle_after reached")
                 : timed_out ? timeout_reason(r)
                             : death_reason(s, status);
  vp_sup_end end = normal      ? VP_SUP_END_NORMAL
                   : timed_out ? VP_SUP_END_TIMEOUT
                               : VP_SUP_END_CRASH;

  // The failure is an outcome of the event in hand for the breaker, which
  // the dead worker could not apply (ARCHITECTURE.md 3).
  if (!normal) {
    r->st.crashes++;
    trace(r, "failure", si, it ? it->origin.seq : -1, kind, -1, NULL);
    if (it && r->desc->sup.breaker_enabled) {
      int32_t before = s->breaker.state;
      vp_breaker_record(&s->breaker, &r->bcfg, true, now);
      if (s->breaker.state != before)
        breaker_moved(r, si, s->breaker.state);
    }
  }

  bool quarantine = it && it->attempt >= 2;
  vp_sup_decision d =
      vp_sup_on_end(&r->sup, &r->sups[si], end, quarantine, now);
  s->resume = resume;
  s->resume_attempt = 1;
  switch (d.action) {
  case VP_SUP_RESTART:
    if (quarantine) {
      // Poison event: it becomes a crash (or timeout) at attempt 2.
      fail_item(s, it, kind, xstrdup(reason), 2);
      s->resume = it->in_end;
    } else if (it) {
      it->attempt = 2;
      s->resume_attempt = 2;
      trace(r, "retry", si, it->origin.seq, NULL, -1, NULL);
    }
    schedule_restart(r, si, &d, reason, now);
    break;
  case VP_SUP_CLOSE:
    if (it)
      fail_item(s, it, kind, xstrdup(reason), it->attempt);
    close_slot(r, si, hand, reason);
    break;
  case VP_SUP_ESCALATE:
    if (it)
      fail_item(s, it, kind, xstrdup(reason), it->attempt);
    escalate(r, si, kind, &d, reason);
    break;
  }
  free(reason);
}

// The seq of the event slot si's worker has in hand, or -1.
static int64_t seq_in_hand(slot *s) {
  int64_t entry = __atomic_load_n(&s->shm->cur_entry, __ATOMIC_RELAXED);
  for (int i = 0; i < s->qlen && entry >= 0; i++)
    if (qat(s, i)->entry == entry)
      return qat(s, i)->origin.seq;
  return -1;
}

// Health checks (6.8): every interval, kill the worker of each stalled
// slot; without health_check, warn once about a stall over 60 s.
static void check_health(vp_region *r, int64_t now) {
  const vp_sup_config *c = &r->desc->sup;
  if (now < r->next_health_ns)
    return;
  r->next_health_ns =
      now + (c->health_enabled ? c->health_interval_ns : STALL_CHECK_NS);
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    if (s->pid <= 0 || s->killed)
      continue;
    slot_shm *shm = s->shm;
    bool waits = vp_ring_reserved(s->in) !=
                 __atomic_load_n(&shm->in_pos, __ATOMIC_RELAXED);
    int64_t stall = vp_sup_stall_ns(
        now, waits, __atomic_load_n(&shm->out_blocked, __ATOMIC_RELAXED),
        __atomic_load_n(&shm->progress_ns, __ATOMIC_RELAXED), s->wait_since);
    if (c->health_enabled && vp_sup_stalled(stall, c->health_timeout_ns)) {
      char *reason = timeout_reason(r);
      trace(r, "kill", i, seq_in_hand(s), "timeout", -1, NULL);
      vp_log(VP_LOG_WARN, "sup: kill stream=%s worker=%d reason=\"%s\"",
             r->desc->stream, i, reason);
      free(reason);
      s->killed = true;
      kill(s->pid, SIGKILL);
    } else if (!c->health_enabled && vp_sup_stalled(stall, STALL_WARN_NS)) {
      if (!s->stall_warned)
        vp_log(VP_LOG_WARN, "sup: stall stream=%s worker=%d stall_ns=%lld",
               r->desc->stream, i, (long long)stall);
      s->stall_warned = true;
    } else {
      s->stall_warned = false;
    }
  }
}

// Timers of the supervisor: the end of a failed region's period, backoff
// restarts, health checks.
static void tick(vp_region *r, int64_t now) {
  if (r->sup.failed) {
    if (!vp_sup_restart_due(&r->sup, now))
      return;
    vp_sup_region_restart(&r->sup, r->sups, (size_t)r->n);
    for (int i = 0; i < r->n; i++) {
      if (r->slots[i].down)
        continue;
      vp_log(VP_LOG_WARN,
             "sup: restart stream=%s worker=%d reason=\"region restart\" "
             "restarts=0/%lld delay_ns=0",
             r->desc->stream, i, (long long)r->desc->sup.max_restarts);
      start_slot(r, i, now, true);
    }
    return;
  }
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    if (s->waiting && now >= s->restart_at)
      start_slot(r, i, now, true);
  }
  check_health(r, now);
}

static void reap(vp_region *r) {
  int64_t now = now_ns();
  r->last_reap_ns = now;
  kick_pending(r);
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    int status;
    if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid)
      on_death(r, i, status);
  }
  tick(r, now_ns());
}

// Collector.

static bool slot_front_ready(slot *s) {
  if (s->qlen == 0)
    return false;
  return qat(s, 0)->fail_kind || vp_ring_ready(s->out, s->out_rd);
}

// Takes the front event of slot si off the state, filling *t. Returns false
// when its outcome has not arrived.
static bool take_slot(vp_region *r, int si, taken *t) {
  slot *s = &r->slots[si];
  if (s->qlen == 0)
    return false;
  qitem it = *qat(s, 0);
  // Field by field: this runs once per event, and a memset of the whole
  // struct costs more than the stores.
  t->slot = si;
  t->ok = false;
  t->origin = it.origin;
  t->records = (vp_rd){ NULL, NULL };
  t->nrecords = 0;
  t->err.kind = NULL;
  t->err.message = (vp_str){ NULL, 0 };
  t->err.worker = si;
  t->err.attempt = 0;
  t->err.stream = r->desc->stream;
  t->err.origin = it.origin;
  t->in = it.in;
  t->len = it.len;
  t->sy = NULL;
  t->owned_msg = NULL;

  if (it.fail_kind) {
    t->err.kind = it.fail_kind;
    t->err.message = (vp_str){ it.fail_msg, (int64_t)strlen(it.fail_msg) };
    t->err.attempt = it.attempt;
    t->owned_msg = it.fail_msg;
  } else {
    size_t len;
    uint64_t cur = s->out_rd;
    const uint8_t *p = vp_ring_peek(s->out, &cur, &len);
    if (!p)
      return false;
    out_hdr h;
    memcpy(&h, p, sizeof h);
    assert(h.entry == it.entry && h.in_end == it.in_end);
    const uint8_t *body = p + sizeof h + ((h.msg_len + 7) & ~(size_t)7);
    s->out_rd = cur;
    s->out_done = cur;
    note_outcome(r, si, &h, cur);
    if (h.status == OUT_OK) {
      t->ok = true;
      t->records = (vp_rd){ body, p + len };
      t->nrecords = h.nrecords;
    } else if (h.status == OUT_REJECT) {
      static const char circuit_open[] = "circuit open";
      skip_replay(s, &it);
      t->err.kind = "circuit_open";
      t->err.message = (vp_str){ circuit_open, sizeof circuit_open - 1 };
      t->err.attempt = 0;
      r->st.rejected++;
      trace(r, "breaker_reject", si, it.origin.seq, NULL, -1, NULL);
    } else {
      t->err.kind = "error";
      t->err.message = (vp_str){ (const char *)p + sizeof h, h.msg_len };
      t->err.attempt = h.attempt;
    }
  }

  s->qhead = s->qhead + 1 < s->qcap ? s->qhead + 1 : 0;
  s->qlen--;
  s->in_done = it.in_end;
  return true;
}

static void take_synth(synth *sy, const char *stream, taken *t) {
  memset(t, 0, sizeof *t);
  t->slot = -1;
  t->origin = sy->origin;
  t->err.kind = sy->kind;
  t->err.message = (vp_str){ sy->msg, (int64_t)strlen(sy->msg) };
  t->err.worker = sy->worker;
  t->err.stream = stream;
  t->err.origin = sy->origin;
  t->in = sy->in;
  t->len = sy->len;
  t->sy = sy;
}

// Runs the callback of a taken outcome, then frees the ring bytes it used
// unless an enclosing callback still reads this slot's rings.
static void deliver(vp_region *r, taken *t) {
  slot *s = t->slot >= 0 ? &r->slots[t->slot] : NULL;
  r->st.released++;
  if (s)
    s->pins++;
  r->collecting++;
  int64_t seq = vp_record_seq;
  if (t->origin.seq >= 0)  // markers leave the record in hand
    vp_record_seq = t->origin.seq;
  if (t->ok) {
    r->desc->on_result(&t->origin, &t->records, t->nrecords);
  } else {
    r->st.errors++;
    r->desc->on_error(&t->err, t->in, t->len);
  }
  vp_record_seq = seq;
  r->collecting--;

  if (s && --s->pins == 0) {
    vp_ring_release(s->in, s->in_done);
    vp_ring_release(s->out, s->out_done);
    // The worker may wait for room in its output ring. A wait this check
    // misses ends at the next wait_progress or reap, which kick every slot.
    if (__atomic_load_n(&s->shm->out_blocked, __ATOMIC_RELAXED))
      kick(s);
  }
  free(t->owned_msg);
  if (t->sy) {
    free(t->sy->msg);
    free(t->sy->in);
    free(t->sy);
  }
}

static int collect_input_order(vp_region *r) {
  int n = 0;
  for (log_item *front; (front = log_front(&r->order)) != NULL; n++) {
    taken t;
    if (front->slot < 0) {
      take_synth(front->sy, r->desc->stream, &t);
    } else if (!take_slot(r, front->slot, &t)) {
      break;
    }
    log_pop(&r->order);
    deliver(r, &t);
  }
  return n;
}

static int collect_completion_order(vp_region *r) {
  int n = 0;
  for (int i = 0; i < r->n; i++) {
    taken t;
    while (take_slot(r, i, &t)) {
      deliver(r, &t);
      n++;
    }
  }
  for (log_item *front; (front = log_front(&r->synths)) != NULL; n++) {
    taken t;
    take_synth(front->sy, r->desc->stream, &t);
    log_pop(&r->synths);
    deliver(r, &t);
  }
  return n;
}

int vp_region_poll(vp_region *r) {
  int n = r->desc->order == VP_ORDER_INPUT ? collect_input_order(r)
                                           : collect_completion_order(r);
  // Dead workers are noticed here too, at most every few ms: a poll that
  // keeps finding work must not hide a dead slot.
  if (now_ns() - r->last_reap_ns > PARENT_WAIT_NS)
    reap(r);
  return n;
}

int vp_region_poll_rung(vp_region *r) {
  uint32_t rings = __atomic_load_n(&pbell->rings, __ATOMIC_RELAXED);
  if (rings == r->rings_seen && now_ns() - r->last_reap_ns <= PARENT_WAIT_NS)
    return 0;
  r->rings_seen = rings;
  return vp_region_poll(r);
}

static bool region_ready(void *arg) {
  vp_region *r = arg;
  if (r->synths.len)
    return true;
  for (int i = 0; i < r->n; i++)
    if (slot_front_ready(&r->slots[i]))
      return true;
  return false;
}

// Sleeps until some worker publishes, or a few ms pass; then reaps. The
// workers hear first of everything dispatched or freed, so none of them
// sleeps over work the parent now waits for. spins is PARENT_SPINS, or 0
// for a parent held back by full queues: it then sleeps until a worker
// rings after a batch of outcomes, instead of spinning for them one at a
// time on a CPU the workers need.
static void wait_progress(vp_region *r, int spins) {
  kick_pending(r);
  wait_bell(&pbell->bell, &pbell->sleeping, spins, PARENT_WAIT_NS,
            region_ready, r);
  reap(r);
}

static void wait_released(vp_region *r) {
  while (r->st.released < r->st.submitted)
    if (vp_region_poll(r) == 0)
      wait_progress(r, PARENT_SPINS);
}

// Dispatch.

static void add_synth(vp_region *r, int worker, const char *kind, char *msg,
                      const vp_origin *origin, const void *in, size_t len) {
  synth *sy = xcalloc(1, sizeof *sy);
  sy->entry = r->next_entry++;
  sy->kind = kind;
  sy->msg = msg;
  sy->worker = worker;
  sy->origin = *origin;
  sy->in = xcalloc(1, len ? len : 1);
  memcpy(sy->in, in, len);
  sy->len = len;
  r->st.submitted++;
  log_push(r->desc->order == VP_ORDER_INPUT ? &r->order : &r->synths,
           (log_item){ -1, sy });
}

static int64_t log_replay(slot *s, uint64_t in_end, const void *rec,
                          size_t len) {
  replay_hdr h = { in_end, (uint32_t)len, 1 };
  int64_t off = (int64_t)s->replay.n;
  vp_buf_put(&s->replay, &h, sizeof h);
  vp_buf_put(&s->replay, rec, len);
  return off;
}

// An event being submitted. Its bytes may live in a buffer that the
// callbacks run while the submission waits rewrite (generated code packs
// every event it submits, from any region's callback too, into one
// buffer), so the submission takes a copy of them before it first waits.
typedef struct submission {
  const vp_origin *origin;
  const void *in;
  size_t len;
  void *copy;
} submission;

static void hold(submission *sb) {
  if (sb->copy)
    return;
  sb->copy = xcalloc(1, sb->len ? sb->len : 1);
  memcpy(sb->copy, sb->in, sb->len);
  sb->in = sb->copy;
}

static void dispatch(vp_region *r, int si, submission *sb) {
  const vp_origin *origin = sb->origin;
  size_t len = sb->len;
  slot *s = &r->slots[si];
  size_t need = sizeof(in_hdr) + len;
  if (need > vp_ring_max_record(s->in)) {
    add_synth(r, si, "error",
              fmt_dup("invalid argument: concurrent: event too large "
                      "(%zu bytes)",
                      len),
              origin, sb->in, len);
    return;
  }

  // A full queue makes dispatch wait, collecting meanwhile (5.1).
  void *dst;
  for (;;) {
    if (r->sup.failed) {
      add_synth(r, si, "worker_failed", xstrdup(r->failed_msg), origin,
                sb->in, len);
      return;
    }
    if (s->down) {
      add_synth(r, si, "worker_failed", fmt_dup("worker %d is down", si),
                origin, sb->in, len);
      return;
    }
    if (s->qlen < s->qcap && vp_ring_reserve(s->in, need, &dst) == 0)
      break;
    hold(sb);
    if (vp_region_poll(r) == 0)
      wait_progress(r, 0);
  }

  // Work starts waiting for an idle slot now (6.8). A health check needs
  // to know that exactly: the worker's progress line tells. Without one,
  // only the one-minute stall warning uses it, and an empty queue tells
  // well enough; that spares the parent a cache miss per dispatch, as a
  // busy worker writes the line after every event.
  if (s->pid > 0 &&
      (r->desc->sup.health_enabled
           ? __atomic_load_n(&s->shm->in_pos, __ATOMIC_RELAXED) == s->in_pub
           : s->qlen == 0))
    s->wait_since = now_ns();

  in_hdr h = { r->next_entry, origin->seq, origin->input, origin->line };
  memcpy(dst, &h, sizeof h);
  memcpy((uint8_t *)dst + sizeof h, sb->in, len);
  vp_ring_commit(s->in);
  s->in_pub = vp_ring_reserved(s->in);

  qitem *it = qat(s, s->qlen++);
  *it = (qitem){ .entry = r->next_entry, .in_end = vp_ring_reserved(s->in),
                 .log_off = -1 };
  if (vp_ckpt_dir && r->desc->load && origin->seq != VP_CKPT_SEQ)
    it->log_off = log_replay(s, it->in_end, dst, need);
  it->in = (const uint8_t *)dst + sizeof h;
  it->len = len;
  it->origin = *origin;
  it->attempt = 1;
  r->next_entry++;
  r->st.submitted++;
  if (r->desc->order == VP_ORDER_INPUT)
    log_push(&r->order, (log_item){ si, NULL });

  // The event is published. A worker is checked with the full protocol of
  // ring_bell every KICK_EVERY events (a full default queue); one that
  // announced that it sleeps is woken at once unless it was kicked less
  // than KICK_GAP ago, so that a fast stream wakes it about once per queue
  // and a slow one once per event. A worker woken that rarely takes its
  // events in long runs, while the parent fills the rest of the queue: the
  // two then share fewer cache lines of the ring at a time, and the parent
  // spends less on wakes. A sleep this relaxed look misses is caught by
  // the next KICK_EVERY check, the kicks before any wait and at each reap,
  // or the worker's own short timeout (the parent may be blocked reading
  // input).
  if (++s->unkicked >= KICK_EVERY ||
      (__atomic_load_n(&s->shm->sleeping, __ATOMIC_RELAXED) &&
       ticks() - s->kicked_at >= KICK_GAP))
    kick(s);
}

// The next slot in cyclic order that is neither closed nor waiting to
// restart; -1 when every slot is closed, -2 when every open one waits.
static int next_open_slot(vp_region *r) {
  int found = -1;
  for (int k = 0; k < r->n; k++) {
    int si = (r->rr + k) % r->n;
    slot *s = &r->slots[si];
    if (s->down)
      continue;
    found = -2;
    if (!s->waiting) {
      r->rr = (si + 1) % r->n;
      return si;
    }
  }
  return found;
}

// Round robin (5.7): waits for the first restart when every open slot
// waits for one.
static void submit_round_robin(vp_region *r, submission *sb) {
  for (;;) {
    int si = r->sup.failed ? -3 : next_open_slot(r);
    if (si >= 0) {
      dispatch(r, si, sb);
      return;
    }
    if (si != -2) {
      char *msg = si == -3 ? xstrdup(r->failed_msg)
                           : fmt_dup("worker %d is down", r->rr);
      add_synth(r, r->rr, "worker_failed", msg, sb->origin, sb->in, sb->len);
      return;
    }
    hold(sb);
    if (vp_region_poll(r) == 0)
      wait_progress(r, PARENT_SPINS);
  }
}

void vp_region_submit(vp_region *r, const vp_origin *origin, uint64_t key_hash,
                      const void *in, size_t len) {
  // A failed region whose period is over restarts before the event enters.
  if (r->sup.failed && vp_sup_restart_due(&r->sup, now_ns()))
    tick(r, now_ns());

  submission sb = { origin, in, len, NULL };
  switch (r->desc->strategy) {
  case VP_STRATEGY_CONSISTENT_HASH:
    // Never re-hashed, even to a closed slot: per-key affinity (6.4).
    dispatch(r, vp_jump_hash(key_hash, r->n), &sb);
    break;
  case VP_STRATEGY_ROUND_ROBIN:
    submit_round_robin(r, &sb);
    break;
  case VP_STRATEGY_BROADCAST: {
    bool any = false;
    for (int si = 0; si < r->n; si++) {
      if (!r->slots[si].down && !r->sup.failed) {
        dispatch(r, si, &sb);
        any = true;
      }
    }
    if (!any)
      add_synth(r, 0, "worker_failed",
                xstrdup(r->sup.failed ? r->failed_msg : "worker 0 is down"),
                origin, sb.in, len);
    break;
  }
  }
  free(sb.copy);

  // A submit made from one of this region's own callbacks cannot wait: the
  // enclosing collector releases it.
  if (vp_deterministic && r->collecting == 0)
    wait_released(r);
}

void vp_region_drain(vp_region *r) {
  wait_released(r);
}

// Start and stop.

static size_t pow2_at_least(size_t n) {
  size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

static void free_slots(vp_region *r) {
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    vp_buf_free(&s->state);
    vp_buf_free(&s->next_state);
    vp_buf_free(&s->replay);
    vp_ring_destroy(s->in);
    vp_ring_destroy(s->out);
    if (s->shm)
      munmap(s->shm, sizeof *s->shm);
    for (int k = 0; k < s->qlen; k++)
      free(qat(s, k)->fail_msg);
    free(s->q);
  }
  vp_sup_free(&r->sup);
  free(r->sups);
  free(r->failed_msg);
  free(r->slots);
  free(r->order.v);
  free(r->synths.v);
  free(r);
}

static int init_slot(slot *s, int qcap) {
  size_t in_cap = pow2_at_least((size_t)qcap * IN_EVENT_GUESS);
  if (in_cap < IN_RING_MIN)
    in_cap = IN_RING_MIN;
  if (in_cap > IN_RING_MAX)
    in_cap = IN_RING_MAX;
  s->in = vp_ring_create(in_cap);
  s->out = vp_ring_create(OUT_RING_SIZE);
  s->shm = map_shared(sizeof *s->shm);
  s->qcap = qcap;
  s->q = xcalloc((size_t)qcap, sizeof *s->q);
  return s->in && s->out && s->shm ? 0 : -ENOMEM;
}

int vp_region_workers(const vp_region_desc *desc, int workers) {
  int n = desc->max_workers;
  if (workers > 0 && desc->strategy != VP_STRATEGY_BROADCAST)
    n = workers;
  if (n < 1)
    n = 1;
  return n > MAX_WORKERS ? MAX_WORKERS : n;
}

vp_region *vp_region_start(const vp_region_desc *desc, int workers,
                           const vp_str *states) {
  if (!pbell) {
    if (!(pbell = map_shared(sizeof *pbell)))
      return NULL;
    parse_faults();
  }

  int n = vp_region_workers(desc, workers);
  if (workers > 0 && desc->strategy == VP_STRATEGY_BROADCAST)
    vp_log(VP_LOG_WARN, "--workers ignored for broadcast region in '%s'",
           desc->stream);
  int qcap = desc->queue_capacity;
  if (qcap < 1)
    qcap = 1;
  if (qcap > (1 << 20))
    qcap = 1 << 20;

  vp_region *r = xcalloc(1, sizeof *r);
  r->desc = desc;
  r->n = n;
  r->slots = xcalloc((size_t)n, sizeof *r->slots);
  r->st.workers = n;
  r->last_reap_ns = now_ns();
  r->next_health_ns = r->last_reap_ns;
  r->sups = xcalloc((size_t)n, sizeof *r->sups);
  vp_sup_init(&r->sup, &desc->sup, vp_seed);
  r->bcfg = (vp_breaker_config){ desc->sup.breaker_failure_threshold,
                                 desc->sup.breaker_timeout_ns,
                                 desc->sup.breaker_half_open_requests };
  for (int i = 0; i < n; i++) {
    if (init_slot(&r->slots[i], qcap) < 0) {
      vp_log(VP_LOG_ERROR, "region: cannot map rings for stream %s",
             desc->stream);
      free_slots(r);
      return NULL;
    }
  }

  for (int i = 0; i < n; i++) {
    slot *s = &r->slots[i];
    if (states)
      vp_buf_put(&s->state, states[i].p, (size_t)states[i].n);
    s->resume_attempt = 1;
    start_slot(r, i, r->last_reap_ns, false);
  }
  return r;
}

// Checkpoints (7.3).

void vp_region_barrier(vp_region *r) {
  if (!r->desc->save)
    return;
  vp_meta m;
  memset(&m, 0, sizeof m);
  m.origin.seq = VP_CKPT_SEQ;
  submission sb = { &m.origin, &m, sizeof m, NULL };
  for (int si = 0; si < r->n; si++)
    if (!r->slots[si].down && !r->sup.failed)
      dispatch(r, si, &sb);
  free(sb.copy);
}

int vp_region_take_states(vp_region *r, vp_buf *body) {
  vp_buf_i64(body, r->n);
  vp_buf_i64(body, r->rr);
  for (int si = 0; si < r->n && r->desc->save; si++) {
    slot *s = &r->slots[si];
    char path[4096];
    vp_ckpt_state_path(path, sizeof path, r->desc->id, si);
    s->next_state.n = 0;
    int rc = vp_ckpt_slurp(path, &s->next_state);
    if (rc == -ENOENT && (s->down || r->sup.failed))
      rc = 0;  // no worker, no state
    if (rc < 0) {
      vp_log(VP_LOG_ERROR, "checkpoint: cannot read %s: %s", path,
             strerror(-rc));
      return rc;
    }
    unlink(path);
    vp_buf_str(body, (vp_str){ (const char *)s->next_state.p,
                               (int64_t)s->next_state.n });
  }
  return 0;
}

void vp_region_set_round_robin(vp_region *r, int64_t next) {
  r->rr = next >= 0 && next < r->n ? (int)next : 0;
}

size_t vp_region_replay_bytes(const vp_region *r) {
  size_t n = 0;
  for (int si = 0; si < r->n; si++)
    n += r->slots[si].replay.n;
  return n;
}

void vp_region_checkpoint_done(vp_region *r) {
  for (int si = 0; si < r->n && r->desc->save; si++) {
    slot *s = &r->slots[si];
    vp_buf t = s->state;
    s->state = s->next_state;
    s->next_state = t;
    s->replay.n = 0;
  }
}

void vp_region_stop(vp_region *r) {
  vp_region_drain(r);
  for (int i = 0; i < r->n; i++) {
    slot_shm *shm = r->slots[i].shm;
    // Release, paired with the acquire loads of stop in the worker.
    __atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&shm->bell, 1, __ATOMIC_RELEASE);  // as in ring_bell
    futex_wake(&shm->bell);
    // A stopped worker (SIGSTOP) with no work left could not exit.
    if (r->slots[i].pid > 0)
      kill(r->slots[i].pid, SIGCONT);
  }
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    int status;
    while (s->pid > 0 && waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
      ;
    s->pid = 0;
  }
  free_slots(r);
}

void vp_region_get_stats(const vp_region *r, vp_region_stats *s) {
  *s = r->st;
  s->restarts = r->sup.restarts;
  s->escalations = r->sup.escalations;
}
