// Internal to the addon: conversions shared by the files of each HDF5 object kind
// (dataset.cc, group.cc, attribute.cc, virtual-dataset.cc, link.cc). Callers hold an Hdf5Lock.
#pragma once
#include <functional>
#include "ops.h"

namespace h5n {

// Data handed over from JavaScript: a typed array (numbers, bools as Uint8Array) or string[].
struct Values {
  bool isStrings = false;
  std::vector<std::string> strings;
  const void* ptr = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_float64_array;
};

// Converts `vals` into a buffer laid out as `dtype` (strings, bool, float16) or returns the
// memory type that lets libhdf5 convert the typed array itself; owns the temporaries.
struct Prepared {
  hid_t memType = -1;
  Hid ownedType;
  const void* buf = nullptr;
  std::vector<uint8_t> bytes;
  std::vector<const char*> cstrs;
};

std::string dimsText(const std::vector<hsize_t>& d);
std::vector<hsize_t> spaceDims(hid_t space, std::vector<hsize_t>* maxdims = nullptr);
Hid makeSpace(const std::vector<hsize_t>& shape, const std::vector<hsize_t>* maxshape);
Napi::Array dimsArray(Napi::Env env, const std::vector<hsize_t>& d, bool unlimitedAsNull = false);
hid_t nativeTypeOf(napi_typedarray_type t);
double elementAsDouble(const void* p, napi_typedarray_type t, size_t i);
size_t bytesPerElement(napi_typedarray_type t);
// `path` names the dataset in error messages.
// The first byte of a typed array's elements (over an ArrayBuffer or a SharedArrayBuffer).
const uint8_t* typedArrayBytes(const Napi::TypedArray& ta);
Values getValues(const Napi::Value& v, const std::string& path);
// `points`: how many values of `dtype` vals holds (complex: 2·points numbers interleaved, or
// `points` real numbers).
void prepare(Prepared& p, const Values& vals, const std::string& dtype, hid_t fileType, const std::string& path,
             size_t points = 1);
// float16: each value rounded to the nearest half (ties to even), as numpy rounds.
void roundToHalf(const Values& vals, _Float16* out);
Napi::Value makeTypedArray(Napi::Env env, const std::string& dtype, size_t n, Napi::ArrayBuffer buf);
// The `n` values of a dataset or attribute of `dtype` as JavaScript sees them: string[] for
// strings, else the typed array readMemTypeFor's type fills (bool: Uint8Array of 0/1).
// `read(memType, buf)` is the H5Dread/H5Aread; `space` describes the values (to free strings).
Napi::Value readValues(Napi::Env env, hid_t fileType, const std::string& dtype, size_t n, hid_t space, const std::string& ctx,
                       const std::function<herr_t(hid_t, void*)>& read);
// Sets a fill value given as a JS number/bigint/boolean/string, converted to the file type.
void setFillValue(hid_t dcpl, hid_t ftype, const std::string& dtype, const Napi::Value& fill);

// (dataset.cc) Writes `vals` into the `npoints` points of `shape` (the dataset's, or a
// selection's given by mspace/fspace; the whole dataset when mspace is not valid).
void writeValues(hid_t dset, const std::string& path, const Values& vals, const std::string& dtype, hid_t ftype,
                 const std::vector<hsize_t>& shape, size_t npoints, const Hid& mspace, const Hid& fspace, bool selection);

}  // namespace h5n
