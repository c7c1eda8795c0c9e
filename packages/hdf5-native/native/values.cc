// Conversions between JavaScript values and what libhdf5 takes: strings, dimensions,
// dataspaces, typed arrays and the buffers written into each dtype.
#include "values.h"
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

std::string dimsText(const std::vector<hsize_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); i++) s += (i ? "," : "") + (d[i] == H5S_UNLIMITED ? std::string("unlimited") : std::to_string(d[i]));
  return s + "]";
}

std::vector<hsize_t> spaceDims(hid_t space, std::vector<hsize_t>* maxdims) {
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) throwHdf5("H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(rank), maxd(rank);
  checkStatus(H5Sget_simple_extent_dims(space, dims.data(), maxd.data()), "H5Sget_simple_extent_dims");
  if (maxdims) *maxdims = maxd;
  return dims;
}

hid_t nativeTypeOf(napi_typedarray_type t) {
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

double elementAsDouble(const void* p, napi_typedarray_type t, size_t i) {
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


// `path` names the dataset in error messages.
// napi_get_typedarray_info: it also takes an array over a SharedArrayBuffer (Napi::ArrayBuffer's
// Data() refuses those, "Invalid argument").
const uint8_t* typedArrayBytes(const Napi::TypedArray& ta) {
  void* data = nullptr;
  if (napi_get_typedarray_info(ta.Env(), ta, nullptr, nullptr, &data, nullptr, nullptr) != napi_ok)
    throwInvalid("cannot read the memory of a typed array");
  return static_cast<const uint8_t*>(data);
}

Values getValues(const Napi::Value& v, const std::string& path) {
  auto what = [&] { return "data for '" + path + "'"; };
  Values out;
  if (v.IsTypedArray()) {
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    out.type = ta.TypedArrayType();
    out.length = ta.ElementLength();
    out.ptr = typedArrayBytes(ta);
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


// `path` names the dataset in error messages (built only when one is thrown).
void roundToHalf(const Values& vals, _Float16* out) {
  // The compiler's conversions round to nearest, ties to even, from the source precision
  // directly (no double rounding through float), as numpy's astype(float16) does.
  if (vals.type == napi_float32_array) {
    auto* f = static_cast<const float*>(vals.ptr);
    for (size_t i = 0; i < vals.length; i++) out[i] = static_cast<_Float16>(f[i]);
  } else {
    for (size_t i = 0; i < vals.length; i++) out[i] = static_cast<_Float16>(elementAsDouble(vals.ptr, vals.type, i));
  }
}

void prepare(Prepared& p, const Values& vals, const std::string& dtype, hid_t fileType,
                    const std::string& path, size_t points) {
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
    roundToHalf(vals, reinterpret_cast<_Float16*>(p.bytes.data()));
    p.buf = p.bytes.data();
  } else if (isComplex(dtype)) {
    if (vals.type != napi_float64_array && vals.type != napi_float32_array)
      throwInvalid(what() + " must be a Float64Array or Float32Array for a " + dtype + " dataset");
    p.ownedType = complexMemType(vals.type == napi_float64_array);
    p.memType = p.ownedType;
    p.buf = vals.ptr;
    if (vals.length != 2 * points) {
      // Real numbers: the imaginary parts are 0 (numpy's real → complex cast).
      size_t part = bytesPerElement(vals.type);
      p.bytes.assign(2 * part * vals.length, 0);
      for (size_t i = 0; i < vals.length; i++) std::memcpy(&p.bytes[2 * part * i], static_cast<const uint8_t*>(vals.ptr) + part * i, part);
      p.buf = p.bytes.data();
    }
  } else {
    p.memType = nativeTypeOf(vals.type);
    p.buf = vals.ptr;
  }
}

size_t bytesPerElement(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: case napi_uint8_array: case napi_uint8_clamped_array: return 1;
    case napi_int16_array: case napi_uint16_array: return 2;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: return 4;
    default: return 8;
  }
}

Napi::Value makeTypedArray(Napi::Env env, const std::string& dtype, size_t n, Napi::ArrayBuffer buf) {
  if (dtype == "float64") return Napi::Float64Array::New(env, n, buf, 0);
  if (dtype == "float32" || dtype == "float16") return Napi::Float32Array::New(env, n, buf, 0);
  if (dtype == "complex128") return Napi::Float64Array::New(env, 2 * n, buf, 0);
  if (dtype == "complex64") return Napi::Float32Array::New(env, 2 * n, buf, 0);
  if (dtype == "int8") return Napi::Int8Array::New(env, n, buf, 0);
  if (dtype == "int16") return Napi::Int16Array::New(env, n, buf, 0);
  if (dtype == "int32") return Napi::Int32Array::New(env, n, buf, 0);
  if (dtype == "int64") return Napi::BigInt64Array::New(env, n, buf, 0);
  if (dtype == "uint8" || dtype == "bool") return Napi::Uint8Array::New(env, n, buf, 0);
  if (dtype == "uint16") return Napi::Uint16Array::New(env, n, buf, 0);
  if (dtype == "uint32") return Napi::Uint32Array::New(env, n, buf, 0);
  return Napi::BigUint64Array::New(env, n, buf, 0);
}

Napi::Value readValues(Napi::Env env, hid_t fileType, const std::string& dtype, size_t n, hid_t space, const std::string& ctx,
                       const std::function<herr_t(hid_t, void*)>& read) {
  Hid memType = readMemTypeFor(dtype);
  // libhdf5 does not convert between ASCII and UTF-8 strings (h5py writes bytes as ASCII): read
  // them in the file's character set; both are handed to JavaScript as UTF-8.
  if (H5Tget_class(fileType) == H5T_STRING) checkStatus(H5Tset_cset(memType, H5Tget_cset(fileType)), "H5Tset_cset");
  if (dtype == "string") {
    std::vector<char*> ptrs(n, nullptr);
    Napi::Array arr = Napi::Array::New(env, n);
    if (n > 0) {
      checkStatus(read(memType, ptrs.data()), ctx);
      for (size_t i = 0; i < n; i++) arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, ptrs[i] ? ptrs[i] : ""));
      H5Dvlen_reclaim(memType, space, H5P_DEFAULT, ptrs.data());
    }
    return arr;
  }
  if (dtype[0] == 'S') {
    size_t size = H5Tget_size(memType);
    std::vector<char> buf(size * n);
    Napi::Array arr = Napi::Array::New(env, n);
    if (n > 0) checkStatus(read(memType, buf.data()), ctx);
    for (size_t i = 0; i < n; i++) {
      const char* s = buf.data() + i * size;
      arr.Set(static_cast<uint32_t>(i), Napi::String::New(env, s, strnlen(s, size)));
    }
    return arr;
  }
  size_t elem = H5Tget_size(memType);
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n * elem);
  if (n > 0) checkStatus(read(memType, ab.Data()), ctx);
  return makeTypedArray(env, dtype, n, ab);
}

Napi::Array dimsArray(Napi::Env env, const std::vector<hsize_t>& d, bool unlimitedAsNull) {
  Napi::Array a = Napi::Array::New(env, d.size());
  for (uint32_t i = 0; i < d.size(); i++) {
    if (unlimitedAsNull && d[i] == H5S_UNLIMITED) a.Set(i, env.Null());
    else a.Set(i, Napi::Number::New(env, static_cast<double>(d[i])));
  }
  return a;
}

// Sets a fill value given as a JS number/bigint/boolean/string, converted to the file type.
void setFillValue(hid_t dcpl, hid_t ftype, const std::string& dtype, const Napi::Value& fill) {
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
  double pair[2] = {d, 0};  // a complex fill value x is x + 0i
  if (isComplex(dtype)) { v.ptr = pair; v.length = 2; }
  else if (big && dtype == "uint64") { v.ptr = &u64; v.type = napi_biguint64_array; }
  else if (big) { v.ptr = &i64; v.type = napi_bigint64_array; }
  else { v.ptr = &d; v.type = napi_float64_array; }
  Prepared p; prepare(p, v, dtype, ftype, "fillValue");
  checkStatus(H5Pset_fill_value(dcpl, p.memType, p.buf), ctx);
}

Hid makeSpace(const std::vector<hsize_t>& shape, const std::vector<hsize_t>* maxshape) {
  if (shape.empty()) return check(H5Screate(H5S_SCALAR), "H5Screate(scalar)");
  return check(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), maxshape ? maxshape->data() : nullptr),
               "cannot make a dataspace of shape " + dimsText(shape));
}

}  // namespace h5n
