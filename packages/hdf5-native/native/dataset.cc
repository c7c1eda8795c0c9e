// Datasets: create, write (whole or a hyperslab), read, describe, resize.
#include "values.h"

namespace h5n {

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
void writeValues(hid_t dset, const std::string& path, const Values& vals, const std::string& dtype, hid_t ftype,
                        const std::vector<hsize_t>& shape, size_t npoints, const Hid& mspace, const Hid& fspace, bool selection) {
  // A complex dataset takes interleaved (re, im) pairs or real numbers.
  if (npoints != vals.length && !(isComplex(dtype) && vals.length == 2 * npoints))
    throwInvalid("data for '" + path + "' has " + std::to_string(vals.length) + " elements but " +
                 (selection ? "the selection " : "the dataset shape ") + dimsText(shape) + " holds " +
                 std::to_string(npoints) + (isComplex(dtype) ? " (complex: as many real numbers, or twice as many interleaved re, im)" : ""));
  Prepared p;
  prepare(p, vals, dtype, ftype, path, npoints);
  if (npoints == 0) return;
  if (H5Dwrite(dset, p.memType, mspace.valid() ? mspace.get() : H5S_ALL, mspace.valid() ? fspace.get() : H5S_ALL,
               H5P_DEFAULT, p.buf) < 0)
    throwHdf5("cannot write dataset '" + path + "'");
}

Napi::Object readDataset(Napi::Env env, hid_t loc, const std::string& path, const Selection& sel) {
  Hid dset = openDataset(loc, path);
  SelectedDataset d = selectDataset(dset, path, sel);
  Hid& fspace = d.fspace; Hid& mspace = d.mspace;
  const std::string& dtype = d.dtype;
  const std::vector<hsize_t>& shape = d.shape;
  size_t npoints = d.npoints;
  hid_t ms = mspace.valid() ? mspace.get() : H5S_ALL, fs = mspace.valid() ? fspace.get() : H5S_ALL;
  Napi::Value data = readValues(env, d.ftype, dtype, npoints, mspace.valid() ? mspace.get() : fspace.get(), "cannot read dataset '" + path + "'",
                                [&](hid_t memType, void* buf) { return H5Dread(dset, memType, ms, fs, H5P_DEFAULT, buf); });
  Napi::Object out = Napi::Object::New(env);
  out.Set("dtype", dtype);
  out.Set("shape", dimsArray(env, shape));
  out.Set("data", data);
  return out;
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
  // Checked in TypeScript: contiguous, no fill value, a type of fixed size.
  bool reserveSpace = spec.Get("reserveSpace").ToBoolean().Value();
  bool neverFill = spec.Get("neverFill").ToBoolean().Value();
  Hid dcpl;
  if (!chunks.empty() || !(fill.IsUndefined() || fill.IsNull()) || reserveSpace || neverFill) {
    dcpl = check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate(dcpl)");
    if (!chunks.empty()) checkStatus(H5Pset_chunk(dcpl, static_cast<int>(chunks.size()), chunks.data()), "H5Pset_chunk " + dimsText(chunks));
    setFillValue(dcpl, ftype, dtype, fill);
    if (neverFill) checkStatus(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    if (reserveSpace) {
      // Its place in the file is known at once (H5Dget_offset), and nothing is written there
      // until somebody writes the data.
      checkStatus(H5Pset_layout(dcpl, H5D_CONTIGUOUS), "H5Pset_layout");
      checkStatus(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
      checkStatus(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    }
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

// Where a contiguous dataset's raw data starts in the file, or -1 when it has no such block
// (chunked, compact, virtual, external, or not allocated yet).
double rawDataOffset(hid_t loc, const std::string& path) {
  Hid dset = openDataset(loc, path);
  haddr_t offset = H5Dget_offset(dset);
  if (offset == HADDR_UNDEF) {
    H5Eclear2(H5E_DEFAULT);
    return -1;
  }
  return static_cast<double>(offset);
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

}  // namespace h5n
