// Virtual datasets: a dataset mapped onto datasets in other files.
#include "values.h"

namespace h5n {

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

}  // namespace h5n
