// Attributes: set one, read all of an object.
#include "values.h"
namespace h5n {

void setAttribute(hid_t loc, const std::string& objPath, const std::string& name, const Napi::Value& value,
                  const std::string& arrayDtype) {
  std::string what = "attribute '" + name + "'";
  bool isArray = value.IsTypedArray() || value.IsArray();
  std::string dtype = arrayDtype;
  Values v;
  double d = 0;
  int64_t i64 = 0;
  if (isArray) {
    if (dtype.empty()) throwInvalid(what + ": an array value needs its dtype");
    v = getValues(value, what);
  } else {
    // A scalar: number → float64, bigint → int64, boolean → bool, string → UTF-8 string.
    bool lossless = true;
    v.length = 1;
    if (value.IsNumber()) { dtype = "float64"; d = value.As<Napi::Number>().DoubleValue(); v.ptr = &d; }
    else if (value.IsBoolean()) { dtype = "bool"; d = value.As<Napi::Boolean>().Value() ? 1 : 0; v.ptr = &d; }
    else if (value.IsBigInt()) { dtype = "int64"; i64 = value.As<Napi::BigInt>().Int64Value(&lossless); v.ptr = &i64; v.type = napi_bigint64_array; }
    else if (value.IsString()) { dtype = "string"; v.isStrings = true; v.strings.push_back(value.As<Napi::String>().Utf8Value()); }
    else throwInvalid(what + " value must be a number, bigint, boolean, string or an array");
  }
  Hid obj = check(H5Oopen(loc, objPath.c_str(), H5P_DEFAULT), "cannot open object '" + objPath + "'");
  htri_t exists = H5Aexists(obj, name.c_str());
  if (exists < 0) throwHdf5("H5Aexists");
  if (exists > 0) checkStatus(H5Adelete(obj, name.c_str()), "cannot replace " + what);
  Hid ftype = fileTypeFor(dtype);
  std::vector<hsize_t> dims{static_cast<hsize_t>(v.length)};
  Hid space = isArray ? makeSpace(dims, nullptr) : check(H5Screate(H5S_SCALAR), "H5Screate");
  Hid acpl = check(H5Pcreate(H5P_ATTRIBUTE_CREATE), "H5Pcreate(acpl)");
  checkStatus(H5Pset_char_encoding(acpl, H5T_CSET_UTF8), "H5Pset_char_encoding");
  Hid attr = check(H5Acreate2(obj, name.c_str(), ftype, space, acpl, H5P_DEFAULT), "cannot create " + what + " on '" + objPath + "'");
  Prepared p;
  prepare(p, v, dtype, ftype, what);
  if (v.length > 0) checkStatus(H5Awrite(attr, p.memType, p.buf), "cannot write " + what);
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
    H5S_class_t shape = H5Sget_simple_extent_type(space);
    if (shape != H5S_SCALAR && shape != H5S_SIMPLE) continue;  // a null dataspace holds no value
    std::string dtype;
    try { dtype = dtypeOf(ftype); } catch (const AddonError&) { continue; }  // types without a dtype are skipped
    hssize_t n = H5Sget_simple_extent_npoints(space);
    if (n < 0) throwHdf5("H5Sget_simple_extent_npoints");
    Napi::Value values = readValues(env, ftype, dtype, static_cast<size_t>(n), space, "cannot read attribute '" + name + "'",
                                    [&](hid_t memType, void* buf) { return H5Aread(attr, memType, buf); });
    Napi::Object list = values.As<Napi::Object>();
    if (dtype == "bool") {
      // h5py's bool enum reads as 0/1 bytes; JavaScript gets booleans.
      Napi::Array bools = Napi::Array::New(env, static_cast<size_t>(n));
      for (uint32_t i = 0; i < n; i++) bools.Set(i, Napi::Boolean::New(env, list.Get(i).As<Napi::Number>().Int32Value() != 0));
      list = bools;
    }
    // A scalar dataspace gives one value, a simple one (any rank, C order) the array, as in h5py.
    out.Set(name, shape == H5S_SCALAR ? list.Get(0u) : list);
  }
  return out;
}

}  // namespace h5n
