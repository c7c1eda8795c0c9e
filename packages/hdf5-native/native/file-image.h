// Payload files of one structure (same dataset names, dtypes and shapes) differ only in their
// values and the datasets' modification times. After libhdf5 wrote two files of a structure,
// later ones are the second file's bytes with the values and times replaced, written
// without libhdf5: creating an HDF5 file costs libhdf5 ≈ 1.3 M instructions (a fresh metadata
// cache per file), far more than the few KiB it writes. Values of kDirectBytes or more are not
// kept: such a file is the image's bytes and the caller's typed arrays in one writev, without
// the libhdf5 lock, so threads write large files in parallel.
#pragma once
#include <napi.h>
#include <cstdint>
#include <array>
#include <deque>
#include <string>
#include <vector>
#include "h5util.h"

namespace h5n {

// The time in seconds as libhdf5 stamps objects (gettimeofday). Not std::time: glibc's time()
// reads the coarse clock, up to a tick behind, so just after a second began it could say a file
// written that instant was stamped in the future.
uint32_t stampSeconds();

// The datasets of one writeFileAtomic call, when an image can stand for the file.
struct ImageRequest {
  std::string key;  // names, dtypes and shapes; empty: libhdf5 must write this file
  std::vector<std::string> names;
  std::vector<const uint8_t*> values;  // the typed arrays' bytes, laid out as the file type
  std::vector<size_t> sizes;
  // Per dataset: values of kDirectBytes or more are not kept in the image; a file from it gets
  // them straight from the typed array (writev), the image holding only the bytes around them.
  std::vector<bool> direct;
  // Root attributes an image can hold: scalars of float64 (numbers) or int64 (bigints), their
  // values as the file stores them (little-endian).
  std::vector<std::string> attributeNames;
  std::vector<std::array<uint8_t, 8>> attributeValues;
};

// Where a file libhdf5 wrote keeps what changes from file to file of its structure.
struct ImageSlots {
  std::vector<uint64_t> valueOffsets;  // one per dataset
  std::vector<uint64_t> objectAddresses;  // object headers (root group, datasets): their times
  uint32_t writtenFrom = 0, writtenTo = 0;  // the seconds in which libhdf5 wrote the file
};

class FileImages {
 public:
  // Fills `req` from writeFileAtomic's arguments; req.key stays empty for what an image cannot
  // hold (attributes other than numbers and bigints, strings, converted values, chunking, nested
  // paths, no values).
  static void describe(const Napi::Array& datasets, const Napi::Array& attributes, ImageRequest& req);
  // Whether an image of req's structure is kept.
  bool has(const ImageRequest& req) const { return !req.key.empty() && findImage(req.key) != nullptr; }
  // Whether libhdf5's file for req should become an image: on the second file of a structure
  // (a structure seen once, e.g. results of varying shapes, is not worth reading back).
  bool wantImage(const ImageRequest& req);
  // Before libhdf5 closes that file: where its values and times are.
  // False when the file does not have the plain layout an image needs.
  static bool locate(hid_t fid, const ImageRequest& req, ImageSlots& slots);
  // After libhdf5 closed it: keeps the file's bytes if they hold exactly what locate() found.
  void remember(const std::string& writtenPath, const ImageRequest& req, const ImageSlots& slots);
  // Writes req's file from its image (has(req) must be true) so that `path` appears complete,
  // replacing a file there; `tmp` is the temporary name to use if one is needed.
  void write(const ImageRequest& req, const std::string& path, const std::string& tmp);

  size_t imageCount() const { return images_.size(); }
  size_t filesWritten() const { return filesWritten_; }

  // Images kept at most (the oldest goes); the most bytes an image keeps (the file without its
  // direct datasets' values); datasets of at least kDirectBytes are written from the caller's
  // typed array, not kept.
  static constexpr size_t kMaxImages = 8, kMaxSeenOnce = 64;
  static constexpr size_t kMaxImageBytes = 256 * 1024;
  static constexpr size_t kDirectBytes = 64 * 1024;

 private:
  // Where a direct dataset's values go: before bytes[at] (kept bytes are the file without them).
  struct Gap {
    uint64_t at;
    size_t dataset;
  };
  struct Image {
    std::string key;
    std::vector<uint8_t> bytes;  // the file but for its direct datasets' values
    std::vector<Gap> gaps;  // in file order
    std::vector<uint64_t> valueOffsets;  // in bytes (direct datasets: unused)
    std::vector<uint64_t> attributeOffsets;  // in ImageRequest::attributeNames' order
    std::vector<uint64_t> mtimeOffsets;
  };
  std::deque<Image> images_;
  std::deque<std::string> seenOnce_;  // keys of structures libhdf5 wrote once, most recent last
  size_t filesWritten_ = 0;
  const Image* findImage(const std::string& key) const;
};

}  // namespace h5n
