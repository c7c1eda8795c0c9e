#include "file-image.h"
#include "values.h"
#include <fcntl.h>
#include <unistd.h>
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

// Calls visit(type, dataOffset, size) for every message of the version-1 object header at `addr`
// (all its chunks) until it returns false; false when the header cannot be read (or visit said
// no). HDF5 file format: "Version 1 Object Header", "Object Header Continuation" (type 0x10).
template <typename Visit>
bool walkHeader(const std::vector<uint8_t>& file, uint64_t addr, Visit visit) {
  constexpr uint64_t kPrefix = 16, kMessageHeader = 8;
  constexpr uint16_t kContinuation = 0x10;
  if (addr + kPrefix > file.size() || file[addr] != 1) return false;
  std::vector<std::pair<uint64_t, uint64_t>> chunks{{addr + kPrefix, readU32(&file[addr + 8])}};
  for (size_t c = 0; c < chunks.size(); c++) {
    uint64_t pos = chunks[c].first, end = pos + chunks[c].second;
    if (end > file.size() || chunks.size() > 64) return false;
    while (pos + kMessageHeader <= end) {
      uint16_t type = readU16(&file[pos]), size = readU16(&file[pos + 2]);
      uint64_t data = pos + kMessageHeader;
      if (data + size > end) return false;
      if (type == kContinuation) {
        if (size < 16) return false;
        chunks.emplace_back(readU64(&file[data]), readU64(&file[data + 8]));
      } else if (!visit(type, data, size)) {
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
bool findTimes(const std::vector<uint8_t>& file, uint64_t addr, uint32_t from, uint32_t to, std::vector<uint64_t>& out) {
  constexpr uint16_t kMtime = 0x12;
  return walkHeader(file, addr, [&](uint16_t type, uint64_t data, uint16_t size) {
    if (type != kMtime) return true;
    uint32_t t = size >= 8 && file[data] == 1 ? readU32(&file[data + 4]) : 0;
    if (t < from || t > to) return false;
    out.push_back(data + 4);
    return true;
  });
}

uint64_t pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Where the value of each attribute `names[k]` of the object header at `addr` starts, from its
// attribute message (type 0x0C; versions 1, with fields padded to 8 bytes, 2 and 3, unpadded,
// 3 with a name-encoding byte); false when one is missing or its value is not 8 bytes.
bool findAttributeValues(const std::vector<uint8_t>& file, uint64_t addr, const std::vector<std::string>& names, std::vector<uint64_t>& out) {
  constexpr uint16_t kAttribute = 0x0C;
  out.assign(names.size(), 0);
  size_t found = 0;
  bool ok = walkHeader(file, addr, [&](uint16_t type, uint64_t data, uint16_t size) {
    if (type != kAttribute || size < 8) return true;
    uint8_t version = file[data];
    if (version < 1 || version > 3) return false;
    uint64_t nameSize = readU16(&file[data + 2]), typeSize = readU16(&file[data + 4]), spaceSize = readU16(&file[data + 6]);
    uint64_t at = data + (version == 3 ? 9 : 8);
    if (nameSize == 0 || at + nameSize > data + size) return false;
    std::string name(reinterpret_cast<const char*>(&file[at]), nameSize - 1);
    uint64_t value = version == 1 ? at + pad8(nameSize) + pad8(typeSize) + pad8(spaceSize) : at + nameSize + typeSize + spaceSize;
    for (size_t k = 0; k < names.size(); k++) {
      if (names[k] != name || out[k] != 0) continue;
      if (value + 8 > data + size) return false;
      out[k] = value;
      found++;
    }
    return true;
  });
  return ok && found == names.size();
}

// Writes all of `bytes` to `fd`; 0 or the errno.
int writeAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

bool readFile(const std::string& path, std::vector<uint8_t>& out, size_t limit) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  out.resize(limit + 1);
  size_t n = std::fread(out.data(), 1, out.size(), f);
  bool ok = !std::ferror(f) && n <= limit;
  std::fclose(f);
  out.resize(n);
  return ok;
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
    if (!d.Get("maxshape").IsUndefined() || !d.Get("chunks").IsUndefined() || !d.Get("fillValue").IsUndefined()) return;
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
    // A large file is all values: libhdf5's per-file cost does not matter, and it is not kept.
    bytes += values.ByteLength();
    if (bytes > kMaxImageBytes) return;
    req.names.push_back(name);
    req.values.push_back(typedArrayBytes(values));
    req.sizes.push_back(values.ByteLength());
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
  if (!readFile(writtenPath, image.bytes, kMaxImageBytes)) return;
  const std::vector<uint8_t>& file = image.bytes;
  // The values must sit where libhdf5 said, and the times where the format puts them.
  for (size_t i = 0; i < req.names.size(); i++) {
    uint64_t at = slots.valueOffsets[i];
    if (at + req.sizes[i] > file.size() || std::memcmp(&file[at], req.values[i], req.sizes[i]) != 0) return;
    image.valueOffsets.push_back(at);
  }
  // The root group's header (objectAddresses[0]) holds the attributes.
  if (!req.attributeNames.empty()) {
    if (!findAttributeValues(file, slots.objectAddresses[0], req.attributeNames, image.attributeOffsets)) return;
    for (size_t k = 0; k < req.attributeNames.size(); k++)
      if (std::memcmp(&file[image.attributeOffsets[k]], req.attributeValues[k].data(), 8) != 0) return;
  }
  for (uint64_t addr : slots.objectAddresses)
    if (!findTimes(file, addr, slots.writtenFrom, slots.writtenTo, image.mtimeOffsets)) return;
  if (images_.size() >= kMaxImages) images_.pop_front();
  images_.push_back(std::move(image));
}

void FileImages::write(const ImageRequest& req, const std::string& path, const std::string& tmp) {
  const Image* image = findImage(req.key);
  if (!image) throw AddonError("ERR_HDF5", "internal: no file image for '" + path + "'");
  thread_local std::vector<uint8_t> bytes;
  bytes.assign(image->bytes.begin(), image->bytes.end());
  for (size_t i = 0; i < req.values.size(); i++) std::memcpy(&bytes[image->valueOffsets[i]], req.values[i], req.sizes[i]);
  for (size_t k = 0; k < req.attributeValues.size(); k++) std::memcpy(&bytes[image->attributeOffsets[k]], req.attributeValues[k].data(), 8);
  // libhdf5 stamps a dataset with the time it was created (seconds, little-endian).
  uint32_t now = stampSeconds();
  for (uint64_t at : image->mtimeOffsets)
    for (int b = 0; b < 4; b++) bytes[at + b] = static_cast<uint8_t>(now >> (8 * b));

  // An unnamed file in the folder (O_TMPFILE), linked in under its name once complete: the
  // name appears with the whole file, and a crash leaves nothing behind. Measured on ext4:
  // ≈ 10 µs per file less than creating, then renaming, a temporary name. Where the file system
  // cannot, or the name exists (linkat does not replace), a temporary name and rename.
  std::string folder = path.substr(0, path.find_last_of('/') + 1);
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
  if (fd >= 0) {
    int err = writeAll(fd, bytes);
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
  int err = writeAll(fd, bytes);
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    std::remove(tmp.c_str());
    throw AddonError("ERR_HDF5", "cannot write '" + tmp + "': " + std::strerror(err));
  }
  renameIntoPlace(tmp, path);
  filesWritten_++;
}

}  // namespace h5n
