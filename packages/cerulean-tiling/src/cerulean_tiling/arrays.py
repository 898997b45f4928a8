"""NumPy array type aliases, named by element type, for every Cerulean package.

One set, so that an alias means the same dtype wherever it is read: ``Float32Array``
is float32 everywhere, and ``FloatArray`` is any floating dtype (for functions that
take float32 or float64 alike).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
UInt8Array = npt.NDArray[np.uint8]
Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
Float32Array = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.floating[Any]]

__all__ = ["BoolArray", "Float32Array", "Float64Array", "FloatArray", "Int32Array",
           "Int64Array", "UInt8Array"]
