// Concurrent regions (see region.h): forks one worker process per slot,
// dispatches packed events into per-slot input rings (ring.c) on the main
// thread, and collects outcomes from per-slot output rings in completion or
// input order for the generated on_result/on_error. Dead workers are reaped
// and restarted here; their event in hand is retried once (LANGUAGE.md 6.7).
// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "region.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
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
#include "err.h"
#include "log.h"
#include "partition.h"
#include "ring.h"
#include "run.h"

#define MAX_WORKERS     1024
#define IN_RING_MIN     ((size_t)4 << 20)  // max record 2 MiB > 1 MiB event
#define IN_RING_MAX     ((size_t)64 << 20)
#define IN_EVENT_GUESS  512                // bytes per queued event, sizing
#define OUT_RING_SIZE   ((size_t)8 << 20)  // max record 4 MiB
#define MAX_OUT_RECORDS 65536
#define MAX_OUT_BYTES   ((size_t)16 << 20)
#define MSG_MAX         1024  // error text kept in an outcome
#define CRASH_MSG_MAX   512
#define MAX_DEATHS      4    // deaths in a row without progress before down
#define EXIT_CRASH      71   // worker exit status: trapped crash, see shm
#define EXIT_OOM        70   // vp_arena_alloc's exit status: out of memory
#define SPIN_TRIES      200  // readiness checks before sleeping
#define PARENT_WAIT_NS  5000000L    // the parent also reaps between waits
#define WORKER_WAIT_NS  500000000L  // the worker also checks its parent

// Futex words and flags shared by the parent and all workers of every
// region: the parent sleeps on one doorbell that any worker rings.
typedef struct parent_bell {
  _Alignas(64) uint32_t bell;
  uint32_t sleeping;
} parent_bell;

// Per-slot words shared by the parent and the slot's worker.
typedef struct slot_shm {
  _Alignas(64) uint32_t bell;  // bumped by the parent to wake the worker
  uint32_t sleeping;           // the worker is about to wait on bell
  uint32_t stop;               // exit once the input ring is empty
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
} out_status;

// Output ring record (one per event): this header, the message padded to 8
// bytes, then nrecords records as int64 length + bytes.
typedef struct out_hdr {
  int64_t entry;
  uint64_t in_end;  // input ring position after the event
  int32_t status;
  int32_t attempt;
  int64_t nrecords;
  uint32_t msg_len;
  uint32_t unused;
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
} qitem;

typedef struct slot {
  vp_ring *in;
  vp_ring *out;
  slot_shm *shm;
  pid_t pid;            // 0 when the slot has no worker
  bool down;            // closed: never restarted again
  int deaths;           // deaths in a row without progress
  uint64_t death_mark;  // output ring position after the outcomes seen
                        // at the last death
  qitem *q;             // FIFO of unreleased events, qcap entries
  int qcap, qhead, qlen;
  uint64_t out_rd;    // next outcome in out
  uint64_t in_done;   // input ring position after the last released event
  uint64_t out_done;  // output ring position after the last released outcome
  int pins;           // callbacks running on bytes of this slot's rings
} slot;

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
  int64_t next_entry;  // region entry index of the next event
  log_fifo order;      // VP_ORDER_INPUT: every unreleased entry in order
  log_fifo synths;     // VP_ORDER_COMPLETION: pending synthetic outcomes
  int collecting;      // callbacks in progress (nesting depth)
  int64_t last_reap_ns;
  vp_region_stats st;
};

struct vp_worker {
  vp_region *r;
  int slot;
  uint8_t *buf;  // the pending outcome's records
  size_t n, cap;
  int64_t nrec;
  size_t limit;  // the most record bytes one outcome may hold
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

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Rings bell if its owner announced it sleeps. The caller has just
// published something the sleeper waits for.
static void ring_bell(uint32_t *bell, uint32_t *sleeping) {
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
  }
}

// Sleeps on bell for at most ns unless ready(arg) already holds. The
// eventcount protocol of ring_bell makes a lost wakeup impossible.
static void wait_bell(uint32_t *bell, uint32_t *sleeping, long ns,
                      bool (*ready)(void *), void *arg) {
  // Spin a little first: the other side is often about to publish, and a
  // shared futex wake costs far more than a short spin.
  for (int i = 0; i < SPIN_TRIES; i++) {
    if (ready(arg))
      return;
    cpu_relax();
  }

  // Acquire, paired with the release increment in ring_bell.
  uint32_t seen = __atomic_load_n(bell, __ATOMIC_ACQUIRE);
  __atomic_store_n(sleeping, 1, __ATOMIC_RELAXED);
  // Full fence, paired with the fence in ring_bell.
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  if (!ready(arg))
    futex_wait(bell, seen, ns);
  __atomic_store_n(sleeping, 0, __ATOMIC_RELAXED);
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

static void wake_parent(void) {
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

// Publishes the outcome of one event in one commit, waiting for room.
static void publish(vp_worker *w, int64_t entry, uint64_t in_end, int status,
                    int attempt, const char *msg, size_t msg_len, pid_t ppid) {
  slot *s = &w->r->slots[w->slot];
  size_t rec_bytes = status == OUT_OK ? w->n : 0;
  size_t msg_pad = (msg_len + 7) & ~(size_t)7;
  size_t total = sizeof(out_hdr) + msg_pad + rec_bytes;
  void *dst;
  for (;;) {
    room_wait rw = { s, vp_ring_head(s->out) };
    if (vp_ring_reserve(s->out, total, &dst) == 0)
      break;
    wait_bell(&s->shm->bell, &s->shm->sleeping, WORKER_WAIT_NS, room_ready,
              &rw);
    check_parent(ppid);
  }

  out_hdr h = { .entry = entry, .in_end = in_end, .status = status };
  h.attempt = attempt;
  h.nrecords = status == OUT_OK ? w->nrec : 0;
  h.msg_len = (uint32_t)msg_len;
  uint8_t *p = dst;
  memcpy(p, &h, sizeof h);
  if (msg_len)
    memcpy(p + sizeof h, msg, msg_len);
  if (rec_bytes)
    memcpy(p + sizeof h + msg_pad, w->buf, rec_bytes);
  vp_ring_commit(s->out);
  wake_parent();
}

// Runs one event under a trap. A crash (panic, recursion limit) ends the
// worker abnormally, as a fatal signal would, after leaving its message.
static void run_event(vp_worker *w, const uint8_t *rec, size_t len,
                      uint64_t in_end, int attempt, pid_t ppid) {
  const vp_region_desc *desc = w->r->desc;
  slot_shm *shm = w->r->slots[w->slot].shm;
  in_hdr h;
  memcpy(&h, rec, sizeof h);
  w->n = 0;
  w->nrec = 0;

  vp_trap t;
  if (VP_TRY(t)) {
    desc->work(w, rec + sizeof h, len - sizeof h);
    vp_trap_pop(&t);
    publish(w, h.entry, in_end, OUT_OK, attempt, NULL, 0, ppid);
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
  publish(w, h.entry, in_end, OUT_ERROR, attempt, t.message.p, n, ppid);
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

// A worker: reads its input ring from cursor (never releasing: the parent
// does when it takes the outcome) and writes one outcome per event. It
// leaves only through _exit, so nothing inherited from the parent (stdio
// buffers, atexit handlers) runs twice.
_Noreturn static void worker_main(vp_region *r, int si, uint64_t cursor,
                                  int attempt, pid_t ppid) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  check_parent(ppid);       // the parent may have died before prctl
  signal(SIGINT, SIG_IGN);  // the parent handles ^C and stops us
  signal(SIGTERM, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);

  slot *s = &r->slots[si];
  worker_shm = s->shm;
  vp_arena_oom_hook = worker_oom;
  vp_ring_abort(s->out);  // a dead predecessor's reservations
  vp_trap_top = NULL;
  vp_arena arena = { 0 };
  vp_event_arena = &arena;
  vp_worker w = { r, si, NULL, 0, 0, 0, 0 };
  size_t room = vp_ring_max_record(s->out) - sizeof(out_hdr) - MSG_MAX;
  w.limit = room < MAX_OUT_BYTES ? room : MAX_OUT_BYTES;

  for (;;) {
    uint64_t next = cursor;
    size_t len;
    const uint8_t *rec = vp_ring_peek(s->in, &next, &len);
    if (!rec) {
      // Acquire, paired with the release store of stop in vp_region_stop.
      if (__atomic_load_n(&s->shm->stop, __ATOMIC_ACQUIRE))
        _exit(0);
      input_wait iw = { s, cursor };
      wait_bell(&s->shm->bell, &s->shm->sleeping, WORKER_WAIT_NS, input_ready,
                &iw);
      check_parent(ppid);
      continue;
    }
    run_event(&w, rec, len, next, attempt, ppid);
    vp_arena_reset(&arena);
    cursor = next;
    attempt = 1;
  }
}

void vp_worker_emit(vp_worker *w, const void *rec, size_t len) {
  if (w->nrec >= MAX_OUT_RECORDS || len > w->limit ||
      w->n + sizeof(int64_t) + len > w->limit)
    vp_raise("invalid argument: process: too many outputs");
  size_t need = w->n + sizeof(int64_t) + len;
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

int vp_worker_slot(const vp_worker *w) {
  return w->slot;
}

// Parent side: workers.

static int spawn(vp_region *r, int si, uint64_t cursor, int attempt) {
  pid_t ppid = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return -errno;
  if (pid == 0)
    worker_main(r, si, cursor, attempt, ppid);
  r->slots[si].pid = pid;
  return 0;
}

static void kick(slot *s) {
  ring_bell(&s->shm->bell, &s->shm->sleeping);
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

static qitem *qat(slot *s, int i) {
  return &s->q[(s->qhead + i) % s->qcap];
}

// Marks every event of a closed slot that has no outcome yet: the one in
// hand fails with the crash, the rest as worker_failed.
static void close_slot(vp_region *r, int si, int hand, const char *reason) {
  slot *s = &r->slots[si];
  s->down = true;
  vp_log(VP_LOG_ERROR, "sup: slot_closed stream=%s worker=%d reason=\"%s\"",
         r->desc->stream, si, reason);
  if (hand < 0)
    return;
  for (int i = hand; i < s->qlen; i++) {
    qitem *it = qat(s, i);
    if (it->fail_kind)
      continue;
    if (i == hand) {
      it->fail_kind = "crash";
      it->fail_msg = xstrdup(reason);
    } else {
      it->fail_kind = "worker_failed";
      it->fail_msg = fmt_dup("worker %d is down", si);
      it->attempt = 0;
    }
  }
}

// TODO: restarts follow "always" with no backoff, intensity, breaker or
// health checks; the supervision of LANGUAGE.md 6.4-6.9 replaces this.
//
// A worker died: find its event in hand (the first without an outcome),
// then restart the slot at the event to retry, or after the event to give
// up on (LANGUAGE.md 6.7).
static void on_death(vp_region *r, int si, int status) {
  slot *s = &r->slots[si];
  s->pid = 0;
  r->st.crashes++;
  char *reason = death_reason(s, status);

  // Outcomes already published stay; the worker resumes after them.
  uint64_t cur = s->out_rd, resume = s->in_done;
  int hand = -1;
  for (int i = 0; i < s->qlen; i++) {
    qitem *it = qat(s, i);
    size_t len;
    if (!it->fail_kind && !vp_ring_peek(s->out, &cur, &len)) {
      hand = i;
      break;
    }
    resume = it->in_end;
  }

  // Progress since the last death resets the count: an outcome published,
  // or an event given up on below.
  if (cur != s->death_mark)
    s->deaths = 0;
  s->death_mark = cur;
  if (++s->deaths > MAX_DEATHS) {
    close_slot(r, si, hand, reason);
    free(reason);
    return;
  }

  int attempt = 1;
  if (hand >= 0) {
    qitem *it = qat(s, hand);
    if (it->attempt < 2) {
      it->attempt = 2;
      attempt = 2;
    } else {
      // Poison event: it becomes a crash at attempt 2, the slot goes on.
      it->fail_kind = "crash";
      it->fail_msg = xstrdup(reason);
      resume = it->in_end;
      s->deaths = 0;
    }
  }
  vp_log(VP_LOG_WARN, "sup: restart stream=%s worker=%d reason=\"%s\"",
         r->desc->stream, si, reason);
  if (spawn(r, si, resume, attempt) < 0) {
    close_slot(r, si, hand, "fork failed");
  } else {
    r->st.restarts++;
  }
  free(reason);
}

static void reap(vp_region *r) {
  r->last_reap_ns = now_ns();
  for (int i = 0; i < r->n; i++) {
    slot *s = &r->slots[i];
    int status;
    if (s->pid > 0 && waitpid(s->pid, &status, WNOHANG) == s->pid)
      on_death(r, i, status);
  }
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
  memset(t, 0, sizeof *t);
  t->slot = si;
  t->origin = it.origin;
  t->in = it.in;
  t->len = it.len;
  t->err.worker = si;
  t->err.stream = r->desc->stream;
  t->err.origin = it.origin;

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
    if (h.status == OUT_OK) {
      t->ok = true;
      t->records = (vp_rd){ body, p + len };
      t->nrecords = h.nrecords;
    } else {
      t->err.kind = "error";
      t->err.message = (vp_str){ (const char *)p + sizeof h, h.msg_len };
      t->err.attempt = h.attempt;
    }
  }

  s->qhead = (s->qhead + 1) % s->qcap;
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
  if (t->ok) {
    r->desc->on_result(&t->origin, &t->records, t->nrecords);
  } else {
    r->st.errors++;
    r->desc->on_error(&t->err, t->in, t->len);
  }
  r->collecting--;

  if (s && --s->pins == 0) {
    vp_ring_release(s->in, s->in_done);
    vp_ring_release(s->out, s->out_done);
    kick(s);  // the worker may wait for room in its output ring
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

static bool region_ready(void *arg) {
  vp_region *r = arg;
  if (r->synths.len)
    return true;
  for (int i = 0; i < r->n; i++)
    if (slot_front_ready(&r->slots[i]))
      return true;
  return false;
}

// Sleeps until some worker publishes, or a few ms pass; then reaps.
static void wait_progress(vp_region *r) {
  wait_bell(&pbell->bell, &pbell->sleeping, PARENT_WAIT_NS, region_ready, r);
  reap(r);
}

static void wait_released(vp_region *r) {
  while (r->st.released < r->st.submitted)
    if (vp_region_poll(r) == 0)
      wait_progress(r);
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

static void dispatch(vp_region *r, int si, const vp_origin *origin,
                     const void *in, size_t len) {
  slot *s = &r->slots[si];
  size_t need = sizeof(in_hdr) + len;
  if (need > vp_ring_max_record(s->in)) {
    add_synth(r, si, "error",
              fmt_dup("invalid argument: concurrent: event too large "
                      "(%zu bytes)",
                      len),
              origin, in, len);
    return;
  }

  // A full queue makes dispatch wait, collecting meanwhile (5.1).
  void *dst;
  for (;;) {
    if (s->down) {
      add_synth(r, si, "worker_failed", fmt_dup("worker %d is down", si),
                origin, in, len);
      return;
    }
    if (s->qlen < s->qcap && vp_ring_reserve(s->in, need, &dst) == 0)
      break;
    if (vp_region_poll(r) == 0)
      wait_progress(r);
  }

  in_hdr h = { r->next_entry, origin->seq, origin->input, origin->line };
  memcpy(dst, &h, sizeof h);
  memcpy((uint8_t *)dst + sizeof h, in, len);
  vp_ring_commit(s->in);

  qitem *it = qat(s, s->qlen++);
  *it = (qitem){ .entry = r->next_entry, .in_end = vp_ring_reserved(s->in) };
  it->in = (const uint8_t *)dst + sizeof h;
  it->len = len;
  it->origin = *origin;
  it->attempt = 1;
  r->next_entry++;
  r->st.submitted++;
  if (r->desc->order == VP_ORDER_INPUT)
    log_push(&r->order, (log_item){ si, NULL });
  kick(s);
}

// The next open slot in cyclic order, or -1 when every slot is closed.
static int next_open_slot(vp_region *r) {
  for (int k = 0; k < r->n; k++) {
    int si = (r->rr + k) % r->n;
    if (!r->slots[si].down) {
      r->rr = (si + 1) % r->n;
      return si;
    }
  }
  return -1;
}

void vp_region_submit(vp_region *r, const vp_origin *origin, uint64_t key_hash,
                      const void *in, size_t len) {
  switch (r->desc->strategy) {
  case VP_STRATEGY_CONSISTENT_HASH:
    // Never re-hashed, even to a closed slot: per-key affinity (6.4).
    dispatch(r, vp_jump_hash(key_hash, r->n), origin, in, len);
    break;
  case VP_STRATEGY_ROUND_ROBIN: {
    int si = next_open_slot(r);
    if (si >= 0) {
      dispatch(r, si, origin, in, len);
    } else {
      add_synth(r, r->rr, "worker_failed", fmt_dup("worker %d is down", r->rr),
                origin, in, len);
    }
    break;
  }
  case VP_STRATEGY_BROADCAST: {
    bool any = false;
    for (int si = 0; si < r->n; si++) {
      if (!r->slots[si].down) {
        dispatch(r, si, origin, in, len);
        any = true;
      }
    }
    if (!any)
      add_synth(r, 0, "worker_failed", xstrdup("worker 0 is down"), origin, in,
                len);
    break;
  }
  }

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
    vp_ring_destroy(s->in);
    vp_ring_destroy(s->out);
    if (s->shm)
      munmap(s->shm, sizeof *s->shm);
    for (int k = 0; k < s->qlen; k++)
      free(qat(s, k)->fail_msg);
    free(s->q);
  }
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

vp_region *vp_region_start(const vp_region_desc *desc, int workers) {
  if (!pbell && !(pbell = map_shared(sizeof *pbell)))
    return NULL;

  int n = desc->max_workers;
  if (workers > 0 && desc->strategy != VP_STRATEGY_BROADCAST)
    n = workers;
  if (n < 1)
    n = 1;
  if (n > MAX_WORKERS)
    n = MAX_WORKERS;
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
  for (int i = 0; i < n; i++) {
    if (init_slot(&r->slots[i], qcap) < 0) {
      vp_log(VP_LOG_ERROR, "region: cannot map rings for stream %s",
             desc->stream);
      free_slots(r);
      return NULL;
    }
  }

  for (int i = 0; i < n; i++) {
    if (spawn(r, i, 0, 1) < 0) {
      vp_log(VP_LOG_ERROR, "region: cannot fork worker %d of stream %s: %s", i,
             desc->stream, strerror(errno));
      close_slot(r, i, -1, "fork failed");
    }
  }
  return r;
}

void vp_region_stop(vp_region *r) {
  vp_region_drain(r);
  for (int i = 0; i < r->n; i++) {
    slot_shm *shm = r->slots[i].shm;
    // Release, paired with the acquire loads of stop in the worker.
    __atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
    __atomic_fetch_add(&shm->bell, 1, __ATOMIC_RELEASE);  // as in ring_bell
    futex_wake(&shm->bell);
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
}
