// The one header generated code includes: the runtime's public modules.
// SPDX-License-Identifier: MIT
#ifndef VP_VPRT_H
#define VP_VPRT_H

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ckpt.h"
#include "dyn.h"
#include "evtfast.h"
#include "err.h"
#include "input.h"
#include "log.h"
#include "ops.h"
#include "output.h"
#include "pack.h"
#include "partition.h"
#include "region.h"
#include "run.h"
#include "value.h"
#include "window.h"
#include "fold.h"
#include "agg.h"
#include "distinct.h"
#include "tap.h"

#endif
