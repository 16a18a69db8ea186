/* SPDX-License-Identifier: BSD-3-Clause */
/* See fetch.h. */
#include "fetch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

enum { APP_ERROR = 1 }; /* the code of this program's own errors */

struct sink {
  char *buf;
  size_t cap, len;
};

static size_t collect(char *data, size_t size, size_t n, void *arg) {
  struct sink *s = arg;
  size_t take = size * n;
  if (take > s->cap - 1 - s->len)
    take = s->cap - 1 - s->len;
  memcpy(s->buf + s->len, data, take);
  s->len += take;
  s->buf[s->len] = '\0';
  return size * n; /* a long body is cut, not refused */
}

static eg_error *failure(const char *what, const char *reason) {
  char text[256];
  snprintf(text, sizeof text, "%s: %s", what, reason);
  return eg_error_new(APP_ERROR, text);
}

/*
 * Runs the transfer until it completes or `ctx_fd` turns readable.
 * Returns 1 when canceled, 0 when done (*result set), -1 on a multi error.
 */
static int transfer(CURLM *multi, int ctx_fd, CURLcode *result) {
  for (;;) {
    int running;
    if (curl_multi_perform(multi, &running) != CURLM_OK)
      return -1;
    if (running == 0)
      break;
    /* Sleeps until curl's sockets or timers need it, or the context is
     * done: the descriptor is the wake-up, not a polling interval. */
    struct curl_waitfd done = {.fd = ctx_fd, .events = CURL_WAIT_POLLIN};
    if (curl_multi_poll(multi, &done, 1, 60000, NULL) != CURLM_OK)
      return -1;
    if (done.revents != 0)
      return 1;
  }
  int left;
  CURLMsg *msg = curl_multi_info_read(multi, &left);
  *result = msg != NULL && msg->msg == CURLMSG_DONE ? msg->data.result
                                                    : CURLE_RECV_ERROR;
  return 0;
}

eg_error *http_get(eg_context *ctx, const char *what, const char *url,
                   char *body, size_t cap) {
  int ctx_fd = eg_context_fd(ctx);
  if (ctx_fd < 0)
    return eg_error_new(ctx_fd, eg_strerror(ctx_fd));
  struct sink sink = {body, cap, 0};
  body[0] = '\0';
  CURL *easy = curl_easy_init();
  CURLM *multi = curl_multi_init();
  if (easy == NULL || multi == NULL) {
    curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
    return failure(what, "cannot make a curl handle");
  }
  curl_easy_setopt(easy, CURLOPT_URL, url);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L); /* we have threads */
  curl_multi_add_handle(multi, easy);

  CURLcode result = CURLE_OK;
  int outcome = transfer(multi, ctx_fd, &result);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  /* Removing the handle and cleaning up the multi handle close the
   * connection: the server sees it closed now, not at the process's exit. */
  curl_multi_remove_handle(multi, easy);
  curl_easy_cleanup(easy);
  curl_multi_cleanup(multi);

  if (outcome == 1)
    return eg_error_retain(eg_context_cause(ctx));
  if (outcome < 0)
    return failure(what, "curl multi interface failed");
  if (result != CURLE_OK)
    return failure(what, curl_easy_strerror(result));
  if (status < 200 || status > 299) {
    char reason[32];
    snprintf(reason, sizeof reason, "HTTP %ld", status);
    return failure(what, reason);
  }
  size_t len = strlen(body);
  if (len > 0 && body[len - 1] == '\n')
    body[len - 1] = '\0';
  return NULL;
}
