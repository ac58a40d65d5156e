/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config/config.h"

/* How each init wants to be told to halt or reboot. */
typedef struct InitSignals {
        int halt;
        int reboot;
} InitSignals;

InitSignals init_signals_for(InitKind kind);
/* Looks at what cmd0 resolves to inside rootfs (never following a link out of it) and at a few
 * marker files to tell systemd, sysvinit, busybox and OpenRC apart. */
InitKind init_detect(const char *rootfs, const char *cmd0);
/* The signals to use for c: the config's when set, else the detected init's. */
InitSignals init_signals_resolve(const BerthConfig *c, const char *rootfs, InitKind *ret_kind);
