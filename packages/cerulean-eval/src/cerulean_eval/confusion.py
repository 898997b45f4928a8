"""Pixel confusion matrices over label rasters, counted by numba kernels.

``counts[t, p]`` is the number of valid pixels whose true class index is ``t`` and
whose predicted class index is ``p`` (rows: truth, columns: prediction).

Label rasters are long runs of one class, so the kernel reads eight pixels at a time
as one 64-bit word: when the truth word, the prediction word and the validity word
are each one byte repeated eight times, the eight pixels fall in one cell, and so do
those of the identical words that follow; the whole run is added with one store.
Mixed words (class edges, nodata borders) take the per-pixel path. A per-pixel
increment would stall on the store to the same cell, pixel after pixel; tiles wholly
inside their scene are counted without reading a validity mask at all.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from cerulean_tiling.arrays import BoolArray, Int64Array, UInt8Array


@njit(cache=True, nogil=True)
def _count_words(truth8: np.ndarray, pred8: np.ndarray, valid8: np.ndarray,
                 truth: np.ndarray, pred: np.ndarray, valid: np.ndarray,
                 n_classes: int, out: np.ndarray) -> int:
    """Add pixel pairs to ``out`` (flat, ``n_classes**2``); return the count out of range."""
    bad = 0
    repeat = np.uint64(0x0101010101010101)
    low = np.uint64(0xFF)
    n_words = truth8.size
    w = 0
    while w < n_words:
        t = truth8[w]
        p = pred8[w]
        v = valid8[w]
        t0 = t & low
        p0 = p & low
        if v == repeat and t == t0 * repeat and p == p0 * repeat:
            # A uniform word; the words after it are often the very same (long runs).
            n = 1
            while w + n < n_words and truth8[w + n] == t and pred8[w + n] == p \
                    and valid8[w + n] == v:
                n += 1
            if t0 < n_classes and p0 < n_classes:
                out[np.intp(t0) * n_classes + np.intp(p0)] += 8 * n
            else:
                bad += 8 * n
            w += n
            continue
        for j in range(w * 8, w * 8 + 8):
            if valid[j]:
                ti = np.intp(truth[j])
                pi = np.intp(pred[j])
                if ti < n_classes and pi < n_classes:
                    out[ti * n_classes + pi] += 1
                else:
                    bad += 1
        w += 1
    for j in range(n_words * 8, truth.size):
        if valid[j]:
            ti = np.intp(truth[j])
            pi = np.intp(pred[j])
            if ti < n_classes and pi < n_classes:
                out[ti * n_classes + pi] += 1
            else:
                bad += 1
    return bad


@njit(cache=True, nogil=True)
def _count_words_all(truth8: np.ndarray, pred8: np.ndarray, truth: np.ndarray,
                     pred: np.ndarray, n_classes: int, out: np.ndarray) -> int:
    """:func:`_count_words` for a tile without nodata (one array less to read)."""
    bad = 0
    repeat = np.uint64(0x0101010101010101)
    low = np.uint64(0xFF)
    n_words = truth8.size
    w = 0
    while w < n_words:
        t = truth8[w]
        p = pred8[w]
        t0 = t & low
        p0 = p & low
        if t == t0 * repeat and p == p0 * repeat:
            n = 1
            while w + n < n_words and truth8[w + n] == t and pred8[w + n] == p:
                n += 1
            if t0 < n_classes and p0 < n_classes:
                out[np.intp(t0) * n_classes + np.intp(p0)] += 8 * n
            else:
                bad += 8 * n
            w += n
            continue
        for j in range(w * 8, w * 8 + 8):
            ti = np.intp(truth[j])
            pi = np.intp(pred[j])
            if ti < n_classes and pi < n_classes:
                out[ti * n_classes + pi] += 1
            else:
                bad += 1
        w += 1
    for j in range(n_words * 8, truth.size):
        ti = np.intp(truth[j])
        pi = np.intp(pred[j])
        if ti < n_classes and pi < n_classes:
            out[ti * n_classes + pi] += 1
        else:
            bad += 1
    return bad


def _words(flat: UInt8Array) -> np.ndarray:
    n = flat.size - flat.size % 8
    return flat[:n].view(np.uint64)


def confusion_counts(truth: UInt8Array, pred: UInt8Array, n_classes: int,
                     valid: BoolArray | None = None,
                     out: Int64Array | None = None) -> Int64Array:
    """Count (truth, prediction) pixel pairs into an ``n_classes × n_classes`` matrix.

    Args:
        truth: true class indices, uint8, any shape.
        pred: predicted class indices, uint8, the shape of ``truth``.
        n_classes: number of classes K (background included); indices are 0 … K−1.
        valid: pixels to count (nodata excluded); all pixels when None.
        out: a K × K int64 matrix to add into (accumulating over tiles); a new one
            when None.

    Returns:
        ``out`` (or the new matrix) with the counts added.

    Raises:
        ValueError: shapes differ, the dtype is not uint8, or a label is ≥ ``n_classes``.
    """
    if truth.shape != pred.shape or (valid is not None and valid.shape != truth.shape):
        raise ValueError(f"shapes differ: truth {truth.shape}, prediction {pred.shape}"
                         + ("" if valid is None else f", valid {valid.shape}"))
    if truth.dtype != np.uint8 or pred.dtype != np.uint8:
        raise ValueError(f"label rasters must be uint8, got {truth.dtype} and {pred.dtype}")
    if not 1 <= n_classes <= 256:
        raise ValueError(f"n_classes {n_classes} is outside 1–256")
    if out is None:
        out = np.zeros((n_classes, n_classes), dtype=np.int64)
    elif out.shape != (n_classes, n_classes) or out.dtype != np.int64:
        raise ValueError(f"out must be int64 of shape {(n_classes, n_classes)}")
    t = np.ascontiguousarray(truth).reshape(-1)
    p = np.ascontiguousarray(pred).reshape(-1)
    flat = out.reshape(-1)
    if valid is None:
        bad: int = _count_words_all(_words(t), _words(p), t, p, n_classes, flat)
    else:
        v = np.ascontiguousarray(valid).reshape(-1).view(np.uint8)
        bad = _count_words(_words(t), _words(p), _words(v), t, p, v, n_classes, flat)
    if bad:
        raise ValueError(f"{bad} pixels carry a class index ≥ {n_classes}")
    return out


_SLACK = 1e-6
"""A confidence this close below a threshold reaches it: float32 scores such as 0.7
are stored as 0.69999999, and "score ≥ 0.7" must hold for them."""


@njit(cache=True, nogil=True)
def _score_histogram(truth: np.ndarray, label: np.ndarray, score: np.ndarray,
                     valid: np.ndarray, n_bins: int, n_classes: int,
                     out: np.ndarray) -> int:
    bad = 0
    for j in range(truth.size):
        if valid[j]:
            ti = np.intp(truth[j])
            li = np.intp(label[j])
            if ti >= n_classes or li >= n_classes:
                bad += 1
                continue
            s = score[j]
            b = min(max(int((s + _SLACK) * n_bins), 0), n_bins - 1)
            out[(b * n_classes + ti) * n_classes + li] += 1
    return bad


def score_histogram(truth: UInt8Array, label: UInt8Array, score: np.ndarray,
                    n_classes: int, n_bins: int, valid: BoolArray | None = None,
                    out: Int64Array | None = None) -> Int64Array:
    """Histogram of (confidence bin, true class, candidate class) over valid pixels.

    ``score`` is each pixel's oil confidence (0–1) and ``label`` the oil class it
    would be predicted as (≥ 1). Bin ``b`` holds confidences in ``[b/n_bins,
    (b+1)/n_bins)`` (less 10⁻⁶, for float32 rounding); from the histogram the
    confusion matrix at every threshold ``b/n_bins`` follows without another pass
    (:func:`sweep_counts`).

    Returns:
        int64 array ``[n_bins, n_classes, n_classes]`` (``out`` when given, added to).
    """
    if not truth.shape == label.shape == score.shape:
        raise ValueError(f"shapes differ: truth {truth.shape}, label {label.shape}, "
                         f"score {score.shape}")
    if out is None:
        out = np.zeros((n_bins, n_classes, n_classes), dtype=np.int64)
    v = (np.ones(truth.size, dtype=np.uint8) if valid is None
         else np.ascontiguousarray(valid).reshape(-1).view(np.uint8))
    bad: int = _score_histogram(np.ascontiguousarray(truth).reshape(-1),
                           np.ascontiguousarray(label).reshape(-1),
                           np.ascontiguousarray(score, dtype=np.float32).reshape(-1),
                           v, n_bins, n_classes, out.reshape(-1))
    if bad:
        raise ValueError(f"{bad} pixels carry a class index ≥ {n_classes}")
    return out


def sweep_counts(histogram: Int64Array) -> Int64Array:
    """Confusion matrices at thresholds ``b / n_bins`` for every bin ``b``.

    At threshold ``b / n_bins`` a pixel is predicted as its candidate class when its
    confidence bin is ≥ ``b`` and as background (index 0) otherwise.

    Returns:
        int64 ``[n_bins, K, K]``: entry ``b`` is the confusion matrix at ``b / n_bins``.
    """
    above = np.cumsum(histogram[::-1], axis=0)[::-1]
    below_rows = np.concatenate([np.zeros_like(histogram[:1]), np.cumsum(histogram, axis=0)[:-1]])
    result = above.copy()
    result[:, :, 0] += below_rows.sum(axis=2)
    return np.ascontiguousarray(result)


__all__ = ["confusion_counts", "score_histogram", "sweep_counts"]
