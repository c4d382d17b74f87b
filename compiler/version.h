// The version of vpc and of the runtime it ships with.
// SPDX-License-Identifier: MIT
#ifndef VPC_VERSION_H
#define VPC_VERSION_H

#define VPC_VERSION "0.1.0"

#endif
