// A strict JSON (RFC 8259) parser for one input line, producing vp_values in
// the record's arena through the shared scan state (scan.h). input.c uses it
// for JSON Lines records and for JSON objects in .evt lines.
// SPDX-License-Identifier: MIT
#ifndef VP_JSON_H
#define VP_JSON_H

#include <stdbool.h>

#include "scan.h"
#include "value.h"

// Parses one JSON value at s->p. Strings without escapes are views into the
// line. Returns false with s->err set on malformed input.
bool vp_json_parse_value(vp_scan *s, vp_value *out);

// Parses the whole rest of the line as one JSON object (a map value),
// allowing only whitespace around it.
bool vp_json_parse_object(vp_scan *s, vp_value *out);

#endif
