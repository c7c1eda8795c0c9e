#include "ops.h"
#include <cstring>

namespace h5n {

std::string getString(const Napi::Value& v, const char* what) {
  if (!v.IsString()) throwInvalid(std::string(what) + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.find('\0') != std::string::npos)
    throwInvalid(std::string(what) + " must not contain a NUL byte, got '" + s.c_str() + "\\0...'");
  return s;
}

std::vector<hsize_t> getDims(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throwInvalid(std::string(what) + " must be an array of integers");
  Napi::Array a = v.As<Napi::Array>();
  std::vector<hsize_t> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throwInvalid(std::string(what) + " must be an array of integers");
    double d = e.As<Napi::Number>().DoubleValue();
    // -1 stands for unlimited (maxshape null, VDS count 'unlimited').
    out[i] = d < 0 ? H5S_UNLIMITED : static_cast<hsize_t>(d);
  }
  return out;
}

Selection getSelection(const Napi::Value& start, const Napi::Value& count) {
  Selection s;
  if (start.IsUndefined() || start.IsNull()) return s;
  s.present = true;
  s.start = getDims(start, "selection.start");
  s.count = getDims(count, "selection.count");
  return s;
}

static std::string dimsText(const std::vector<hsize_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); i++) s += (i ? "," : "") + (d[i] == H5S_UNLIMITED ? std::string("unlimited") : std::to_string(d[i]));
  return s + "]";
}

static std::vector<hsize_t> spaceDims(hid_t space, std::vector<hsize_t>* maxdims = nullptr) {
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throwHdf5("H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(rank), maxd(rank);
  checkStatus(H5Sget_simple_extent_dims(space, dims.data(), maxd.data()), "H5Sget_simple_extent_dims");
  if (maxdims) *maxdims = maxd;
  return dims;
}

// Selects `sel` in the file space (if given); returns the memory space (H5S_ALL when whole).
static Hid applySelection(hid_t fspace, const Selection& sel, const std::string& path,
                          std::vector<hsize_t>* shapeOut) {
  std::vector<hsize_t> dims = spaceDims(fspace);
  if (!sel.present || (dims.empty() && sel.start.empty())) {
    if (shapeOut) *shapeOut = dims;
    return Hid();
  }
  if (sel.start.size() != dims.size() || sel.count.size() != dims.size())
    throwInvalid("selection for '" + path + "' must have " + std::to_string(dims.size()) +
                 " dimensions like the dataset shape " + dimsText(dims) + ", got start " +
                 dimsText(sel.start) + " count " + dimsText(sel.count));
  for (size_t i = 0; i < dims.size(); i++)
    if (sel.start[i] + sel.count[i] > dims[i])
      throwInvalid("selection start " + dimsText(sel.start) + " count " + dimsText(sel.count) +
                   " is out of range for '" + path + "' with shape " + dimsText(dims));
  checkStatus(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, sel.start.data(), nullptr, sel.count.data(), nullptr),
              "H5Sselect_hyperslab on '" + path + "'");
  if (shapeOut) *shapeOut = sel.count;
  return check(H5Screate_simple(static_cast<int>(sel.count.size()), sel.count.data(), nullptr), "H5Screate_simple");
}

static hid_t nativeTypeOf(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return H5T_NATIVE_INT8;
    case napi_uint8_array: case napi_uint8_clamped_array: return H5T_NATIVE_UINT8;
    case napi_int16_array: return H5T_NATIVE_INT16;
    case napi_uint16_array: return H5T_NATIVE_UINT16;
    case napi_int32_array: return H5T_NATIVE_INT32;
    case napi_uint32_array: return H5T_NATIVE_UINT32;
    case napi_float32_array: return H5T_NATIVE_FLOAT;
    case napi_float64_array: return H5T_NATIVE_DOUBLE;
    case napi_bigint64_array: return H5T_NATIVE_INT64;
    case napi_biguint64_array: return H5T_NATIVE_UINT64;
    default: throwInvalid("unsupported typed array type");
  }
}

static double elementAsDouble(const void* p, napi_typedarray_type t, size_t i) {
  switch (t) {
    case napi_int8_array: return static_cast<const int8_t*>(p)[i];
    case napi_uint8_array: case napi_uint8_clamped_array: return static_cast<const uint8_t*>(p)[i];
    case napi_int16_array: return static_cast<const int16_t*>(p)[i];
    case napi_uint16_array: return static_cast<const uint16_t*>(p)[i];
    case napi_int32_array: return static_cast<const int32_t*>(p)[i];
    case napi_uint32_array: return static_cast<const uint32_t*>(p)[i];
    case napi_float32_array: return static_cast<const float*>(p)[i];
    case napi_float64_array: return static_cast<const double*>(p)[i];
    case napi_bigint64_array: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case napi_biguint64_array: return static_cast<double>(static_cast<const uint64_t*>(p)[i]);
    default: return 0;
  }
}

// Data handed over from JavaScript: a typed array (numbers, bools as Uint8Array) or string[].
struct Values {
  bool isStrings = false;
  std::vector<std::string> strings;
  const void* ptr = nullptr;
  size_t length = 0;
  napi_typedarray_type type = napi_float64_array;
};

// `path` names the dataset in error messages.
static Values getValues(const Napi::Value& v, const std::string& path) {
  auto what = [&] { return "data for '" + path + "'"; };
  Values out;
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    out.type = ta.TypedArrayType();
    out.length = ta.ElementLength();
    out.ptr = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    return out;
  }
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    out.isStrings = true;
    out.length = a.Length();
    out.strings.reserve(out.length);
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsString()) throwInvalid(what() + " must be a typed array or an array of strings");
      out.strings.push_back(e.As<Napi::String>().Utf8Value());
    }
    return out;
  }
  throwInvalid(what() + " must be a typed array or an array of strings");
}

// Converts `vals` into a buffer laid out as `dtype` (strings, bool, float16) or returns the
// memory type that lets libhdf5 convert the typed array itself. `keep` owns temporaries.
struct Prepared {
  hid_t memType = -1;
  Hid ownedType;
  const void* buf = nullptr;
  std::vector<uint8_t> bytes;
  std::vector<const char*> cstrs;
};

// `path` names the dataset in error messages (built only when one is thrown).
static void prepare(Prepared& p, const Values& vals, const std::string& dtype, hid_t fileType,
                    const std::string& path) {
  auto what = [&] { return "data for '" + path + "'"; };
  if (dtype == "string" || dtype[0] == 'S') {
 if (!vals.isStrings) throwInvalid(what() + " must be strings for a " + (dtype == "string" ? "string" : "fixedString") + " dataset");
    p.ownedType = check(H5Tcopy(fileType), "H5Tcopy");
    p.memType = p.ownedType;
    if (dtype == "string") {
      p.cstrs.reserve(vals.length);
      for (auto& s : vals.strings) p.cstrs.push_back(s.c_str());
      p.buf = p.cstrs.data();
    } else {
      size_t size = H5Tget_size(fileType);
      p.bytes.assign(size * vals.length, 0);
      for (size_t i = 0; i < vals.length; i++) {
        const std::string& s = vals.strings[i];
        if (s.size() > size)
 throwInvalid(what() + "[" + std::to_string(i) + "] is " + std::to_string(s.size()) +
                       " bytes in UTF-8, longer than the fixedString size " + std::to_string(size));
        std::memcpy(p.bytes.data() + i * size, s.data(), s.size());
      }
      p.buf = p.bytes.data();
    }
    return;
  }
  if (vals.isStrings && vals.length > 0) throwInvalid(what() + " must be numbers, bigints or booleans for a " + dtype + " dataset, got strings");
  if (dtype == "bool") {
    p.ownedType = check(H5Tcopy(fileType), "H5Tcopy");
    p.memType = p.ownedType;
    p.bytes.resize(vals.length);
    for (size_t i = 0; i < vals.length; i++) p.bytes[i] = elementAsDouble(vals.ptr, vals.type, i) != 0 ? 1 : 0;
    p.buf = p.bytes.data();
  } else if (dtype == "float16") {
    // libhdf5 1.10.8's own float→half conversion is wrong; round here (as numpy does).
    p.ownedType = check(H5Tcopy(fileType), "H5Tcopy");
    p.memType = p.ownedType;
    p.bytes.resize(vals.length * sizeof(_Float16));
    auto* h = reinterpret_cast<_Float16*>(p.bytes.data());
    if (vals.type == napi_float32_array) {
      auto* f = static_cast<const float*>(vals.ptr);
      for (size_t i = 0; i < vals.length; i++) h[i] = static_cast<_Float16>(f[i]);
    } else {
      for (size_t i = 0; i < vals.length; i++) h[i] = static_cast<_Float16>(elementAsDouble(vals.ptr, vals.type, i));
    }
    p.buf = p.bytes.data();
  } else {
    p.memType = nativeTypeOf(vals.type);
    p.buf = vals.ptr;
  }
}

static void writeOpenDataset(hid_t dset, const std::string& path, const Values& vals, const Selection& sel);

static Hid openDataset(hid_t loc, const std::string& path) {
  return check(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), "cannot open dataset '" + path + "'");
}

void writeDataset(hid_t loc, const std::string& path, const Napi::Value& data, const Selection& sel) {
  Values vals = getValues(data, path);
  Hid dset = openDataset(loc, path);
  writeOpenDataset(dset, path, vals, sel);
}

void writeOpenDataset(hid_t dset, const std::string& path, const Napi::Value& data, const Selection& sel) {
  writeOpenDataset(dset, path, getValues(data, path), sel);
}

// A dataset just created, with the type and shape it was created with.
struct CreatedDataset {
  Hid dset, ftype;
  std::string dtype;
  std::vector<hsize_t> shape;
};
static CreatedDataset createFromSpec(hid_t loc, const std::string& path, const Napi::Object& spec);
static Hid makeSpace(const std::vector<hsize_t>& shape, const std::vector<hsize_t>* maxshape);
static void writeValues(hid_t dset, const std::string& path, const Values& vals, const std::string& dtype, hid_t ftype,
                        const std::vector<hsize_t>& shape, size_t npoints, const Hid& mspace, const Hid& fspace, bool selection);

void createAndWriteDatasets(hid_t loc, const Napi::Array& datasets) {
  for (uint32_t i = 0; i < datasets.Length(); i++) {
    Napi::Object d = datasets.Get(i).As<Napi::Object>();
    std::string dpath = getString(d.Get("path"), "datasets[].path");
    // Written as created: no queries of its type and space back from libhdf5.
    CreatedDataset c = createFromSpec(loc, dpath, d);
    size_t npoints = 1;
    for (hsize_t n : c.shape) npoints *= n;
    writeValues(c.dset, dpath, getValues(d.Get("data"), dpath), c.dtype, c.ftype, c.shape, npoints, Hid(), Hid(), false);
  }
}

static size_t bytesPerElement(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

void writeRows(hid_t loc, const Napi::Value& groups, const Napi::Array& columns) {
  // Everything about a column is set up once; per row only its slice of the data moves.
  struct Column {
    std::string name, dtype;
    std::vector<hsize_t> shape;
    Hid ftype, space;
    Values vals;
    size_t rowElements = 1, rowBytes = 0;
  };
  // The groups: an array of paths, or {prefix, numbers: Float64Array} naming group r
  // prefix + numbers[r] (no JS string per row; the numbers are checked in TypeScript).
  std::string prefix;
  const double* numbers = nullptr;
  uint32_t nRows = 0;
  if (groups.IsArray()) {
    nRows = groups.As<Napi::Array>().Length();
  } else {
    Napi::Object named = groups.As<Napi::Object>();
    prefix = getString(named.Get("prefix"), "groups.prefix");
    Napi::Value nv = named.Get("numbers");
    if (!nv.IsTypedArray() || nv.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throwInvalid("groups.numbers must be a Float64Array");
    Napi::Float64Array na = nv.As<Napi::Float64Array>();
    numbers = na.Data();
    nRows = static_cast<uint32_t>(na.ElementLength());
  }
  std::vector<Column> cols(columns.Length());
  for (uint32_t k = 0; k < cols.size(); k++) {
    Napi::Object c = columns.Get(k).As<Napi::Object>();
    Column& col = cols[k];
    col.name = getString(c.Get("name"), "columns[].name");
    col.dtype = getString(c.Get("dtype"), "columns[].dtype");
    col.shape = getDims(c.Get("shape"), "columns[].shape");
    col.ftype = fileTypeFor(col.dtype);
    col.space = makeSpace(col.shape, nullptr);
    col.vals = getValues(c.Get("data"), col.name);
    if (col.vals.isStrings) throwInvalid("columns[].data of '" + col.name + "' must be a typed array");
    for (hsize_t n : col.shape) col.rowElements *= n;
    col.rowBytes = col.rowElements * bytesPerElement(col.vals.type);
    if (col.vals.length != col.rowElements * nRows)
      throwInvalid("columns[].data of '" + col.name + "' has " + std::to_string(col.vals.length) + " elements, not " +
                   std::to_string(nRows) + " rows of " + std::to_string(col.rowElements));
  }
  for (uint32_t r = 0; r < nRows; r++) {
    try {
      std::string group = numbers ? prefix + std::to_string(static_cast<uint64_t>(numbers[r]))
                                  : getString(groups.As<Napi::Array>().Get(r), "groups[]");
      Hid g(H5Gcreate2(loc, group.c_str(), lcplFor(group), H5P_DEFAULT, H5P_DEFAULT));
      if (!g.valid()) throwHdf5("cannot create group '" + group + "'");
      for (Column& col : cols) {
        Hid d(H5Dcreate2(g, col.name.c_str(), col.ftype, col.space, lcplFor(col.name), H5P_DEFAULT, H5P_DEFAULT));
        if (!d.valid()) throwHdf5("cannot create dataset '" + group + "/" + col.name + "'");
        Values row = col.vals;
        row.ptr = static_cast<const uint8_t*>(col.vals.ptr) + r * col.rowBytes;
        row.length = col.rowElements;
        writeValues(d, col.name, row, col.dtype, col.ftype, col.shape, col.rowElements, Hid(), Hid(), false);
      }
    } catch (const AddonError& e) {
      throw RowError(e, r);
    }
  }
}

// An open dataset's type and the spaces of a (possibly empty) selection of it.
struct SelectedDataset {
  Hid ftype, fspace, mspace;
  std::string dtype;
  std::vector<hsize_t> shape;
  size_t npoints = 0;
};

static SelectedDataset selectDataset(hid_t dset, const std::string& path, const Selection& sel) {
  SelectedDataset d;
  d.ftype = check(H5Dget_type(dset), "H5Dget_type");
  d.dtype = dtypeOf(d.ftype);
  d.fspace = check(H5Dget_space(dset), "H5Dget_space");
  d.mspace = applySelection(d.fspace, sel, path, &d.shape);
  hssize_t npoints = H5Sget_select_npoints(d.fspace);
  if (npoints < 0) throwHdf5("H5Sget_select_npoints");
  d.npoints = static_cast<size_t>(npoints);
  return d;
}

static void writeOpenDataset(hid_t dset, const std::string& path, const Values& vals, const Selection& sel) {
  SelectedDataset d = selectDataset(dset, path, sel);
  writeValues(dset, path, vals, d.dtype, d.ftype, d.shape, d.npoints, d.mspace, d.fspace, sel.present);
}

// Writes `vals` into the `npoints` points of `shape` (the dataset's, or a selection's given by
// mspace/fspace; whole dataset when mspace is not valid).
static void writeValues(hid_t dset, const std::string& path, const Values& vals, const std::string& dtype, hid_t ftype,
                        const std::vector<hsize_t>& shape, size_t npoints, const Hid& mspace, const Hid& fspace, bool selection) {
  if (npoints != vals.length)
    throwInvalid("data for '" + path + "' has " + std::to_string(vals.length) + " elements but " +
                 (selection ? "the selection " : "the dataset shape ") + dimsText(shape) + " holds " +
                 std::to_string(npoints));
  Prepared p;
  prepare(p, vals, dtype, ftype, path);
  if (npoints == 0) return;
  if (H5Dwrite(dset, p.memType, mspace.valid() ? mspace.get() : H5S_ALL, mspace.valid() ? fspace.get() : H5S_ALL,
               H5P_DEFAULT, p.buf) < 0)
    throwHdf5("cannot write dataset '" + path + "'");
}

static Napi::Value makeTypedArray(Napi::Env env, const std::string& dtype, size_t n, Napi::ArrayBuffer buf) {
  if (dtype == "float64") return Napi::Float64Array::New(env, n, buf, 0);
  if (dtype == "float32" || dtype == "float16") return Napi::Float32Array::New(env, n, buf, 0);
  if (dtype == "int8") return Napi::Int8Array::New(env, n, buf, 0);
  if (dtype == "int16") return Napi::Int16Array::New(env, n, buf, 0);
  if (dtype == "int32") return Napi::Int32Array::New(env, n, buf, 0);
  if (dtype == "int64") return Napi::BigInt64Array::New(env, n, buf, 0);
  if (dtype == "uint8" || dtype == "bool") return Napi::Uint8Array::New(env, n, buf, 0);
  if (dtype == "uint16") return Napi::Uint16Array::New(env, n, buf, 0);
  if (dtype == "uint32") return Napi::Uint32Array::New(env, n, buf, 0);
  return Napi::BigUint64Array::New(env, n, buf, 0);
}

static Napi::Array dimsArray(Napi::Env env, const std::vector<hsize_t>& d, bool unlimitedAsNull = false) {
  Napi::Array a = Napi::Array::New(env, d.size());
  for (uint32_t i = 0; i < d.size(); i++) {
    if (unlimitedAsNull && d[i] == H5S_UNLIMITED) a.Set(i, env.Null());
    else a.Set(i, Napi::Number::New(env, static_cast<double>(d[i])));
  }
  return a;
}

Napi::Object readDataset(Napi::Env env, hid_t loc, const std::string& path, const Selection& sel) {
  Hid dset = openDataset(loc, path);
  SelectedDataset d = selectDataset(dset, path, sel);
  Hid& fspace = d.fspace; Hid& mspace = d.mspace;
  const std::string& dtype = d.dtype;
  const std::vector<hsize_t>& shape = d.shape;
  size_t npoints = d.npoints;
  size_t n = npoints;
  Hid memType = readMemTypeFor(dtype);
  hid_t ms = mspace.valid() ? mspace.get() : H5S_ALL, fs = mspace.valid() ? fspace.get() : H5S_ALL;
  std::string ctx = "cannot read dataset '" + path + "'";
  Napi::Value data;
  if (dtype == "string") {
    std::vector<char*> ptrs(n, nullptr);
    Napi::Array arr = Napi::Array::New(env, n);
    if (n > 0) {
      checkStatus(H5Dread(dset, memType, ms, fs, H5P_DEFAULT, ptrs.data()), ctx);
      for (size_t i = 0; i < n; i++) arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, ptrs[i] ? ptrs[i] : ""));
      H5Dvlen_reclaim(memType, mspace.valid() ? mspace.get() : fspace.get(), H5P_DEFAULT, ptrs.data());
    }
    data = arr;
  } else if (dtype[0] == 'S') {
    size_t size = H5Tget_size(memType);
    std::vector<char> buf(size * n);
    Napi::Array arr = Napi::Array::New(env, n);
    if (n > 0) checkStatus(H5Dread(dset, memType, ms, fs, H5P_DEFAULT, buf.data()), ctx);
    for (size_t i = 0; i < n; i++) {
      const char* s = buf.data() + i * size;
      arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, s, strnlen(s, size)));
    }
    data = arr;
  } else {
    size_t elem = H5Tget_size(memType);
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * elem);
    if (n > 0) checkStatus(H5Dread(dset, memType, ms, fs, H5P_DEFAULT, ab.Data()), ctx);
    data = makeTypedArray(env, dtype, n, ab);
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtype", dtype);
  out.Set("shape", dimsArray(env, shape));
  out.Set("data", data);
  return out;
}

// Sets a fill value given as a JS number/bigint/boolean/string, converted to the file type.
static void setFillValue(hid_t dcpl, hid_t ftype, const std::string& dtype, const Napi::Value& fill) {
  if (fill.IsUndefined() || fill.IsNull()) return;
  std::string ctx = "H5Pset_fill_value";
  if (dtype == "string" || dtype[0] == 'S') {
    if (!fill.IsString()) throwInvalid("fillValue must be a string for a " + dtype + " dataset");
    Values v; v.isStrings = true; v.length = 1; v.strings.push_back(fill.As<Napi::String>().Utf8Value());
    Prepared p; prepare(p, v, dtype, ftype, "fillValue");
    checkStatus(H5Pset_fill_value(dcpl, p.memType, p.buf), ctx);
    return;
  }
  double d = 0; int64_t i64 = 0; uint64_t u64 = 0; bool big = false, lossless = true;
  if (fill.IsNumber()) d = fill.As<Napi::Number>().DoubleValue();
  else if (fill.IsBoolean()) d = fill.As<Napi::Boolean>().Value() ? 1 : 0;
  else if (fill.IsBigInt()) {
    big = true;
    if (dtype == "uint64") u64 = fill.As<Napi::BigInt>().Uint64Value(&lossless);
    else i64 = fill.As<Napi::BigInt>().Int64Value(&lossless);
    d = dtype == "uint64" ? static_cast<double>(u64) : static_cast<double>(i64);
  } else throwInvalid("fillValue must be a number, bigint or boolean for a " + dtype + " dataset");
  Values v; v.length = 1;
  if (big && dtype == "uint64") { v.ptr = &u64; v.type = napi_biguint64_array; }
  else if (big) { v.ptr = &i64; v.type = napi_bigint64_array; }
  else { v.ptr = &d; v.type = napi_float64_array; }
  Prepared p; prepare(p, v, dtype, ftype, "fillValue");
  checkStatus(H5Pset_fill_value(dcpl, p.memType, p.buf), ctx);
}

static Hid makeSpace(const std::vector<hsize_t>& shape, const std::vector<hsize_t>* maxshape) {
  if (shape.empty()) return check(H5Screate(H5S_SCALAR), "H5Screate(scalar)");
  return check(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), maxshape ? maxshape->data() : nullptr),
               "cannot make a dataspace of shape " + dimsText(shape));
}

Hid createDataset(hid_t loc, const std::string& path, const Napi::Object& spec) {
  return std::move(createFromSpec(loc, path, spec).dset);
}

static CreatedDataset createFromSpec(hid_t loc, const std::string& path, const Napi::Object& spec) {
  std::string dtype = getString(spec.Get("dtype"), "spec.dtype");
  std::vector<hsize_t> shape = getDims(spec.Get("shape"), "spec.shape");
  Napi::Value maxV = spec.Get("maxshape"), chunksV = spec.Get("chunks");
  std::vector<hsize_t> maxshape, chunks;
  bool hasMax = maxV.IsArray();
  if (hasMax) maxshape = getDims(maxV, "spec.maxshape");
  if (chunksV.IsArray()) chunks = getDims(chunksV, "spec.chunks");
  if (hasMax && maxshape.size() != shape.size())
    throwInvalid("spec.maxshape must have as many dimensions as spec.shape " + dimsText(shape) + ", got " + dimsText(maxshape));
  if (!chunks.empty() && chunks.size() != shape.size())
    throwInvalid("spec.chunks must have as many dimensions as spec.shape " + dimsText(shape) + ", got " + dimsText(chunks));
  Hid ftype = fileTypeFor(dtype);
  Hid space = makeSpace(shape, hasMax ? &maxshape : nullptr);
  // A creation property list costs as much as the dataset itself for small files: only when needed.
  Napi::Value fill = spec.Get("fillValue");
  Hid dcpl;
  if (!chunks.empty() || !(fill.IsUndefined() || fill.IsNull())) {
    dcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dcpl)");
    if (!chunks.empty()) checkStatus(H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()), "H5Pset_chunk " + dimsText(chunks));
    setFillValue(dcpl, ftype, dtype, fill);
  }
  CreatedDataset created;
  created.dset = Hid(H5Dcreate2(loc, path.c_str(), ftype, space, lcplFor(path), dcpl.valid() ? dcpl.get() : H5P_DEFAULT, H5P_DEFAULT));
  if (!created.dset.valid()) throwHdf5("cannot create dataset '" + path + "' (" + dtype + ", shape " + dimsText(shape) + ")");
  created.ftype = std::move(ftype);
  created.dtype = std::move(dtype);
  created.shape = std::move(shape);
  return created;
}

Napi::Object datasetInfo(Napi::Env env, hid_t loc, const std::string& path) {
  Hid dset = openDataset(loc, path);
  Hid ftype = check(H5Dget_type(dset), "H5Dget_type");
  Hid space = check(H5Dget_space(dset), "H5Dget_space");
  std::vector<hsize_t> maxdims;
  std::vector<hsize_t> dims = spaceDims(space, &maxdims);
  Hid dcpl = check(H5Dget_create_plist(dset), "H5Dget_create_plist");
  H5D_layout_t layout = H5Pget_layout(dcpl);
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtype", dtypeOf(ftype));
  out.Set("shape", dimsArray(env, dims));
  out.Set("maxshape", dimsArray(env, maxdims, true));
  const char* layoutName = layout == H5D_CHUNKED ? "chunked" : layout == H5D_COMPACT ? "compact"
                         : layout == H5D_VIRTUAL ? "virtual" : "contiguous";
  out.Set("layout", layoutName);
  if (layout == H5D_CHUNKED) {
    std::vector<hsize_t> chunks(dims.size());
    if (H5Pget_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()) < 0) throwHdf5("H5Pget_chunk");
    out.Set("chunks", dimsArray(env, chunks));
  }
  if (layout == H5D_VIRTUAL) {
    size_t count = 0;
    checkStatus(H5Pget_virtual_count(dcpl, &count), "H5Pget_virtual_count");
    Napi::Array sources = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) {
      ssize_t fl = H5Pget_virtual_filename(dcpl, i, nullptr, 0);
      ssize_t dl = H5Pget_virtual_dsetname(dcpl, i, nullptr, 0);
      if (fl < 0 || dl < 0) throwHdf5("H5Pget_virtual_filename");
      std::string f(fl + 1, '\0'), d(dl + 1, '\0');
      H5Pget_virtual_filename(dcpl, i, f.data(), f.size());
      H5Pget_virtual_dsetname(dcpl, i, d.data(), d.size());
      f.resize(fl); d.resize(dl);
      Napi::Object s = Napi::Object::New(env);
      s.Set("file", f);
      s.Set("dataset", d);
      sources.Set(static_cast<uint32_t>(i), s);
    }
    out.Set("virtualSources", sources);
  }
  return out;
}

void resizeDataset(hid_t loc, const std::string& path, const std::vector<hsize_t>& shape) {
  Hid dset = openDataset(loc, path);
  Hid space = check(H5Dget_space(dset), "H5Dget_space");
  std::vector<hsize_t> maxdims;
  std::vector<hsize_t> dims = spaceDims(space, &maxdims);
  if (shape.size() != dims.size())
    throwInvalid("shape for resizing '" + path + "' must have " + std::to_string(dims.size()) + " dimensions, got " + dimsText(shape));
  for (size_t i = 0; i < dims.size(); i++)
    if (maxdims[i] != H5S_UNLIMITED && shape[i] > maxdims[i])
      throwInvalid("shape " + dimsText(shape) + " exceeds the maxshape " + dimsText(maxdims) + " of '" + path + "'");
  checkStatus(H5Dset_extent(dset, shape.data()), "cannot resize '" + path + "' to " + dimsText(shape));
}

void createVirtualDataset(hid_t loc, const std::string& path, const Napi::Object& spec) {
  std::string dtype = getString(spec.Get("dtype"), "spec.dtype");
  std::vector<hsize_t> shape = getDims(spec.Get("shape"), "spec.shape");
  Napi::Value maxV = spec.Get("maxshape");
  std::vector<hsize_t> maxshape = maxV.IsArray() ? getDims(maxV, "spec.maxshape") : shape;
  if (maxshape.size() != shape.size()) throwInvalid("spec.maxshape must have as many dimensions as spec.shape " + dimsText(shape));
  Hid ftype = fileTypeFor(dtype);
  Hid vspace = makeSpace(shape, &maxshape);
  Hid dcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dcpl)");
  setFillValue(dcpl, ftype, dtype, spec.Get("fillValue"));
  Napi::Array mappings = spec.Get("mappings").As<Napi::Array>();
  for (uint32_t m = 0; m < mappings.Length(); m++) {
    Napi::Object mp = mappings.Get(m).As<Napi::Object>();
    std::string where = "spec.mappings[" + std::to_string(m) + "]";
    std::vector<hsize_t> vstart = getDims(mp.Get("vstart"), "virtual.start");
    std::vector<hsize_t> vcount = getDims(mp.Get("vcount"), "virtual.count");
    if (vstart.size() != shape.size() || vcount.size() != shape.size())
      throwInvalid(where + ".virtual must have " + std::to_string(shape.size()) + " dimensions like spec.shape");
    Hid mapSpace = check(H5Scopy(vspace), "H5Scopy");
    checkStatus(H5Sselect_hyperslab(mapSpace, H5S_SELECT_SET, vstart.data(), nullptr, vcount.data(), nullptr),
                where + ": cannot select virtual start " + dimsText(vstart) + " count " + dimsText(vcount));
    std::string file = getString(mp.Get("file"), (where + ".file").c_str());
    std::string dsetName = getString(mp.Get("dataset"), (where + ".dataset").c_str());
    std::vector<hsize_t> sshape = getDims(mp.Get("sshape"), "source.shape");
    Napi::Value smaxV = mp.Get("smaxshape");
    std::vector<hsize_t> smax = smaxV.IsArray() ? getDims(smaxV, "source.maxshape") : sshape;
    Hid srcSpace = makeSpace(sshape, &smax);
    Napi::Value sstartV = mp.Get("sstart");
    if (sstartV.IsArray()) {
      std::vector<hsize_t> sstart = getDims(sstartV, "source.selection.start");
      std::vector<hsize_t> scount = getDims(mp.Get("scount"), "source.selection.count");
      checkStatus(H5Sselect_hyperslab(srcSpace, H5S_SELECT_SET, sstart.data(), nullptr, scount.data(), nullptr),
                  where + ": cannot select source start " + dimsText(sstart) + " count " + dimsText(scount));
    } else {
      checkStatus(H5Sselect_all(srcSpace), "H5Sselect_all");
    }
    checkStatus(H5Pset_virtual(dcpl, mapSpace, file.c_str(), dsetName.c_str(), srcSpace),
                where + ": cannot map '" + file + "':'" + dsetName + "'");
  }
  Hid dset = check(H5Dcreate2(loc, path.c_str(), ftype, vspace, lcplFor(path), dcpl, H5P_DEFAULT),
                   "cannot create virtual dataset '" + path + "'");
}

void setAttribute(hid_t loc, const std::string& objPath, const std::string& name, const Napi::Value& value) {
  std::string dtype;
  if (value.IsNumber()) dtype = "float64";
  else if (value.IsBigInt()) dtype = "int64";
  else if (value.IsBoolean()) dtype = "bool";
  else if (value.IsString()) dtype = "string";
  else throwInvalid("attribute value must be a number, bigint, boolean or string");
  Hid obj = check(H5Oopen(loc, objPath.c_str(), H5P_DEFAULT), "cannot open object '" + objPath + "'");
  htri_t exists = H5Aexists(obj, name.c_str());
  if (exists < 0) throwHdf5("H5Aexists");
  if (exists > 0) checkStatus(H5Adelete(obj, name.c_str()), "cannot replace attribute '" + name + "'");
  Hid ftype = fileTypeFor(dtype);
  Hid space = check(H5Screate(H5S_SCALAR), "H5Screate");
  Hid acpl = check(H5Pcreate(H5P_ATTRIBUTE_CREATE), "H5Pcreate(acpl)");
  checkStatus(H5Pset_char_encoding(acpl, H5T_CSET_UTF8), "H5Pset_char_encoding");
  Hid attr = check(H5Acreate2(obj, name.c_str(), ftype, space, acpl, H5P_DEFAULT),
                   "cannot create attribute '" + name + "' on '" + objPath + "'");
  Values v; v.length = 1;
  double d = 0; int64_t i64 = 0; bool lossless = true;
  if (dtype == "string") { v.isStrings = true; v.strings.push_back(value.As<Napi::String>().Utf8Value()); }
  else if (dtype == "int64") { i64 = value.As<Napi::BigInt>().Int64Value(&lossless); v.ptr = &i64; v.type = napi_bigint64_array; }
  else { d = value.IsBoolean() ? (value.As<Napi::Boolean>().Value() ? 1 : 0) : value.As<Napi::Number>().DoubleValue(); v.ptr = &d; }
  Prepared p; prepare(p, v, dtype, ftype, "attribute '" + name + "'");
  checkStatus(H5Awrite(attr, p.memType, p.buf), "cannot write attribute '" + name + "'");
}

static herr_t collectAttrName(hid_t, const char* name, const H5A_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

Napi::Object getAttributes(Napi::Env env, hid_t loc, const std::string& objPath) {
  Hid obj = check(H5Oopen(loc, objPath.c_str(), H5P_DEFAULT), "cannot open object '" + objPath + "'");
  std::vector<std::string> names;
  checkStatus(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collectAttrName, &names), "H5Aiterate2");
  Napi::Object out = Napi::Object::New(env);
  for (const auto& name : names) {
    Hid attr = check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen '" + name + "'");
    Hid ftype = check(H5Aget_type(attr), "H5Aget_type");
    Hid space = check(H5Aget_space(attr), "H5Aget_space");
    if (H5Sget_simple_extent_npoints(space) != 1) continue;  // only scalar attributes are mapped
    std::string dtype;
    try { dtype = dtypeOf(ftype); } catch (const AddonError&) { continue; }
    Hid mtype = readMemTypeFor(dtype);
    std::string ctx = "cannot read attribute '" + name + "'";
    if (dtype == "string") {
      char* s = nullptr;
      checkStatus(H5Aread(attr, mtype, &s), ctx);
      out.Set(name, Napi::String::New(env, s ? s : ""));
      H5free_memory(s);
    } else if (dtype[0] == 'S') {
      std::vector<char> buf(H5Tget_size(mtype));
      checkStatus(H5Aread(attr, mtype, buf.data()), ctx);
      out.Set(name, Napi::String::New(env, buf.data(), strnlen(buf.data(), buf.size())));
    } else if (dtype == "int64" || dtype == "uint64") {
      uint64_t u = 0;
      checkStatus(H5Aread(attr, mtype, &u), ctx);
      if (dtype == "int64") out.Set(name, Napi::BigInt::New(env, static_cast<int64_t>(u)));
      else out.Set(name, Napi::BigInt::New(env, u));
    } else if (dtype == "bool") {
      int8_t b = 0;
      checkStatus(H5Aread(attr, mtype, &b), ctx);
      out.Set(name, Napi::Boolean::New(env, b != 0));
    } else {
      double d = 0;
      checkStatus(H5Aread(attr, H5T_NATIVE_DOUBLE, &d), ctx);
      out.Set(name, Napi::Number::New(env, d));
    }
  }
  return out;
}

struct LinkRecord {
  std::string name;
  H5L_type_t type;
};

static herr_t collectLink(hid_t, const char* name, const H5L_info_t* info, void* data) {
  static_cast<std::vector<LinkRecord>*>(data)->push_back({name, info->type});
  return 0;
}

Napi::Array listChildren(Napi::Env env, hid_t loc, const std::string& path) {
  Hid group = check(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), "cannot open group '" + path + "'");
  Hid gcpl = check(H5Gget_create_plist(group), "H5Gget_create_plist");
  unsigned orderFlags = 0;
  checkStatus(H5Pget_link_creation_order(gcpl, &orderFlags), "H5Pget_link_creation_order");
  H5_index_t index = (orderFlags & H5P_CRT_ORDER_INDEXED) ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME;
  std::vector<LinkRecord> links;
  hsize_t idx = 0;
  checkStatus(H5Literate(group, index, H5_ITER_INC, &idx, collectLink, &links), "cannot list '" + path + "'");
  Napi::Array out = Napi::Array::New(env, links.size());
  for (uint32_t i = 0; i < links.size(); i++) {
    const LinkRecord& l = links[i];
    Napi::Object e = Napi::Object::New(env);
    e.Set("name", l.name);
    if (l.type == H5L_TYPE_HARD) {
      H5O_info_t oinfo;
      checkStatus(H5Oget_info_by_name2(group, l.name.c_str(), &oinfo, H5O_INFO_BASIC, H5P_DEFAULT), "H5Oget_info_by_name");
      e.Set("kind", oinfo.type == H5O_TYPE_GROUP ? "group" : oinfo.type == H5O_TYPE_DATASET ? "dataset" : "other");
    } else if (l.type == H5L_TYPE_SOFT || l.type == H5L_TYPE_EXTERNAL) {
      H5L_info_t linfo;
      checkStatus(H5Lget_info(group, l.name.c_str(), &linfo, H5P_DEFAULT), "H5Lget_info");
      std::vector<char> buf(linfo.u.val_size + 1, 0);
      checkStatus(H5Lget_val(group, l.name.c_str(), buf.data(), buf.size(), H5P_DEFAULT), "H5Lget_val");
      Napi::Object target = Napi::Object::New(env);
      if (l.type == H5L_TYPE_SOFT) {
        e.Set("kind", "soft-link");
        target.Set("path", std::string(buf.data()));
      } else {
        const char *file = nullptr, *obj = nullptr;
        checkStatus(H5Lunpack_elink_val(buf.data(), linfo.u.val_size, nullptr, &file, &obj), "H5Lunpack_elink_val");
        e.Set("kind", "external-link");
        target.Set("file", std::string(file ? file : ""));
        target.Set("path", std::string(obj ? obj : ""));
      }
      e.Set("target", target);
    } else {
      e.Set("kind", "other");
    }
    out.Set(i, e);
  }
  return out;
}

bool linkExists(hid_t loc, const std::string& path) {
  // H5Lexists needs every intermediate link to exist, so check prefix by prefix.
  std::string prefix = path[0] == '/' ? "/" : "";
  size_t pos = prefix.size();
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      prefix += path.substr(pos, next - pos);
      htri_t r = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
      if (r <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    pos = next + 1;
  }
  return true;
}

}  // namespace h5n
