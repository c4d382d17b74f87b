// The .evt line syntax of LANGUAGE.md 8.3: BATCH lines, @ offsets and
// records, named ("Name { f: v }") or positional ("Name(a, b)"). input.c
// decides which lines are .evt and owns positions, sequence numbers and time.
// SPDX-License-Identifier: MIT
#ifndef VP_EVT_H
#define VP_EVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan.h"
#include "value.h"

// Letters, digits and '_': the characters of record and field names.
extern const bool vp_evt_name_chars[256];

// Returns true when the trimmed line p[0..n) is a BATCH line ("BATCH" alone
// or followed by whitespace). Then *has_offset says whether it set an offset
// (in *offset_ns), and *err is a message when the offset is malformed.
bool vp_evt_batch(const char *p, size_t n, bool *has_offset,
                  int64_t *offset_ns, const char **err);

// "@" digits unit? ws: parses the line's own offset at s->p (on the '@')
// and skips the whitespace after it.
bool vp_evt_parse_at(vp_scan *s, int64_t *offset_ns);

// record [";"] up to the end of the line: the record's type name and its
// fields (positional values are named field_0, field_1, ...), duplicates
// merged. fields->keys and ->items point into s's scratch stack and stay
// valid until the next vp_scan_start on s.
bool vp_evt_parse_record(vp_scan *s, vp_str *type, vp_list *fields);

#endif
