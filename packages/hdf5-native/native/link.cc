// Links: external and soft links, moves, removal, existence.
#include "values.h"

namespace h5n {

void createExternalLink(hid_t loc, const std::string& path, const std::string& file, const std::string& obj) {
  checkStatus(H5Lcreate_external(file.c_str(), obj.c_str(), loc, path.c_str(), lcplFor(path), H5P_DEFAULT),
              "cannot create external link '" + path + "' -> '" + file + "':'" + obj + "'");
}

void createSoftLink(hid_t loc, const std::string& path, const std::string& target) {
  checkStatus(H5Lcreate_soft(target.c_str(), loc, path.c_str(), lcplFor(path), H5P_DEFAULT),
              "cannot create soft link '" + path + "' -> '" + target + "'");
}

void removeLink(hid_t loc, const std::string& path) {
  checkStatus(H5Ldelete(loc, path.c_str(), H5P_DEFAULT), "cannot remove '" + path + "'");
}

void moveLink(hid_t loc, const std::string& from, const std::string& to) {
  checkStatus(H5Lmove(loc, from.c_str(), loc, to.c_str(), lcplFor(to), H5P_DEFAULT), "cannot move '" + from + "' to '" + to + "'");
}

bool linkExists(hid_t loc, const std::string& path) {
  // H5Lexists needs every intermediate link to exist, so check prefix by prefix.
  std::string prefix = path[0] == '/' ? "/" : "";
  size_t pos = prefix.size();
  while (pos < path.size()) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) {
      if (!prefix.empty() && prefix.back() != '/') prefix += '/';
      prefix += path.substr(pos, next - pos);
      htri_t r = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
      if (r <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    pos = next + 1;
  }
  return true;
}

}  // namespace h5n
