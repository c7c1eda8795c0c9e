// Shared helpers for the libhdf5 addon: the process-wide lock, typed errors, RAII ids, dtypes.
#pragma once
#include <hdf5.h>
#include <mutex>
#include <string>
#include <vector>
#include <stdexcept>

namespace h5n {

// Errors raised inside the addon; converted to a JS Error with `code` at the N-API boundary.
struct AddonError : std::runtime_error {
  std::string code;
  AddonError(std::string c, const std::string& msg) : std::runtime_error(msg), code(std::move(c)) {}
};
// An AddonError at row `row` of a writeRows call (becomes the JS error's `row`).
struct RowError : AddonError {
  uint32_t row;
  RowError(const AddonError& e, uint32_t r) : AddonError(e), row(r) {}
};
[[noreturn]] void throwInvalid(const std::string& msg);
// Throws ERR_HDF5 with `context` plus the current thread's HDF5 error stack, then clears it.
[[noreturn]] void throwHdf5(const std::string& context);

// Every libhdf5 call happens while one of these is alive. libhdf5 is thread-safe here but the
// high-level/C++ APIs are not, and one lock makes that explicit; it also makes sure the calling
// thread's error printing is silenced (error stacks and printing are per thread).
class Hdf5Lock {
 public:
  Hdf5Lock();
 private:
  std::lock_guard<std::mutex> guard_;
};

// Files the addon holds open, in place of libhdf5's exit handler (which crashes on a file whose
// close failed): registered while open (call with the lock held), closed by their thread's
// environment when it ends (closeThreadFiles), and at process exit (a process.exit() skips the
// environments' cleanup) by a handler of the addon's own.
void registerOpenFile(hid_t fid);
void unregisterOpenFile(hid_t fid);
// Closes the calling thread's registered files; takes the lock.
void closeThreadFiles();

// Owns an hid_t (dataset, dataspace, datatype, property list, group, object, attribute).
class Hid {
 public:
  Hid() = default;
  explicit Hid(hid_t id) : id_(id) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  Hid(Hid&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Hid& operator=(Hid&& o) noexcept { reset(); id_ = o.id_; o.id_ = -1; return *this; }
  ~Hid() { reset(); }
  void reset();
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
 private:
  hid_t id_ = -1;
};
// Wraps a freshly returned id; throws ERR_HDF5 with `context` when it is negative.
Hid check(hid_t id, const std::string& context);
void checkStatus(herr_t status, const std::string& context);

// Dtype codes shared with TypeScript: float64 float32 float16 complex64 complex128 int8..int64 uint8..uint64 bool
// string (variable-length UTF-8) and S<n> (fixed-length, n bytes).
Hid fileTypeFor(const std::string& dtype);
std::string dtypeOf(hid_t type);  // throws for types this package does not map
bool isFloat16(const std::string& dtype);
// complex64/complex128: h5py's compound {r, i}; JavaScript holds them interleaved (r0, i0, r1, …).
bool isComplex(const std::string& dtype);
Hid complexMemType(bool doubles);
// Memory type matching how values of a dtype are handed to JavaScript on read.
Hid readMemTypeFor(const std::string& dtype);

// Why creating the file at `path` may have failed, as " (…)" or "": the folder is missing, or
// (exclusive creation) the file exists.
std::string whyCannotCreate(const std::string& path, bool exclusive);

// Renames the complete file `tmp` to `path` (replacing it); removes `tmp` and throws on failure.
void renameIntoPlace(const std::string& tmp, const std::string& path);

// Link creation property list for a new link at `path`: creates missing intermediate groups;
// the link name is ASCII unless `path` has other bytes, then UTF-8 (as h5py does, so groups keep
// HDF5's original symbol-table format, which a UTF-8 link name would convert to link messages).
hid_t lcplFor(const std::string& path);

}  // namespace h5n
