"""Compares our decoded pixels with pydicom's pixel_array (Debian's python3-pydicom, numpy, gdcm).

Usage: pixel_compare.py MANIFEST
MANIFEST has one line per file: DICOM_PATH <tab> OUR_NPY (empty when we refused) <tab> OUR_REASON.
Prints one JSON object per line: file, pydicom ("ok" or its error), ours ("ok" or "refused: reason"),
match (dtype, shape and every value equal) and detail.
"""
import json
import sys
import warnings

import numpy as np
import pydicom

warnings.simplefilter("ignore")

for line in open(sys.argv[1], encoding="utf-8"):
    path, ours, reason = (line.rstrip("\n").split("\t") + ["", ""])[:3]
    out = {"file": path, "match": False, "detail": ""}
    try:
        ref = pydicom.dcmread(path, force=True).pixel_array
        out["pydicom"] = "ok"
    except Exception as e:  # pydicom's own refusal is a fact to report, not a failure here
        ref = None
        out["pydicom"] = "error: %s: %s" % (type(e).__name__, str(e)[:200])
    if not ours:
        out["ours"] = "refused: " + reason
    else:
        mine = np.load(ours)
        out["ours"] = "ok"
        if ref is not None:
            if mine.dtype != ref.dtype or mine.shape != ref.shape:
                out["detail"] = "pydicom %s %s, ours %s %s" % (ref.dtype, ref.shape, mine.dtype, mine.shape)
            elif not np.array_equal(mine, ref):
                diff = np.abs(mine.astype(np.int64) - ref.astype(np.int64))
                out["detail"] = "%d values differ, largest by %d" % (int((diff > 0).sum()), int(diff.max()))
            else:
                out["match"] = True
    print(json.dumps(out), flush=True)
