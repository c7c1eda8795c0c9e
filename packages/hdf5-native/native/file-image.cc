#include "file-image.h"
#include "values.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <climits>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace h5n {

namespace {

// The typed array that holds a dtype's values exactly as the file stores them (little-endian
// host, file types are little-endian): other pairs need libhdf5's conversion.
bool storesAsIs(const std::string& dtype, napi_typedarray_type t) {
  switch (t) {
    case napi_float64_array: return dtype == "float64";
    case napi_float32_array: return dtype == "float32";
    case napi_int8_array: return dtype == "int8";
    case napi_int16_array: return dtype == "int16";
    case napi_int32_array: return dtype == "int32";
    case napi_bigint64_array: return dtype == "int64";
    case napi_uint8_array: return dtype == "uint8";
    case napi_uint16_array: return dtype == "uint16";
    case napi_uint32_array: return dtype == "uint32";
    case napi_biguint64_array: return dtype == "uint64";
    default: return false;
  }
}

uint32_t readU32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }
uint16_t readU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

uint64_t readU64(const uint8_t* p) { return readU32(p) | static_cast<uint64_t>(readU32(p + 4)) << 32; }

// A file libhdf5 wrote as an image keeps it: its bytes but for the values of its direct
// datasets. at(offset, n) points at the n bytes from file offset `offset` when they are all kept
// (in one piece), else nullptr; compact(offset) is where such an offset lies in `bytes`.
struct FileView {
  struct Piece {
    uint64_t from, to, at;  // file [from, to) is bytes[at, at + to - from)
  };
  const std::vector<uint8_t>& bytes;
  std::vector<Piece> pieces;
  const Piece* find(uint64_t offset, uint64_t n) const {
    for (const Piece& p : pieces)
      if (offset >= p.from && offset <= p.to && n <= p.to - offset) return &p;
    return nullptr;
  }
  const uint8_t* at(uint64_t offset, uint64_t n) const {
    const Piece* p = find(offset, n);
    return p ? bytes.data() + p->at + (offset - p->from) : nullptr;
  }
  uint64_t compact(uint64_t offset) const { return find(offset, 0)->at + (offset - find(offset, 0)->from); }
};

// Calls visit(type, dataOffset, size, data) for every message of the version-1 object header at
// `addr` (all its chunks) until it returns false; false when the header cannot be read (or visit
// said no). HDF5 file format: "Version 1 Object Header", "Object Header Continuation" (0x10).
template <typename Visit>
bool walkHeader(const FileView& file, uint64_t addr, Visit visit) {
  constexpr uint64_t kPrefix = 16, kMessageHeader = 8;
  constexpr uint16_t kContinuation = 0x10;
  const uint8_t* prefix = file.at(addr, kPrefix);
  if (!prefix || prefix[0] != 1) return false;
  std::vector<std::pair<uint64_t, uint64_t>> chunks{{addr + kPrefix, readU32(prefix + 8)}};
  for (size_t c = 0; c < chunks.size(); c++) {
    if (chunks.size() > 64) return false;
    uint64_t first = chunks[c].first, length = chunks[c].second;
    const uint8_t* chunk = file.at(first, length);
    if (!chunk) return false;
    uint64_t pos = 0;
    while (pos + kMessageHeader <= length) {
      uint16_t type = readU16(chunk + pos), size = readU16(chunk + pos + 2);
      uint64_t data = pos + kMessageHeader;
      if (data + size > length) return false;
      if (type == kContinuation) {
        if (size < 16) return false;
        chunks.emplace_back(readU64(chunk + data), readU64(chunk + data + 8));
      } else if (!visit(type, first + data, size, chunk + data)) {
        return false;
      }
      pos = data + size;
    }
  }
  return true;
}

// Offsets of the 4-byte times in the modification-time messages (type 0x12) of the object
// header at `addr`, appended to `out`; false when it cannot be read or holds a time outside
// [from, to].
bool findTimes(const FileView& file, uint64_t addr, uint32_t from, uint32_t to, std::vector<uint64_t>& out) {
  constexpr uint16_t kMtime = 0x12;
  return walkHeader(file, addr, [&](uint16_t type, uint64_t data, uint16_t size, const uint8_t* d) {
    if (type != kMtime) return true;
    uint32_t t = size >= 8 && d[0] == 1 ? readU32(d + 4) : 0;
    if (t < from || t > to) return false;
    out.push_back(data + 4);
    return true;
  });
}

uint64_t pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Where the value of each attribute `names[k]` of the object header at `addr` starts, from its
// attribute message (type 0x0C; versions 1, with fields padded to 8 bytes, 2 and 3, unpadded,
// 3 with a name-encoding byte); false when one is missing or its value is not 8 bytes.
bool findAttributeValues(const FileView& file, uint64_t addr, const std::vector<std::string>& names, std::vector<uint64_t>& out) {
  constexpr uint16_t kAttribute = 0x0C;
  out.assign(names.size(), 0);
  size_t found = 0;
  bool ok = walkHeader(file, addr, [&](uint16_t type, uint64_t data, uint16_t size, const uint8_t* d) {
    if (type != kAttribute || size < 8) return true;
    uint8_t version = d[0];
    if (version < 1 || version > 3) return false;
    uint64_t nameSize = readU16(d + 2), typeSize = readU16(d + 4), spaceSize = readU16(d + 6);
    uint64_t at = version == 3 ? 9 : 8;
    if (nameSize == 0 || at + nameSize > size) return false;
    std::string name(reinterpret_cast<const char*>(d + at), nameSize - 1);
    uint64_t value = version == 1 ? at + pad8(nameSize) + pad8(typeSize) + pad8(spaceSize) : at + nameSize + typeSize + spaceSize;
    for (size_t k = 0; k < names.size(); k++) {
      if (names[k] != name || out[k] != 0) continue;
      if (value + 8 > size) return false;
      out[k] = data + value;
      found++;
    }
    return true;
  });
  return ok && found == names.size();
}

// Reads n bytes at `offset` of fd into `out`; false on an error or a short file.
bool preadAll(int fd, uint8_t* out, uint64_t n, uint64_t offset) {
  while (n > 0) {
    ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    out += got;
    n -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

// Whether the n bytes at `offset` of fd are `expected`'s.
bool fileHolds(int fd, uint64_t offset, const uint8_t* expected, uint64_t n) {
  std::vector<uint8_t> buffer(std::min<uint64_t>(n, 1 << 20));
  for (uint64_t done = 0; done < n;) {
    uint64_t k = std::min<uint64_t>(buffer.size(), n - done);
    if (!preadAll(fd, buffer.data(), k, offset + done) || std::memcmp(buffer.data(), expected + done, k) != 0) return false;
    done += k;
  }
  return true;
}

// Writes all of `parts` to `fd` (writev, IOV_MAX at a time, resuming after short writes); 0 or
// the errno.
int writeAll(int fd, std::vector<struct iovec> parts) {
  size_t next = 0;
  while (next < parts.size()) {
    if (parts[next].iov_len == 0) {
      next++;
      continue;
    }
    int count = static_cast<int>(std::min<size_t>(parts.size() - next, IOV_MAX));
    ssize_t n = ::writev(fd, &parts[next], count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    size_t left = static_cast<size_t>(n);
    while (left > 0 && next < parts.size()) {
      size_t k = std::min(left, parts[next].iov_len);
      parts[next].iov_base = static_cast<uint8_t*>(parts[next].iov_base) + k;
      parts[next].iov_len -= k;
      left -= k;
      if (parts[next].iov_len == 0) next++;
    }
  }
  return 0;
}

}  // namespace

void FileImages::describe(const Napi::Array& datasets, const Napi::Array& attributes, ImageRequest& req) {
  req = ImageRequest();
  if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || datasets.Length() == 0) return;
  std::string key;
  // Scalar float64 and int64 attributes of the root: their values are patched like datasets'.
  for (uint32_t i = 0; i < attributes.Length(); i++) {
    Napi::Array kv = attributes.Get(i).As<Napi::Array>();
    Napi::Value nameV = kv.Get(0u), value = kv.Get(1u);
    if (!nameV.IsString()) return;
    std::array<uint8_t, 8> bytes;
    if (value.IsNumber()) {
      double d = value.As<Napi::Number>().DoubleValue();
      std::memcpy(bytes.data(), &d, 8);
      key += "\x1d" "f8";
    } else if (value.IsBigInt()) {
      bool lossless = true;
      int64_t n = value.As<Napi::BigInt>().Int64Value(&lossless);
      if (!lossless) return;  // uint64 above int64's range: libhdf5's path
      std::memcpy(bytes.data(), &n, 8);
      key += "\x1d" "i8";
    } else {
      return;
    }
    std::string name = nameV.As<Napi::String>().Utf8Value();
    key += name + '\x1e';
    req.attributeNames.push_back(std::move(name));
    req.attributeValues.push_back(bytes);
  }
  size_t bytes = 0;
  for (uint32_t i = 0; i < datasets.Length(); i++) {
    Napi::Object d = datasets.Get(i).As<Napi::Object>();
    Napi::Value pathV = d.Get("path"), dtypeV = d.Get("dtype"), shapeV = d.Get("shape"), data = d.Get("data");
    if (!pathV.IsString() || !dtypeV.IsString() || !shapeV.IsArray() || !data.IsTypedArray()) return;
    if (!d.Get("maxshape").IsUndefined() || !d.Get("chunks").IsUndefined() || !d.Get("fillValue").IsUndefined() || !d.Get("reserveSpace").IsUndefined() || !d.Get("neverFill").IsUndefined()) return;
    std::string name = pathV.As<Napi::String>().Utf8Value();
    if (!name.empty() && name[0] == '/') name.erase(0, 1);
    // Datasets in subgroups would add groups (with their own times) to the image.
    if (name.empty() || name.find('/') != std::string::npos || name.find('\0') != std::string::npos) return;
    std::string dtype = dtypeV.As<Napi::String>().Utf8Value();
    Napi::TypedArray values = data.As<Napi::TypedArray>();
    if (!storesAsIs(dtype, values.TypedArrayType())) return;
    Napi::Array shape = shapeV.As<Napi::Array>();
    double npoints = 1;
    key += name + '\x1f' + dtype + '\x1f';
    for (uint32_t k = 0; k < shape.Length(); k++) {
      Napi::Value e = shape.Get(k);
      if (!e.IsNumber()) return;
      double n = e.As<Napi::Number>().DoubleValue();
      npoints *= n;
      key += std::to_string(static_cast<uint64_t>(n)) + ',';
    }
    // A wrong element count is libhdf5's path's error to report; nothing to store has no address.
    if (npoints != static_cast<double>(values.ElementLength()) || npoints == 0) return;
    key += '\x1e';
    // Large values are written from the typed array itself (not kept in the image); the image
    // holds the rest, at most kMaxImageBytes.
    bool direct = values.ByteLength() >= kDirectBytes;
    if (!direct) bytes += values.ByteLength();
    if (bytes > kMaxImageBytes) return;
    req.names.push_back(name);
    req.values.push_back(typedArrayBytes(values));
    req.sizes.push_back(values.ByteLength());
    req.direct.push_back(direct);
  }
  req.key = std::move(key);
}

const FileImages::Image* FileImages::findImage(const std::string& key) const {
  for (const Image& image : images_)
    if (image.key == key) return &image;
  return nullptr;
}

uint32_t stampSeconds() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint32_t>(ts.tv_sec);
}

bool FileImages::wantImage(const ImageRequest& req) {
  if (req.key.empty()) return false;
  for (auto it = seenOnce_.begin(); it != seenOnce_.end(); ++it) {
    if (*it == req.key) {
      seenOnce_.erase(it);
      return true;
    }
  }
  if (seenOnce_.size() >= kMaxSeenOnce) seenOnce_.pop_front();
  seenOnce_.push_back(req.key);
  return false;
}

bool FileImages::locate(hid_t fid, const ImageRequest& req, ImageSlots& slots) {
  slots = ImageSlots();
  H5O_info_t info;
  auto headerV1 = [&](hid_t obj) { return H5Oget_info2(obj, &info, H5O_INFO_BASIC | H5O_INFO_HDR) >= 0 && info.hdr.version == 1; };
  if (!headerV1(fid)) return false;  // the root group
  slots.objectAddresses.push_back(info.addr);
  for (const std::string& name : req.names) {
    Hid dset(H5Dopen2(fid, name.c_str(), H5P_DEFAULT));
    if (!dset.valid()) return false;
    haddr_t offset = H5Dget_offset(dset);
    if (offset == HADDR_UNDEF || !headerV1(dset)) return false;
    slots.valueOffsets.push_back(offset);
    slots.objectAddresses.push_back(info.addr);
  }
  return true;
}

void FileImages::remember(const std::string& writtenPath, const ImageRequest& req, const ImageSlots& slots) {
  Image image;
  image.key = req.key;
  int fd = ::open(writtenPath.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return;
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  // The direct datasets' values in file order: the image keeps the bytes between them.
  std::vector<size_t> direct;
  for (size_t i = 0; i < req.names.size(); i++)
    if (req.direct[i]) direct.push_back(i);
  std::sort(direct.begin(), direct.end(), [&](size_t a, size_t b) { return slots.valueOffsets[a] < slots.valueOffsets[b]; });
  FileView view{image.bytes, {}};
  uint64_t pos = 0, kept = 0;
  for (size_t i : direct) {
    uint64_t at = slots.valueOffsets[i];
    if (at < pos || at > fileSize || req.sizes[i] > fileSize - at) return;
    view.pieces.push_back({pos, at, kept});
    kept += at - pos;
    image.gaps.push_back({kept, i});
    pos = at + req.sizes[i];
  }
  view.pieces.push_back({pos, fileSize, kept});
  kept += fileSize - pos;
  if (kept > kMaxImageBytes) return;
  image.bytes.resize(kept);
  for (const FileView::Piece& p : view.pieces)
    if (!preadAll(fd, image.bytes.data() + p.at, p.to - p.from, p.from)) return;
  // The values must sit where libhdf5 said, and the times where the format puts them.
  for (size_t i = 0; i < req.names.size(); i++) {
    uint64_t at = slots.valueOffsets[i];
    if (req.direct[i]) {
      if (!fileHolds(fd, at, req.values[i], req.sizes[i])) return;
      image.valueOffsets.push_back(0);
      continue;
    }
    const uint8_t* p = view.at(at, req.sizes[i]);
    if (!p || std::memcmp(p, req.values[i], req.sizes[i]) != 0) return;
    image.valueOffsets.push_back(view.compact(at));
  }
  // The root group's header (objectAddresses[0]) holds the attributes.
  if (!req.attributeNames.empty()) {
    if (!findAttributeValues(view, slots.objectAddresses[0], req.attributeNames, image.attributeOffsets)) return;
    for (size_t k = 0; k < req.attributeNames.size(); k++) {
      const uint8_t* p = view.at(image.attributeOffsets[k], 8);
      if (!p || std::memcmp(p, req.attributeValues[k].data(), 8) != 0) return;
      image.attributeOffsets[k] = view.compact(image.attributeOffsets[k]);
    }
  }
  for (uint64_t addr : slots.objectAddresses)
    if (!findTimes(view, addr, slots.writtenFrom, slots.writtenTo, image.mtimeOffsets)) return;
  for (uint64_t& at : image.mtimeOffsets) at = view.compact(at);  // inside a header: kept
  if (images_.size() >= kMaxImages) images_.pop_front();
  images_.push_back(std::move(image));
}

void FileImages::write(const ImageRequest& req, const std::string& path, const std::string& tmp) {
  const Image* image = findImage(req.key);
  if (!image) throw AddonError("ERR_HDF5", "internal: no file image for '" + path + "'");
  thread_local std::vector<uint8_t> bytes;
  bytes.assign(image->bytes.begin(), image->bytes.end());
  for (size_t i = 0; i < req.values.size(); i++)
    if (!req.direct[i]) std::memcpy(&bytes[image->valueOffsets[i]], req.values[i], req.sizes[i]);
  for (size_t k = 0; k < req.attributeValues.size(); k++) std::memcpy(&bytes[image->attributeOffsets[k]], req.attributeValues[k].data(), 8);
  // libhdf5 stamps a dataset with the time it was created (seconds, little-endian).
  uint32_t now = stampSeconds();
  for (uint64_t at : image->mtimeOffsets)
    for (int b = 0; b < 4; b++) bytes[at + b] = static_cast<uint8_t>(now >> (8 * b));
  // The file: the patched bytes with each direct dataset's values, from the caller's typed
  // array (no copy), where the image left them out. Plain file I/O: no libhdf5 lock.
  std::vector<struct iovec> parts;
  uint64_t pos = 0;
  for (const Gap& gap : image->gaps) {
    parts.push_back({bytes.data() + pos, gap.at - pos});
    parts.push_back({const_cast<uint8_t*>(req.values[gap.dataset]), req.sizes[gap.dataset]});
    pos = gap.at;
  }
  parts.push_back({bytes.data() + pos, bytes.size() - pos});

  // An unnamed file in the folder (O_TMPFILE), linked in under its name once complete: the
  // name appears with the whole file, and a crash leaves nothing behind. Measured on ext4:
  // ≈ 10 µs per file less than creating, then renaming, a temporary name. Where the file system
  // cannot, or the name exists (linkat does not replace), a temporary name and rename.
  std::string folder = path.substr(0, path.find_last_of('/') + 1);
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd >= 0) {
    int err = writeAll(fd, parts);
    if (err != 0) {
      ::close(fd);
      throw AddonError("ERR_HDF5", "cannot write '" + path + "': " + std::strerror(err));
    }
    char self[64];
    std::snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    bool linked = ::linkat(AT_FDCWD, self, AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0;
    if (::close(fd) != 0 && linked) {
      err = errno;
      std::remove(path.c_str());
      throw AddonError("ERR_HDF5", "cannot write '" + path + "': " + std::strerror(err));
    }
    if (linked) {
      filesWritten_++;
      return;
    }
  }
  fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) {
    int err = errno;
    throw AddonError("ERR_HDF5", "cannot create HDF5 file '" + tmp + "'" + whyCannotCreate(tmp, true) + ": " + std::strerror(err));
  }
  int err = writeAll(fd, parts);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::remove(tmp.c_str());
    throw AddonError("ERR_HDF5", "cannot write '" + tmp + "': " + std::strerror(err));
  }
  renameIntoPlace(tmp, path);
  filesWritten_++;
}

}  // namespace h5n
