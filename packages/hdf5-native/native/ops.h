// HDF5 operations on an open file or group, taking and returning JavaScript values; one source
// file per HDF5 object kind: dataset.cc, virtual-dataset.cc, group.cc, attribute.cc, link.cc.
// Callers hold an Hdf5Lock.
#pragma once
#include <napi.h>
#include "h5util.h"

namespace h5n {

std::string getString(const Napi::Value& v, const char* what);  // rejects NUL bytes
std::vector<hsize_t> getDims(const Napi::Value& v, const char* what);

struct Selection {
  bool present = false;
  std::vector<hsize_t> start, count;
};
Selection getSelection(const Napi::Value& start, const Napi::Value& count);

// values.cc: getString, getDims, getSelection above. dataset.cc:
Hid createDataset(hid_t loc, const std::string& path, const Napi::Object& spec);  // returns the open dataset
void writeDataset(hid_t loc, const std::string& path, const Napi::Value& data, const Selection& sel);
void writeOpenDataset(hid_t dset, const std::string& path, const Napi::Value& data, const Selection& sel);
// Creates each {path, spec…, data} of `datasets` under `loc` and writes its data.
void createAndWriteDatasets(hid_t loc, const Napi::Array& datasets);
Napi::Object readDataset(Napi::Env env, hid_t loc, const std::string& path, const Selection& sel);
Napi::Object datasetInfo(Napi::Env env, hid_t loc, const std::string& path);
void resizeDataset(hid_t loc, const std::string& path, const std::vector<hsize_t>& shape);
double rawDataOffset(hid_t loc, const std::string& path);  // -1: no contiguous block in the file

// virtual-dataset.cc
void createVirtualDataset(hid_t loc, const std::string& path, const Napi::Object& spec);

// attribute.cc
// A scalar (dtype from the JS type), or with `arrayDtype` a 1-D attribute of a typed array or string[].
void setAttribute(hid_t loc, const std::string& objPath, const std::string& name, const Napi::Value& value,
                  const std::string& arrayDtype = "");
Napi::Object getAttributes(Napi::Env env, hid_t loc, const std::string& objPath);

// group.cc
void createGroup(hid_t loc, const std::string& path);
// For each group name of `groups` (row r): creates the group and in it one dataset per column
// {name, dtype, shape, data} holding row r of the column's typed array (rows of prod(shape)
// elements). Throws RowError at the first row that fails; earlier rows are complete.
void writeRows(hid_t loc, const Napi::Value& groups, const Napi::Array& columns);
Napi::Array listChildren(Napi::Env env, hid_t loc, const std::string& path);

// link.cc
void createExternalLink(hid_t loc, const std::string& path, const std::string& file, const std::string& objectPath);
void createSoftLink(hid_t loc, const std::string& path, const std::string& target);
void removeLink(hid_t loc, const std::string& path);
void moveLink(hid_t loc, const std::string& from, const std::string& to);  // creates missing groups of `to`
bool linkExists(hid_t loc, const std::string& path);

}  // namespace h5n
