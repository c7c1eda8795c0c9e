/* Helpers shared by the C baselines (hdf5_bench.c, acme_layout.c). Each program defines
 * BENCH_PROGRAM (its name, for error messages) before including this file. */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, BENCH_PROGRAM ": %s failed\n", what);
  exit(1);
}

/* One float64 dataset of the given shape, written whole from `data`. */
static void write_dataset(hid_t loc, const char *name, int rank, const hsize_t *dims, const double *data) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dset = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (dset < 0) die("H5Dcreate2");
  if (H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) die("H5Dwrite");
  H5Dclose(dset);
  H5Sclose(space);
}
#endif
