#include "h5util.h"
#include <sys/stat.h>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>

namespace h5n {

static std::mutex g_hdf5Mutex;

void throwInvalid(const std::string& msg) { throw AddonError("ERR_INVALID_ARG", msg); }

static herr_t collectError(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  char minor[256] = "";
  H5Eget_msg(err->min_num, nullptr, minor, sizeof minor);
  *out += "\n  #" + std::to_string(n) + " " + (err->func_name ? err->func_name : "?") + "(): " +
          (err->desc ? err->desc : "") + (minor[0] ? std::string(" [") + minor + "]" : "");
  return 0;
}

void throwHdf5(const std::string& context) {
  std::string stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectError, &stack);
  H5Eclear2(H5E_DEFAULT);
  throw AddonError("ERR_HDF5", context + (stack.empty() ? "" : "; HDF5 error stack:" + stack));
}

// fid → the thread that opened it; guarded by g_hdf5Mutex.
static std::map<hid_t, std::thread::id> g_openFiles;

void registerOpenFile(hid_t fid) { g_openFiles[fid] = std::this_thread::get_id(); }
void unregisterOpenFile(hid_t fid) { g_openFiles.erase(fid); }

static void closeFiles(bool thisThreadOnly) {
  const auto me = std::this_thread::get_id();
  for (auto it = g_openFiles.begin(); it != g_openFiles.end();) {
    if (thisThreadOnly && it->second != me) {
      ++it;
      continue;
    }
    H5Fclose(it->first);
    it = g_openFiles.erase(it);
  }
  H5Eclear2(H5E_DEFAULT);
}

void closeThreadFiles() {
  Hdf5Lock lock;
  closeFiles(true);
}

// At exit a thread may still hold the lock mid-call (process.exit() from another thread): then
// its files are left as they are rather than the exit waiting forever.
static void closeFilesAtExit() {
  std::unique_lock<std::mutex> guard(g_hdf5Mutex, std::try_to_lock);
  for (int i = 0; i < 100 && !guard.owns_lock(); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    guard.try_lock();
  }
  if (guard.owns_lock()) closeFiles(false);
}

Hdf5Lock::Hdf5Lock() : guard_(g_hdf5Mutex) {
  // Before libhdf5's first call in the process: no libhdf5 exit handler, our own instead. A
  // close that failed (disk full, file-size limit) leaves libhdf5 1.10 a half-freed file its
  // exit handler crashes on (SIGSEGV at exit).
  static const bool exitHandler = (H5dont_atexit(), std::atexit(closeFilesAtExit), true);
  (void)exitHandler;
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

void Hid::reset() {
  if (id_ >= 0) {
    H5Idec_ref(id_);
    id_ = -1;
  }
}

Hid check(hid_t id, const std::string& context) {
  if (id < 0) throwHdf5(context);
  return Hid(id);
}

void checkStatus(herr_t status, const std::string& context) {
  if (status < 0) throwHdf5(context);
}

bool isFloat16(const std::string& dtype) { return dtype == "float16"; }

static Hid float16Type() {
  // h5py's half type: IEEE single layout shrunk to 1 sign, 5 exponent, 10 mantissa bits.
  Hid t = check(H5Tcopy(H5T_IEEE_F32LE), "H5Tcopy");
  checkStatus(H5Tset_fields(t, 15, 10, 5, 0, 10), "H5Tset_fields(float16)");
  checkStatus(H5Tset_size(t, 2), "H5Tset_size(float16)");
  checkStatus(H5Tset_ebias(t, 15), "H5Tset_ebias(float16)");
  return t;
}

static Hid boolType() {
  // h5py's bool: enum over int8 with exactly FALSE=0, TRUE=1.
  Hid t = check(H5Tenum_create(H5T_NATIVE_INT8), "H5Tenum_create(bool)");
  int8_t f = 0, tr = 1;
  checkStatus(H5Tenum_insert(t, "FALSE", &f), "H5Tenum_insert");
  checkStatus(H5Tenum_insert(t, "TRUE", &tr), "H5Tenum_insert");
  return t;
}

static Hid stringType(size_t size) {
  Hid t = check(H5Tcopy(H5T_C_S1), "H5Tcopy(string)");
  checkStatus(H5Tset_size(t, size), "H5Tset_size(string)");
  checkStatus(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset");
  if (size != H5T_VARIABLE) checkStatus(H5Tset_strpad(t, H5T_STR_NULLPAD), "H5Tset_strpad");
  return t;
}

static Hid copyType(hid_t t) { return check(H5Tcopy(t), "H5Tcopy"); }

bool isComplex(const std::string& dtype) { return dtype == "complex64" || dtype == "complex128"; }

// h5py's complex: a compound of two floats named r and i (numpy's complex memory layout).
static Hid complexType(hid_t part) {
  size_t size = H5Tget_size(part);
  Hid t = check(H5Tcreate(H5T_COMPOUND, 2 * size), "H5Tcreate(complex)");
  checkStatus(H5Tinsert(t, "r", 0, part), "H5Tinsert(r)");
  checkStatus(H5Tinsert(t, "i", size, part), "H5Tinsert(i)");
  return t;
}

Hid complexMemType(bool doubles) { return complexType(doubles ? H5T_NATIVE_DOUBLE : H5T_NATIVE_FLOAT); }

Hid fileTypeFor(const std::string& d) {
  if (d == "float64") return copyType(H5T_IEEE_F64LE);
  if (d == "float32") return copyType(H5T_IEEE_F32LE);
  if (d == "float16") return float16Type();
  if (d == "int8") return copyType(H5T_STD_I8LE);
  if (d == "int16") return copyType(H5T_STD_I16LE);
  if (d == "int32") return copyType(H5T_STD_I32LE);
  if (d == "int64") return copyType(H5T_STD_I64LE);
  if (d == "uint8") return copyType(H5T_STD_U8LE);
  if (d == "uint16") return copyType(H5T_STD_U16LE);
  if (d == "uint32") return copyType(H5T_STD_U32LE);
  if (d == "uint64") return copyType(H5T_STD_U64LE);
  if (d == "bool") return boolType();
  if (d == "complex64") return complexType(H5T_IEEE_F32LE);
  if (d == "complex128") return complexType(H5T_IEEE_F64LE);
  if (d == "string") return stringType(H5T_VARIABLE);
  if (d.size() > 1 && d[0] == 'S') {
    long n = std::strtol(d.c_str() + 1, nullptr, 10);
    if (n > 0) return stringType(static_cast<size_t>(n));
  }
  throwInvalid("dtype must be one of float64, float32, float16, complex64, complex128, int8..int64, uint8..uint64, bool, "
               "string or a fixed string, got '" + d + "'");
}

Hid readMemTypeFor(const std::string& d) {
  if (d == "float64") return copyType(H5T_NATIVE_DOUBLE);
  if (d == "float32" || d == "float16") return copyType(H5T_NATIVE_FLOAT);  // half→float is exact
  if (d == "int8") return copyType(H5T_NATIVE_INT8);
  if (d == "int16") return copyType(H5T_NATIVE_INT16);
  if (d == "int32") return copyType(H5T_NATIVE_INT32);
  if (d == "int64") return copyType(H5T_NATIVE_INT64);
  if (d == "uint8") return copyType(H5T_NATIVE_UINT8);
  if (d == "uint16") return copyType(H5T_NATIVE_UINT16);
  if (d == "uint32") return copyType(H5T_NATIVE_UINT32);
  if (d == "uint64") return copyType(H5T_NATIVE_UINT64);
  if (isComplex(d)) return complexMemType(d == "complex128");
  return fileTypeFor(d);  // bool, strings: memory layout = file layout
}

std::string dtypeOf(hid_t type) {
  H5T_class_t cls = H5Tget_class(type);
  size_t size = H5Tget_size(type);
  switch (cls) {
    case H5T_FLOAT:
      if (size == 8) return "float64";
      if (size == 4) return "float32";
      if (size == 2) return "float16";
      break;
    case H5T_INTEGER: {
      bool isSigned = H5Tget_sign(type) == H5T_SGN_2;
      if (size == 1 || size == 2 || size == 4 || size == 8)
        return std::string(isSigned ? "int" : "uint") + std::to_string(size * 8);
      break;
    }
    case H5T_ENUM: {
      if (size == 1 && H5Tget_nmembers(type) == 2) {
        char* a = H5Tget_member_name(type, 0);
        char* b = H5Tget_member_name(type, 1);
        bool isBool = a && b && std::string(a) == "FALSE" && std::string(b) == "TRUE";
        H5free_memory(a);
        H5free_memory(b);
        if (isBool) return "bool";
      }
      break;
    }
    case H5T_COMPOUND: {
      // h5py's complex: exactly the float members r and i, of one size, i after r.
      if (H5Tget_nmembers(type) != 2 || (size != 8 && size != 16)) break;
      bool isComplexType = true;
      for (unsigned m = 0; m < 2; m++) {
        char* name = H5Tget_member_name(type, m);
        Hid member(H5Tget_member_type(type, m));
        isComplexType = isComplexType && name && std::string(name) == (m == 0 ? "r" : "i") && member.valid() &&
                        H5Tget_class(member) == H5T_FLOAT && H5Tget_size(member) == size / 2 &&
                        H5Tget_member_offset(type, m) == m * size / 2;
        H5free_memory(name);
      }
      if (isComplexType) return size == 8 ? "complex64" : "complex128";
      break;
    }
    case H5T_STRING: {
      htri_t vlen = H5Tis_variable_str(type);
      if (vlen > 0) return "string";
      if (vlen == 0) return "S" + std::to_string(size);
      break;
    }
    default:
      break;
  }
  throw AddonError("ERR_HDF5_UNSUPPORTED_TYPE",
                   "HDF5 datatype (class " + std::to_string(static_cast<int>(cls)) + ", size " +
                       std::to_string(size) + ") has no acme-ts dtype");
}

std::string whyCannotCreate(const std::string& path, bool exclusive) {
  std::string folder = path.substr(0, path.find_last_of('/') + 1);
  struct stat st;
  if (!folder.empty() && stat(folder.c_str(), &st) != 0) return " (the folder " + folder + " does not exist)";
  return exclusive ? " (it may already exist; pass overwrite: true to replace it)" : "";
}

void renameIntoPlace(const std::string& tmp, const std::string& path) {
  if (std::rename(tmp.c_str(), path.c_str()) == 0) return;
  int err = errno;
  std::remove(tmp.c_str());
  throw AddonError("ERR_HDF5", "cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(err));
}

static hid_t makeLcpl(H5T_cset_t encoding) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  if (lcpl < 0) throwHdf5("H5Pcreate(lcpl)");
  if (H5Pset_create_intermediate_group(lcpl, 1) < 0 || H5Pset_char_encoding(lcpl, encoding) < 0) {
    H5Pclose(lcpl);
    throwHdf5("cannot set up a link creation property list");
  }
  return lcpl;
}

hid_t lcplFor(const std::string& path) {
  // Kept for the thread's lifetime: one of each per thread, reused by every link creation.
  thread_local hid_t ascii = -1, utf8 = -1;
  bool isAscii = true;
  for (unsigned char c : path) isAscii = isAscii && c < 0x80;
  hid_t& lcpl = isAscii ? ascii : utf8;
  if (lcpl < 0) lcpl = makeLcpl(isAscii ? H5T_CSET_ASCII : H5T_CSET_UTF8);
  return lcpl;
}

}  // namespace h5n
