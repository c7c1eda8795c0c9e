/* The libhdf5 baseline for bench/cases/files.js: writes the same files as a ParallelMap run in
 * ACME's layout, directly through the C API, one call after another in one thread. Prints the
 * elapsed wall time of the HDF5 work in milliseconds (process start-up excluded).
 *   acme_layout default DIR N   DIR/f_payload/f_i.h5 (result_0 = [2i], float64 (1,)) for i < N,
 *                               then DIR/f.h5 with N external links comp_i -> (f_payload/f_i.h5, /)
 *   acme_layout single  DIR N   DIR/f.h5 with groups comp_i/result_0 = [2i], float64 (1,)
 *   acme_layout single-tuned DIR N   the same file, written with the settings of acme-ts's
 *                               singleFile writer: held in memory (core driver, written out at
 *                               close) and a metadata cache starting at 128 KiB (adaptive)
 *   acme_layout default-big / single-big DIR N   the same files with result_0 a 1000x1000 float64
 *                               (8 MB) per call instead of [2i]
 *   acme_layout vds     DIR N   DIR/f.h5 (libver latest) with a virtual dataset result_0 of shape
 *                               (N, 1000, 1000), fill NaN, slot i <- f_payload/f_i.h5:/result_0,
 *                               then the N payload files, each one 1000x1000 float64 dataset
 *   acme_layout single-stacked DIR N   DIR/f.h5 with a contiguous dataset result_0 of shape
 *                               (N, 1000, 1000), fill value NaN recorded but never written (what
 *                               acme-ts's singleFile + resultShape container holds), slot i
 *                               written with one H5Dwrite of a hyperslab per call
 *   …-fill (default-big-fill, single-big-fill, vds-fill, single-stacked-fill)   the files a ParallelMap run of
 *                               bench/cases/fixtures/large.js writes, value for value: call i's
 *                               1000x1000 result holds i everywhere, filled just before it is
 *                               written (the others write one buffer, filled before the clock)
 * Files are created directly under their final names (no temporary name + rename).
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#define BENCH_PROGRAM "acme_layout"
#include "bench_common.h"

static void write_payload(const char *dir, int i, int rank, const hsize_t *dims, const double *data) {
  char path[4096];
  snprintf(path, sizeof path, "%s/f_payload/f_%d.h5", dir, i);
  hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
  if (f < 0) die("H5Fcreate payload");
  write_dataset(f, "result_0", rank, dims, data);
  if (H5Fclose(f) < 0) die("H5Fclose payload");
}

/* `big` holding call i's values when each call fills its own (fill_each), else as it is. */
static double *filled(double *big, int fill_each, int i) {
  if (fill_each)
    for (int k = 0; k < 1000 * 1000; k++) big[k] = i;
  return big;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: acme_layout default|single|vds DIR N\n");
    return 2;
  }
  const char *mode = argv[1], *dir = argv[2];
  int n = atoi(argv[3]);
  char path[4096], name[64], target[128];
  hsize_t one[1] = {1}, big_dims[2] = {1000, 1000};
  double *big = NULL;
  /* …-fill: each call's values are computed (filled) before they are written. */
  size_t mode_len = strlen(mode);
  int fill_each = mode_len > 5 && strcmp(mode + mode_len - 5, "-fill") == 0;
  if (fill_each) mode_len -= 5;
  /* default-big and single-big: default and single with an 8 MB result_0 per call. */
  int big_results = mode_len > 4 && strncmp(mode + mode_len - 4, "-big", 4) == 0;
  char base_mode[32];
  snprintf(base_mode, sizeof base_mode, "%.*s", (int)(big_results ? mode_len - 4 : mode_len), mode);
  mode = base_mode;
  int stacked = strcmp(mode, "single-stacked") == 0;
  if (strcmp(mode, "vds") == 0 || big_results || stacked) {
    big = malloc(sizeof(double) * 1000 * 1000);
    for (int i = 0; i < 1000 * 1000; i++) big[i] = i * 1e-3;
  }
  /* One call's result_0: [2i], or the 1000x1000 buffer. */
  int rank = big_results ? 2 : 1;
  const hsize_t *dims = big_results ? big_dims : one;
#define RESULT_OF(i) (big_results ? filled(big, fill_each, i) : (v = 2.0 * (i), &v))
  double v;

  double t0 = now_ms();
  if (strcmp(mode, "default") == 0) {
    snprintf(path, sizeof path, "%s/f_payload", dir);
    if (mkdir(path, 0777) != 0) die("mkdir");
    for (int i = 0; i < n; i++) write_payload(dir, i, rank, dims, RESULT_OF(i));
    snprintf(path, sizeof path, "%s/f.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) die("H5Fcreate container");
    for (int i = 0; i < n; i++) {
      snprintf(name, sizeof name, "comp_%d", i);
      snprintf(target, sizeof target, "f_payload/f_%d.h5", i);
      if (H5Lcreate_external(target, "/", f, name, H5P_DEFAULT, H5P_DEFAULT) < 0) die("H5Lcreate_external");
    }
    if (H5Fclose(f) < 0) die("H5Fclose container");
  } else if (strcmp(mode, "single") == 0 || strcmp(mode, "single-tuned") == 0) {
    snprintf(path, sizeof path, "%s/f.h5", dir);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (strcmp(mode, "single-tuned") == 0) {
      H5AC_cache_config_t c;
      c.version = H5AC__CURR_CACHE_CONFIG_VERSION;
      if (H5Pset_fapl_core(fapl, 4 << 20, 1) < 0 || H5Pget_mdc_config(fapl, &c) < 0) die("fapl");
      c.set_initial_size = 1;
      c.initial_size = 128 * 1024;
      c.min_size = 64 * 1024;
      if (H5Pset_mdc_config(fapl, &c) < 0) die("H5Pset_mdc_config");
    }
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (f < 0) die("H5Fcreate container");
    H5Pclose(fapl);
    for (int i = 0; i < n; i++) {
      snprintf(name, sizeof name, "comp_%d", i);
      hid_t g = H5Gcreate2(f, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
      if (g < 0) die("H5Gcreate2");
      write_dataset(g, "result_0", rank, dims, RESULT_OF(i));
      H5Gclose(g);
    }
    if (H5Fclose(f) < 0) die("H5Fclose container");
  } else if (stacked) {
    snprintf(path, sizeof path, "%s/f.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) die("H5Fcreate container");
    hsize_t sdims[3] = {(hsize_t)n, 1000, 1000};
    hid_t space = H5Screate_simple(3, sdims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    double nan_fill = NAN;
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan_fill);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t d = H5Dcreate2(f, "result_0", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) die("H5Dcreate2 stacked");
    hid_t mspace = H5Screate_simple(2, big_dims, NULL);
    for (int i = 0; i < n; i++) {
      hsize_t start[3] = {(hsize_t)i, 0, 0}, count[3] = {1, 1000, 1000};
      H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL);
      if (H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, filled(big, fill_each, i)) < 0) die("H5Dwrite slot");
    }
    H5Sclose(mspace);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (H5Fclose(f) < 0) die("H5Fclose container");
  } else if (strcmp(mode, "vds") == 0) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    snprintf(path, sizeof path, "%s/f.h5", dir);
    hid_t f = H5Fcreate(path, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
    if (f < 0) die("H5Fcreate container");
    hsize_t vdims[3] = {(hsize_t)n, 1000, 1000};
    hid_t vspace = H5Screate_simple(3, vdims, NULL);
    hid_t sspace = H5Screate_simple(2, big_dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    double nan_fill = NAN;
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan_fill);
    for (int i = 0; i < n; i++) {
      hsize_t start[3] = {(hsize_t)i, 0, 0}, count[3] = {1, 1, 1}, block[3] = {1, 1000, 1000};
      H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start, NULL, count, block);
      snprintf(target, sizeof target, "f_payload/f_%d.h5", i);
      if (H5Pset_virtual(dcpl, vspace, target, "result_0", sspace) < 0) die("H5Pset_virtual");
    }
    H5Sselect_all(vspace);
    hid_t d = H5Dcreate2(f, "result_0", H5T_IEEE_F64LE, vspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0) die("H5Dcreate2 virtual");
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sspace);
    H5Sclose(vspace);
    if (H5Fclose(f) < 0) die("H5Fclose container");
    H5Pclose(fapl);
    snprintf(path, sizeof path, "%s/f_payload", dir);
    if (mkdir(path, 0777) != 0) die("mkdir");
    for (int i = 0; i < n; i++) write_payload(dir, i, 2, big_dims, filled(big, fill_each, i));
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  printf("%.3f\n", now_ms() - t0);
  free(big);
  return 0;
}
