"""The one file hash and the one "what differs" message every package's reruns use."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cerulean_tiling.fingerprints import setting_differences, sha256_file


def test_sha256_file_hashes_every_chunk(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # over two 1 MiB chunks
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file(str(path)) == sha256_file(path)


def test_differences_name_nested_keys_in_order() -> None:
    old = {"model": "a.ts", "preset": {"poly": 0.5, "pixel": 0.9}, "land": None}
    new = {"model": "a.ts", "preset": {"poly": 0.6, "pixel": 0.9}, "aux": []}
    # A key missing on one side reads as None: a recorded None equals an absent key.
    assert setting_differences(old, new) == "aux: None -> [], preset.poly: 0.5 -> 0.6"
    assert setting_differences(old, old) == ""
