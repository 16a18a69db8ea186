/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An HTTP GET through libcurl that a context cancels within milliseconds:
 * the transfer runs on a curl multi handle whose poll also watches the
 * context's descriptor (eg_context_fd), so cancellation wakes it at once and
 * the connection is closed before http_get returns.
 */
#ifndef SCATTER_GATHER_FETCH_H
#define SCATTER_GATHER_FETCH_H

#include <stddef.h>

#include "errgroup.h"

/*
 * Fetches `url` into `body` (at most `cap` - 1 bytes, NUL-terminated, a
 * trailing newline removed). Returns NULL on HTTP 2xx, else an owned
 * error: "<what>: HTTP <status>", "<what>: <curl's reason>", or, when
 * `ctx` is done first, the context's cause (retained).
 */
eg_error *http_get(eg_context *ctx, const char *what, const char *url,
                   char *body, size_t cap);

#endif
