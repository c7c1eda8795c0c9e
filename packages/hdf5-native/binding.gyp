{
  "targets": [
    {
      "target_name": "hdf5_native",
      "sources": ["native/addon.cc", "native/h5util.cc", "native/values.cc", "native/dataset.cc", "native/virtual-dataset.cc",
                  "native/group.cc", "native/attribute.cc", "native/link.cc", "native/file-image.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "<!@(node scripts/find-hdf5.js cflags)"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags!": ["-fno-exceptions"],
      "libraries": ["<!@(node scripts/find-hdf5.js libs)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    }
  ]
}
