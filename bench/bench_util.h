/* SPDX-License-Identifier: BSD-3-Clause */
// Helpers shared by the benchmark files (bench.cc, real_work.cc).
#ifndef EG_BENCH_UTIL_H
#define EG_BENCH_UTIL_H

#include <cstdio>

// Threads in this process right now (the pool's size, give or take the
// benchmark's own), from the "Threads:" line of /proc/self/status; -1 when
// it cannot be read.
inline double process_threads() {
  std::FILE *f = std::fopen("/proc/self/status", "r");
  if (f == nullptr)
    return -1;
  char line[256];
  double n = -1;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "Threads: %lf", &n) == 1)
      break;
  std::fclose(f);
  return n;
}

#endif
