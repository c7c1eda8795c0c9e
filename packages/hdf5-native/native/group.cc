// Groups: create, list, and many groups of one structure at once (writeRows).
#include "values.h"

namespace h5n {

void createGroup(hid_t loc, const std::string& path) {
  Hid g = check(H5Gcreate2(loc, path.c_str(), lcplFor(path), H5P_DEFAULT, H5P_DEFAULT), "cannot create group '" + path + "'");
}

// Row r's value of an attribute column: a scalar attribute `name` of the row's group.
static void writeRowAttribute(hid_t group, const std::string& groupName, const std::string& name, const std::string& dtype,
                              hid_t ftype, hid_t space, const Values& vals, size_t offset, size_t elements) {
  std::string what = "attribute '" + name + "' of '" + groupName + "'";
  Hid attr(H5Acreate2(group, name.c_str(), ftype, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid()) throwHdf5("cannot create " + what);
  Values row = vals;
  row.ptr = static_cast<const uint8_t*>(vals.ptr) + offset;
  row.length = elements;
  Prepared p;
  prepare(p, row, dtype, ftype, what);
  checkStatus(H5Awrite(attr, p.memType, p.buf), "cannot write " + what);
}

void writeRows(hid_t loc, const Napi::Value& groups, const Napi::Array& columns) {
  // Everything about a column is set up once; per row only its slice of the data moves.
  struct Column {
    std::string name, dtype;
    bool attribute = false;  // a scalar attribute of the group, not a dataset in it
    std::vector<hsize_t> shape;
    Hid ftype, space;
    Values vals;
    size_t rowElements = 1, rowPoints = 1, rowBytes = 0;
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
    col.attribute = c.Get("attribute").ToBoolean();
    if (col.attribute && !col.shape.empty()) throwInvalid("columns[].shape of attribute '" + col.name + "' must be [] (a scalar)");
    col.ftype = fileTypeFor(col.dtype);
    col.space = makeSpace(col.shape, nullptr);
    col.vals = getValues(c.Get("data"), col.name);
    if (col.vals.isStrings) throwInvalid("columns[].data of '" + col.name + "' must be a typed array");
    for (hsize_t n : col.shape) col.rowElements *= n;
    col.rowPoints = col.rowElements;
    // Complex rows may be interleaved (re, im): two numbers per point.
    if (isComplex(col.dtype) && col.vals.length == 2 * col.rowPoints * nRows) col.rowElements *= 2;
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
        if (col.attribute) {
          writeRowAttribute(g, group, col.name, col.dtype, col.ftype, col.space, col.vals, r * col.rowBytes, col.rowElements);
          continue;
        }
        Hid d(H5Dcreate2(g, col.name.c_str(), col.ftype, col.space, lcplFor(col.name), H5P_DEFAULT, H5P_DEFAULT));
        if (!d.valid()) throwHdf5("cannot create dataset '" + group + "/" + col.name + "'");
        Values row = col.vals;
        row.ptr = static_cast<const uint8_t*>(col.vals.ptr) + r * col.rowBytes;
        row.length = col.rowElements;
        writeValues(d, col.name, row, col.dtype, col.ftype, col.shape, col.rowPoints, Hid(), Hid(), false);
      }
    } catch (const AddonError& e) {
      throw RowError(e, r);
    }
  }
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

}  // namespace h5n
