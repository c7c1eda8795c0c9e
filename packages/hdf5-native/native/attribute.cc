// Attributes: set one, read all of an object.
#include "values.h"
#include <cstring>
namespace h5n {

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

}  // namespace h5n
