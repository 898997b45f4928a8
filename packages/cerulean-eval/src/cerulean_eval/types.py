"""Array aliases shared by the metric modules."""

from __future__ import annotations

from typing import Any

import numpy as np

UInt8Array = np.ndarray[Any, np.dtype[np.uint8]]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
Int64Array = np.ndarray[Any, np.dtype[np.int64]]
Int32Array = np.ndarray[Any, np.dtype[np.int32]]
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
Float32Array = np.ndarray[Any, np.dtype[np.float32]]

__all__ = ["BoolArray", "Float32Array", "FloatArray", "Int32Array", "Int64Array", "UInt8Array"]
