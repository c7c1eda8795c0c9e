// N-API surface: a File class (one open HDF5 file) and module functions. Each JS method is one
// native call; arguments arrive already validated by the TypeScript wrapper, and anything
// still wrong becomes a JS Error with a `code`, never a crash.
#include <napi.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include "file-image.h"
#include "values.h"

using namespace h5n;

namespace {

Napi::Error toJsError(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

// Runs `fn`, turning addon errors into JS errors with a code.
template <typename Fn>
auto guarded(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const RowError& e) {
    Napi::Error js = toJsError(env, e.code, e.what());
    js.Set("row", Napi::Number::New(env, e.row));
    throw js;
  } catch (const AddonError& e) {
    throw toJsError(env, e.code, e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw toJsError(env, "ERR_HDF5", e.what());
  }
}

hid_t makeFapl(bool libverLatest) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (fapl < 0) throwHdf5("H5Pcreate(fapl)");
  if (libverLatest && H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST) < 0) {
    H5Pclose(fapl);
    throwHdf5("H5Pset_libver_bounds");
  }
  return fapl;
}

// The metadata cache starts at `bytes` (at least half of it kept) and adapts as libhdf5's
// default does, up to the same maximum.
void setInitialMetadataCache(hid_t fapl, size_t bytes) {
  H5AC_cache_config_t config;
  config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
  if (H5Pget_mdc_config(fapl, &config) < 0) throwHdf5("H5Pget_mdc_config");
  config.set_initial_size = true;
  config.initial_size = bytes;
  config.min_size = bytes / 2;
  if (config.max_size < bytes) config.max_size = bytes;
  if (H5Pset_mdc_config(fapl, &config) < 0) throwHdf5("H5Pset_mdc_config");
}

// largeRootAttributes: the root group tracks its attributes' creation order (h5py's
// track_order does too), which gives its object header the format (version 2) that stores
// attributes of any size densely; a version-1 header refuses an attribute over 64 KiB.
hid_t createFileId(const std::string& path, unsigned flags, bool libverLatest, bool largeRootAttributes = false) {
  Hid fapl(libverLatest ? makeFapl(true) : -1);
  Hid fcpl(largeRootAttributes ? H5Pcreate(H5P_FILE_CREATE) : -1);
  if (largeRootAttributes && (!fcpl.valid() || H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED) < 0)) throwHdf5("H5Pset_attr_creation_order");
  hid_t fid = H5Fcreate(path.c_str(), flags, fcpl.valid() ? fcpl.get() : H5P_DEFAULT, fapl.valid() ? fapl.get() : H5P_DEFAULT);
  if (fid < 0) throwHdf5("cannot create HDF5 file '" + path + "'" + whyCannotCreate(path, flags == H5F_ACC_EXCL));
  return fid;
}

class File : public Napi::ObjectWrap<File> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeFile", {
      InstanceMethod<&File::Close>("close"),
      InstanceMethod<&File::Flush>("flush"),
      InstanceMethod<&File::CreateGroup>("createGroup"),
      InstanceMethod<&File::List>("list"),
      InstanceMethod<&File::Exists>("exists"),
      InstanceMethod<&File::Remove>("remove"),
      InstanceMethod<&File::MoveLink>("moveLink"),
      InstanceMethod<&File::CreateDataset>("createDataset"),
      InstanceMethod<&File::Write>("write"),
      InstanceMethod<&File::WriteDatasets>("writeDatasets"),
      InstanceMethod<&File::WriteRows>("writeRows"),
      InstanceMethod<&File::Read>("read"),
      InstanceMethod<&File::Info>("info"),
      InstanceMethod<&File::Resize>("resize"),
      InstanceMethod<&File::RawDataOffset>("rawDataOffset"),
      InstanceMethod<&File::CreateExternalLink>("createExternalLink"),
      InstanceMethod<&File::CreateSoftLink>("createSoftLink"),
      InstanceMethod<&File::CreateVirtualDataset>("createVirtualDataset"),
      InstanceMethod<&File::SetAttribute>("setAttribute"),
      InstanceMethod<&File::GetAttributes>("getAttributes"),
      InstanceMethod<&File::MetadataCacheSize>("metadataCacheSize"),
    });
  }
  explicit File(const Napi::CallbackInfo& info) : Napi::ObjectWrap<File>(info) {}
  ~File() override {
    if (fid_ >= 0) {
      Hdf5Lock lock;
      unregisterOpenFile(fid_);
      H5Fclose(fid_);
      H5Eclear2(H5E_DEFAULT);
    }
  }
  // With the lock held (wrap's callers hold it).
  void adopt(hid_t fid) {
    fid_ = fid;
    registerOpenFile(fid);
  }

 private:
  hid_t fid_ = -1;

  hid_t open() const {
    if (fid_ < 0) throw AddonError("ERR_HDF5_CLOSED", "the HDF5 file is closed");
    return fid_;
  }

  template <typename Fn>
  Napi::Value run(const Napi::CallbackInfo& info, Fn&& fn) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      Hdf5Lock lock;
      return fn(open());
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      if (fid_ < 0) return info.Env().Undefined();
      Hdf5Lock lock;
      hid_t fid = fid_;
      fid_ = -1;
      unregisterOpenFile(fid);
      checkStatus(H5Fclose(fid), "cannot close the HDF5 file");
      return info.Env().Undefined();
    });
  }
  Napi::Value Flush(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      checkStatus(H5Fflush(f, H5F_SCOPE_GLOBAL), "cannot flush the HDF5 file");
      return info.Env().Undefined();
    });
  }
  Napi::Value CreateGroup(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createGroup(f, getString(info[0], "path"));
      return info.Env().Undefined();
    });
  }
  Napi::Value List(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value { return listChildren(info.Env(), f, getString(info[0], "path")); });
  }
  Napi::Value Exists(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      return Napi::Boolean::New(info.Env(), linkExists(f, getString(info[0], "path")));
    });
  }
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      removeLink(f, getString(info[0], "path"));
      return info.Env().Undefined();
    });
  }
  Napi::Value MoveLink(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      moveLink(f, getString(info[0], "from"), getString(info[1], "to"));
      return info.Env().Undefined();
    });
  }
  Napi::Value CreateDataset(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createDataset(f, getString(info[0], "path"), info[1].As<Napi::Object>());
      return info.Env().Undefined();
    });
  }
  // writeDatasets(datasets: {path, spec..., data}[]): create and fill several datasets in one call.
  Napi::Value WriteDatasets(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createAndWriteDatasets(f, info[0].As<Napi::Array>());
      return info.Env().Undefined();
    });
  }
  // writeRows(groups: string[] | {prefix, numbers: Float64Array}, columns: {name, dtype, shape, data}[]):
  // one group per row.
  Napi::Value WriteRows(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      writeRows(f, info[0], info[1].As<Napi::Array>());
      return info.Env().Undefined();
    });
  }
  Napi::Value Write(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      writeDataset(f, getString(info[0], "path"), info[1], getSelection(info[2], info[3]));
      return info.Env().Undefined();
    });
  }
  Napi::Value Read(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      return readDataset(info.Env(), f, getString(info[0], "path"), getSelection(info[1], info[2]));
    });
  }
  Napi::Value Info(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value { return datasetInfo(info.Env(), f, getString(info[0], "path")); });
  }
  Napi::Value Resize(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      resizeDataset(f, getString(info[0], "path"), getDims(info[1], "shape"));
      return info.Env().Undefined();
    });
  }
  Napi::Value RawDataOffset(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      return Napi::Number::New(info.Env(), rawDataOffset(f, getString(info[0], "path")));
    });
  }
  Napi::Value CreateExternalLink(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createExternalLink(f, getString(info[0], "path"), getString(info[1], "file"), getString(info[2], "objectPath"));
      return info.Env().Undefined();
    });
  }
  Napi::Value CreateSoftLink(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createSoftLink(f, getString(info[0], "path"), getString(info[1], "target"));
      return info.Env().Undefined();
    });
  }
  Napi::Value CreateVirtualDataset(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      createVirtualDataset(f, getString(info[0], "path"), info[1].As<Napi::Object>());
      return info.Env().Undefined();
    });
  }
  Napi::Value SetAttribute(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      std::string dtype = info[3].IsString() ? getString(info[3], "dtype") : "";
      setAttribute(f, getString(info[0], "path"), getString(info[1], "name"), info[2], dtype);
      return info.Env().Undefined();
    });
  }
  Napi::Value GetAttributes(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value { return getAttributes(info.Env(), f, getString(info[0], "path")); });
  }
  // metadataCacheSize(): {maxBytes, usedBytes, entries} of the file's metadata cache now.
  Napi::Value MetadataCacheSize(const Napi::CallbackInfo& info) {
    return run(info, [&](hid_t f) -> Napi::Value {
      size_t maxBytes = 0, minClean = 0, used = 0;
      int entries = 0;
      checkStatus(H5Fget_mdc_size(f, &maxBytes, &minClean, &used, &entries), "H5Fget_mdc_size");
      Napi::Object out = Napi::Object::New(info.Env());
      out.Set("maxBytes", Napi::Number::New(info.Env(), static_cast<double>(maxBytes)));
      out.Set("usedBytes", Napi::Number::New(info.Env(), static_cast<double>(used)));
      out.Set("entries", Napi::Number::New(info.Env(), entries));
      return out;
    });
  }
};

class Hdf5Addon : public Napi::Addon<Hdf5Addon> {
 public:
  Hdf5Addon(Napi::Env env, Napi::Object exports) {
    // libhdf5 runs no exit handler (see Hdf5Lock): the files this thread still has open are
    // closed when its environment ends (a worker thread's end; a normal exit).
    env.AddCleanupHook(closeThreadFiles);
    fileClass_ = Napi::Persistent(File::Define(env));
    DefineAddon(exports, {
      InstanceMethod("createFile", &Hdf5Addon::CreateFile),
      InstanceMethod("openFile", &Hdf5Addon::OpenFile),
      InstanceMethod("writeFileAtomic", &Hdf5Addon::WriteFileAtomic),
      InstanceMethod("libraryInfo", &Hdf5Addon::LibraryInfo),
      InstanceMethod("fileImageStats", &Hdf5Addon::FileImageStats),
      InstanceMethod("roundToFloat16", &Hdf5Addon::RoundToFloat16),
    });
  }

 private:
  Napi::FunctionReference fileClass_;
  // This thread's payload file images (an addon instance serves one thread).
  FileImages images_;

  Napi::Value wrap(hid_t fid) {
    Napi::Object obj = fileClass_.New({});
    File::Unwrap(obj)->adopt(fid);
    return obj;
  }

  // createFile(path, overwrite, libverLatest, largeRootAttributes)
  Napi::Value CreateFile(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::string path = getString(info[0], "path");
      bool overwrite = info[1].ToBoolean(), latest = info[2].ToBoolean(), largeAttributes = info[3].ToBoolean();
      Hdf5Lock lock;
      return wrap(createFileId(path, overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, latest, largeAttributes));
    });
  }
  // openFile(path, write, inMemory, metadataCacheBytes): inMemory keeps the whole file in memory
  // (libhdf5's core driver) and writes it back at close; the file on disk stays locked meanwhile.
  // metadataCacheBytes (0: libhdf5's 2 MiB) is where the adaptive metadata cache starts.
  Napi::Value OpenFile(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::string path = getString(info[0], "path");
      bool write = info[1].ToBoolean(), inMemory = info[2].ToBoolean();
      size_t cacheBytes = static_cast<size_t>(info[3].As<Napi::Number>().Int64Value());
      Hdf5Lock lock;
      Hid fapl(inMemory || cacheBytes > 0 ? H5Pcreate(H5P_FILE_ACCESS) : -1);
      if ((inMemory || cacheBytes > 0) && !fapl.valid()) throwHdf5("H5Pcreate(fapl)");
      if (inMemory && H5Pset_fapl_core(fapl, 4 << 20, 1) < 0) throwHdf5("H5Pset_fapl_core");
      if (cacheBytes > 0) setInitialMetadataCache(fapl, cacheBytes);
      hid_t fid = H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.valid() ? fapl.get() : H5P_DEFAULT);
      if (fid < 0) throwHdf5("cannot open HDF5 file '" + path + "' for " + (write ? "writing" : "reading"));
      return wrap(fid);
    });
  }
  // writeFileAtomic(path, datasets: {path, spec..., data}[], attributes: [name, value][], fileImages)
  // A file that exists is complete: written under `<path>.tmp-<pid>-<random>` (or unnamed, from
  // an image) and renamed (linked) into place.
  Napi::Value WriteFileAtomic(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      std::string path = getString(info[0], "path");
      Napi::Array datasets = info[1].As<Napi::Array>();
      Napi::Array attrs = info[2].As<Napi::Array>();
      bool useImages = info[3].ToBoolean();
      thread_local std::mt19937_64 rng{std::random_device{}()};
      char suffix[64];
      std::snprintf(suffix, sizeof suffix, ".tmp-%d-%08llx", static_cast<int>(getpid()),
                    static_cast<unsigned long long>(rng() & 0xffffffffULL));
      std::string tmp = path + suffix;
      ImageRequest request;
      // Without images the request stays empty: libhdf5 writes the file and no image is kept.
      if (useImages) FileImages::describe(datasets, attrs, request);
      if (images_.has(request)) {
        images_.write(request, path, tmp);
      } else {
        writeWithLibhdf5(tmp, datasets, attrs, request);
        renameIntoPlace(tmp, path);
      }
      return info.Env().Undefined();
    });
  }
  // A file without an image; keeps the image of the second file of a structure when it can.
  void writeWithLibhdf5(const std::string& tmp, const Napi::Array& datasets, const Napi::Array& attrs,
                        const ImageRequest& request) {
    ImageSlots slots;
    bool located = false, wanted = images_.wantImage(request);
    uint32_t writtenFrom = stampSeconds();
    {
      Hdf5Lock lock;
      hid_t fid = createFileId(tmp, H5F_ACC_EXCL, false);
      try {
        createAndWriteDatasets(fid, datasets);
        for (uint32_t i = 0; i < attrs.Length(); i++) {
          Napi::Array kv = attrs.Get(i).As<Napi::Array>();
          setAttribute(fid, "/", getString(kv.Get(0u), "attribute name"), kv.Get(1u));
        }
        if (wanted) {
          located = FileImages::locate(fid, request, slots);
          H5Eclear2(H5E_DEFAULT);
        }
        hid_t closing = fid;
        fid = -1;
        checkStatus(H5Fclose(closing), "cannot close '" + tmp + "'");
      } catch (...) {
        if (fid >= 0) H5Fclose(fid);
        H5Eclear2(H5E_DEFAULT);
        std::remove(tmp.c_str());
        throw;
      }
    }
    if (located) {
      slots.writtenFrom = writtenFrom;
      slots.writtenTo = stampSeconds();
      images_.remember(tmp, request, slots);
    }
  }
  // This thread's file images: how many are kept, how many files were written from one.
  Napi::Value FileImageStats(const Napi::CallbackInfo& info) {
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("images", Napi::Number::New(info.Env(), static_cast<double>(images_.imageCount())));
    out.Set("filesWritten", Napi::Number::New(info.Env(), static_cast<double>(images_.filesWritten())));
    return out;
  }
  // roundToFloat16(Float64Array | Float32Array): the half values float16 datasets store (the
  // same rounding), widened to a Float32Array (exact). No libhdf5 call, so no lock.
  Napi::Value RoundToFloat16(const Napi::CallbackInfo& info) {
    return guarded(info.Env(), [&]() -> Napi::Value {
      Values vals = getValues(info[0], "values");
      if (vals.isStrings) throwInvalid("values must be a typed array");
      std::vector<_Float16> half(vals.length);
      roundToHalf(vals, half.data());
      Napi::Float32Array out = Napi::Float32Array::New(info.Env(), vals.length);
      for (size_t i = 0; i < vals.length; i++) out[i] = static_cast<float>(half[i]);
      return out;
    });
  }
  Napi::Value LibraryInfo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    unsigned maj = 0, min = 0, rel = 0;
    hbool_t threadsafe = 0;
    {
      Hdf5Lock lock;
      H5get_libversion(&maj, &min, &rel);
      H5is_library_threadsafe(&threadsafe);
    }
    // libhdf5 reads HDF5_USE_FILE_LOCKING when a file is opened; report what it will see.
    const char* env_lock = std::getenv("HDF5_USE_FILE_LOCKING");
    std::string locking = "on";
    if (env_lock) {
      std::string v = env_lock;
      if (v == "FALSE" || v == "0") locking = "off";
      else if (v == "BEST_EFFORT") locking = "best-effort";
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("version", std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel));
    out.Set("threadsafe", Napi::Boolean::New(env, threadsafe != 0));
    out.Set("fileLocking", locking);
    return out;
  }
};

}  // namespace

NODE_API_ADDON(Hdf5Addon)
