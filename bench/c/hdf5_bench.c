/* The libhdf5 baseline for bench/cases/hdf5.js: the same work as the TypeScript API, done
 * directly through the C API. Prints the elapsed wall time of the work in milliseconds.
 *   hdf5_bench small  DIR N     N files, each with one 10-element float64 dataset
 *   hdf5_bench onefile DIR N    one file with N datasets of 1000x1000 float64
 *   hdf5_bench manyfiles DIR N  N files, each with one 1000x1000 float64 dataset
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define BENCH_PROGRAM "hdf5_bench"
#include "bench_common.h"

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: hdf5_bench small|onefile|manyfiles DIR N\n");
    return 2;
  }
  const char *mode = argv[1], *dir = argv[2];
  int n = atoi(argv[3]);
  char path[4096], name[64];
  hsize_t small_dims[1] = {10}, big_dims[2] = {1000, 1000};
  double small[10];
  for (int i = 0; i < 10; i++) small[i] = i * 0.5;
  double *big = malloc(sizeof(double) * 1000 * 1000);
  for (int i = 0; i < 1000 * 1000; i++) big[i] = i * 1e-3;

  double t0 = now_ms();
  if (strcmp(mode, "small") == 0 || strcmp(mode, "manyfiles") == 0) {
    int is_small = mode[0] == 's';
    for (int i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/c_%d.h5", dir, i);
      hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
      if (f < 0) die("H5Fcreate");
      if (is_small) write_dataset(f, "result_0", 1, small_dims, small);
      else write_dataset(f, "result_0", 2, big_dims, big);
      if (H5Fclose(f) < 0) die("H5Fclose");
    }
  } else if (strcmp(mode, "onefile") == 0) {
    snprintf(path, sizeof path, "%s/c_one.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) die("H5Fcreate");
    for (int i = 0; i < n; i++) {
      snprintf(name, sizeof name, "result_%d", i);
      write_dataset(f, name, 2, big_dims, big);
    }
    if (H5Fclose(f) < 0) die("H5Fclose");
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  printf("%.3f\n", now_ms() - t0);
  free(big);
  return 0;
}
