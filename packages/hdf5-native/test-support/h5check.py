#!/usr/bin/python3
"""Independent reader for the tests (Debian's /usr/bin/python3 with h5py).

  h5check.py dump FILE            JSON of every link/object: kind, dtype, shape, maxshape,
                                  chunks, values, attrs, link targets, virtual sources
  h5check.py dumps FILE...        a JSON list of the dumps of each FILE (one Python start-up)
  h5check.py copy SRC DST         h5py copy of every root member with expand_external=True
Large integers (beyond 2**53) are emitted as strings so JavaScript keeps them exact.
"""
import json
import sys

import h5py
import numpy as np


def plain(value):
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, np.generic):
        return plain(value.item())
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, bool):
        return value
    if isinstance(value, complex):
        return [plain(value.real), plain(value.imag)]  # JSON has no complex numbers
    if isinstance(value, int) and abs(value) > 2**53:
        return str(value)
    if isinstance(value, float) and value != value:
        return None  # NaN (a fill value): JSON has no NaN
    return value


def describe_dataset(ds):
    out = {
        "kind": "dataset",
        "dtype": str(ds.dtype),
        "shape": list(ds.shape),
        "maxshape": list(ds.maxshape) if ds.maxshape is not None else None,
        "chunks": list(ds.chunks) if ds.chunks else None,
        "attrs": {k: plain(v) for k, v in ds.attrs.items()},
        "virtual": ds.is_virtual,
    }
    if h5py.check_string_dtype(ds.dtype) and h5py.check_string_dtype(ds.dtype).length is None:
        out["values"] = plain(ds.asstr()[()])
    else:
        out["values"] = plain(ds[()])
    # h5py 3.7 segfaults on .fillvalue of variable-length string datasets (its own files too).
    if not h5py.check_string_dtype(ds.dtype) or h5py.check_string_dtype(ds.dtype).length is not None:
        out["fillvalue"] = plain(ds.fillvalue)
    if ds.is_virtual:
        out["sources"] = [{"file": s.file_name, "dataset": s.dset_name} for s in ds.virtual_sources()]
    return out


def dump(path):
    result = {}
    with h5py.File(path, "r") as f:
        result["/"] = {"kind": "group", "attrs": {k: plain(v) for k, v in f.attrs.items()}}

        def walk(group, prefix):
            for name in group:
                full = prefix + name
                link = group.get(name, getlink=True)
                if isinstance(link, h5py.ExternalLink):
                    entry = {"kind": "external-link", "file": link.filename, "target": link.path}
                    result[full] = entry
                    try:
                        target = group[name]
                    except Exception as e:  # dangling
                        entry["error"] = str(e)
                        continue
                    if isinstance(target, h5py.Group):
                        entry["resolved"] = {"kind": "group"}
                        walk(target, full + "/")  # an ACME container's comp_i → payload root
                    else:
                        entry["resolved"] = describe_dataset(target)
                    continue
                if isinstance(link, h5py.SoftLink):
                    result[full] = {"kind": "soft-link", "target": link.path}
                    continue
                obj = group[name]
                if isinstance(obj, h5py.Group):
                    result[full] = {"kind": "group", "attrs": {k: plain(v) for k, v in obj.attrs.items()}}
                    walk(obj, full + "/")
                else:
                    result[full] = describe_dataset(obj)

        walk(f, "/")
    return result


def main():
    cmd = sys.argv[1]
    if cmd == "dump":
        print(json.dumps(dump(sys.argv[2])))
    elif cmd == "dumps":
        print(json.dumps([dump(f) for f in sys.argv[2:]]))
    elif cmd == "copy":
        with h5py.File(sys.argv[2], "r") as src, h5py.File(sys.argv[3], "w") as dst:
            for name in src:
                src.copy(src[name], dst, name=name, expand_external=True)
        print(json.dumps(dump(sys.argv[3])))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
