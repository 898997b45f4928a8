"""Pushing datasets to S3 and pulling them back: parallel, multipart, verified, resumable.

A dataset folder maps onto ``s3://bucket/prefix/<relative path>``. Every object carries
the SHA-256 of its bytes in its metadata (``x-amz-meta-sha256``), which makes both
directions resumable and checkable:

- push skips files whose object already has the same size and SHA-256; uploads ask S3
  to verify each part (``ChecksumAlgorithm=SHA256``), and a HEAD afterwards checks that
  the object has the expected size and checksum.
- pull skips local files of the right size and SHA-256; downloads land in
  ``<name>.part`` and are renamed only once their size and SHA-256 match the object.

Large files go up and down in parallel parts (boto3's transfer manager); several files
move at once. Transient faults (timeouts, dropped connections, 5xx, throttling) are
retried by botocore with backoff; an interrupted run resumes at file granularity —
files already complete are not transferred again. ``annotations.json`` and
``manifest.json`` move last, so a reader never finds annotations whose tiles are missing.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

from cerulean_coco.errors import (
    MissingExtraError,
    RemoteNotFoundError,
    TransferAuthError,
    TransferError,
)
from cerulean_coco.format.hashing import sha256_file
from cerulean_tiling import RetryPolicy
from cerulean_tiling.acquire.s3 import classify_s3_error, s3_client, s3_session
from cerulean_tiling.acquire.s3 import split_s3 as _split_s3
from cerulean_tiling.errors import FetchAuthError, S3LocationError, UnsafePathError
from cerulean_tiling.paths import safe_relative as checked_relative
from cerulean_tiling.paths import utf8_path

logger = logging.getLogger(__name__)

CHECKSUM_KEY = "sha256"
"""User-metadata key holding the hex SHA-256 of an object's bytes."""
PART_SUFFIX = ".part"
_LAST = ("manifest.json", "annotations.json")
_MIB = 1 << 20


@dataclass(frozen=True)
class TransferSettings:
    """How to talk to S3.

    Attributes:
        workers: files moved at once; each large file also moves ``workers`` parts at once.
        part_size: multipart chunk size in bytes (S3's minimum is 5 MiB).
        threshold: files at least this large go multipart.
        attempts: tries per request, the first included (botocore standard retry mode).
        timeout: seconds to wait for a connection or for data.
        requester_pays: send ``x-amz-request-payer: requester`` (buckets billed to readers).
        profile: AWS profile name, or None for the usual AWS configuration.
    """

    workers: int = 8
    part_size: int = 64 * _MIB
    threshold: int = 64 * _MIB
    attempts: int = 5
    timeout: float = 60.0
    requester_pays: bool = False
    profile: str | None = None


@dataclass(frozen=True)
class TransferReport:
    """What a push or pull did: files moved, files skipped as already there, bytes moved."""

    transferred: tuple[str, ...]
    skipped: tuple[str, ...]
    bytes: int


def push(
    dataset: Path, destination: str, settings: TransferSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> TransferReport:
    """Upload the files of ``dataset`` under ``s3://bucket/prefix``.

    Raises:
        TransferError: ``dataset`` is not a folder, or an upload failed after retries.
        TransferAuthError: S3 refused the credentials.
        RemoteNotFoundError: the bucket does not exist.
    """
    dataset = Path(dataset)
    if not dataset.is_dir():
        raise TransferError(f"{dataset}: not a dataset folder")
    settings = settings or TransferSettings()
    bucket, prefix = split_s3(destination)
    files = _ordered(_local_files(dataset))
    if not files:
        raise TransferError(f"{dataset}: holds no files to push")
    client = _client(settings)
    config = _transfer_config(settings)

    def one(relative: str) -> tuple[str, int]:
        path = dataset / relative
        key = _join(prefix, relative)
        digest, size = sha256_file(path), path.stat().st_size
        head = _head(client, bucket, key, settings)
        if head is not None and _matches(head, size, digest):
            return "skipped", 0
        extra: dict[str, Any] = {"Metadata": {CHECKSUM_KEY: digest}, "ChecksumAlgorithm": "SHA256"}
        if settings.requester_pays:
            extra["RequestPayer"] = "requester"
        _guard(lambda: client.upload_file(str(path), bucket, key, ExtraArgs=extra,
                                          Config=config, Callback=progress),
               f"s3://{bucket}/{key}")
        head = _head(client, bucket, key, settings)
        if head is None or not _matches(head, size, digest):
            raise TransferError(f"s3://{bucket}/{key}: uploaded object does not match {path}")
        return "transferred", size

    return _run(files, one, settings)


def pull(
    source: str, dataset: Path, settings: TransferSettings | None = None,
    progress: Callable[[int], None] | None = None,
) -> TransferReport:
    """Download every object under ``s3://bucket/prefix`` into the folder ``dataset``.

    Raises:
        RemoteNotFoundError: the bucket does not exist or the prefix is empty.
        TransferAuthError: S3 refused the credentials.
        TransferError: a download failed after retries, or its checksum did not match.
    """
    settings = settings or TransferSettings()
    bucket, prefix = split_s3(source)
    dataset = Path(dataset)
    client = _client(settings)
    config = _transfer_config(settings)
    objects = _list(client, bucket, prefix, settings)
    if not objects:
        raise RemoteNotFoundError(f"s3://{bucket}/{prefix}: no objects under this prefix")
    locals_ = {r: safe_relative(f"s3://{bucket}/{_join(prefix, r)}", r) for r in objects}
    payer = {"RequestPayer": "requester"} if settings.requester_pays else {}

    def one(relative: str) -> tuple[str, int]:
        key = _join(prefix, relative)
        target = dataset.joinpath(*locals_[relative].parts)
        head = _head(client, bucket, key, settings)
        if head is None:
            raise RemoteNotFoundError(f"s3://{bucket}/{key}: object vanished during the pull")
        size = int(head["ContentLength"])
        expected = head.get("Metadata", {}).get(CHECKSUM_KEY)
        if target.is_file() and target.stat().st_size == size and (
            expected is None or sha256_file(target) == expected
        ):
            return "skipped", 0
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + PART_SUFFIX)
        _guard(lambda: client.download_file(bucket, key, str(part), ExtraArgs=payer or None,
                                            Config=config, Callback=progress),
               f"s3://{bucket}/{key}")
        got = part.stat().st_size
        if got != size or (expected is not None and sha256_file(part) != expected):
            part.unlink(missing_ok=True)
            raise TransferError(
                f"s3://{bucket}/{key}: downloaded bytes do not match the object's "
                f"{'size' if got != size else 'SHA-256'}; nothing was kept"
            )
        os.replace(part, target)
        return "transferred", size

    return _run(_ordered(objects), one, settings)


def split_s3(location: str) -> tuple[str, str]:
    """``(bucket, prefix)`` of ``s3://bucket/prefix`` (prefix without surrounding slashes).

    The rules are cerulean-tiling's (:func:`cerulean_tiling.split_s3`), shared by both.

    Raises:
        TransferError: not an ``s3://`` URL with a bucket name.
    """
    try:
        return _split_s3(location)
    except S3LocationError as exc:
        raise TransferError(str(exc)) from None


def safe_relative(key: str, relative: str) -> PurePosixPath:
    """The local relative path for an object key's part under the pulled prefix.

    A key comes from a bucket that may be shared or compromised: it must name a file
    strictly inside the destination folder (cerulean-tiling's :func:`safe_relative`).

    Raises:
        TransferError: the key holds a backslash, an empty, ``.`` or ``..`` segment, or
            an absolute part (the message names the key).
    """
    try:
        return checked_relative(relative, "object key")
    except UnsafePathError:
        raise TransferError(
            f"{key}: object key would be written outside the destination folder "
            "(absolute, '..', '.', empty segment or backslash); nothing was downloaded"
        ) from None


def _run(
    relatives: list[str], one: Callable[[str], tuple[str, int]], settings: TransferSettings
) -> TransferReport:
    """Move the data files in parallel, then the index files, stopping at the first error."""
    done: dict[str, list[str]] = {"transferred": [], "skipped": []}
    moved = 0
    lock = threading.Lock()
    first = [r for r in relatives if PurePosixPath(r).name not in _LAST or "/" in r]
    last = [r for r in relatives if r not in first]
    for batch in (first, last):
        with ThreadPoolExecutor(max_workers=settings.workers) as pool:
            for relative, (status, size) in zip(batch, pool.map(one, batch), strict=True):
                with lock:
                    done[status].append(relative)
                    moved += size
                logger.debug("%s: %s", relative, status)
    return TransferReport(tuple(done["transferred"]), tuple(done["skipped"]), moved)


def _ordered(relatives: Iterable[str]) -> list[str]:
    return sorted(relatives, key=lambda r: (PurePosixPath(r).name in _LAST and "/" not in r, r))


def _local_files(root: Path) -> list[str]:
    """Relative POSIX paths of the files under ``root``, minus hidden and partial ones.

    Symbolic links are never followed out of ``root``: a linked file is pushed only when
    its target lies inside ``root``, and linked folders are refused, so a push cannot
    upload what the dataset folder does not hold.

    Raises:
        TransferError: a link points outside ``root``, or a folder is a link.
        FileNameError: a file name is not valid UTF-8 (it could be no object key).
    """
    top = root.resolve()
    found = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in dirs:
            if (base / name).is_symlink():
                raise TransferError(
                    f"{base / name}: is a symbolic link to a folder; push does not follow "
                    "links (copy the files into the dataset)"
                )
        for name in sorted(files):
            path = base / name
            if name.startswith(".") or name.endswith(PART_SUFFIX):
                continue
            if path.is_symlink() and not path.resolve().is_relative_to(top):
                raise TransferError(
                    f"{path}: is a symbolic link out of the dataset folder; refusing to push it"
                )
            if path.is_file():
                # An object key is text: a name that is not UTF-8 is named, not mangled.
                found.append(utf8_path(path, "dataset file").relative_to(root).as_posix())
    return found


def _list(client: Any, bucket: str, prefix: str, settings: TransferSettings) -> list[str]:
    base = f"{prefix}/" if prefix else ""
    extra = {"RequestPayer": "requester"} if settings.requester_pays else {}
    relatives: list[str] = []

    def walk() -> None:
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=base, **extra
        ):
            for item in page.get("Contents", []):
                relative = item["Key"][len(base):]
                if relative and not relative.endswith("/"):
                    relatives.append(relative)

    _guard(walk, f"s3://{bucket}/{base}")
    return relatives


def _head(client: Any, bucket: str, key: str, settings: TransferSettings) -> dict[str, Any] | None:
    """The object's HEAD answer, or None when it does not exist."""
    botocore_exceptions = _import("botocore.exceptions")
    extra = {"RequestPayer": "requester"} if settings.requester_pays else {}
    try:
        head: dict[str, Any] = client.head_object(Bucket=bucket, Key=key, **extra)
    except botocore_exceptions.ClientError as exc:
        if classify_s3_error(exc) == "missing":
            return None
        raise _translate(exc, f"s3://{bucket}/{key}") from None
    except botocore_exceptions.BotoCoreError as exc:
        raise _translate(exc, f"s3://{bucket}/{key}") from None
    return head


def _matches(head: dict[str, Any], size: int, digest: str) -> bool:
    return int(head.get("ContentLength", -1)) == size and (
        head.get("Metadata", {}).get(CHECKSUM_KEY) == digest
    )


def _guard(func: Callable[[], Any], where: str) -> None:
    """Run a boto3 call; turn its failures into package errors."""
    try:
        func()
    except TransferError:
        raise
    except Exception as exc:
        raise _translate(exc, where) from None


def _translate(exc: BaseException, where: str) -> TransferError:
    """The package error for a boto3/botocore/s3transfer failure at ``where``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    kind = classify_s3_error(exc)
    if kind == "no-credentials":
        return TransferAuthError(
            f"{where}: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID)"
        )
    if kind == "refused":
        return TransferAuthError(f"{where}: access refused ({text})")
    if kind == "missing":
        return RemoteNotFoundError(f"{where}: no such bucket or object ({text})")
    return TransferError(f"{where}: {text}")


def _client(settings: TransferSettings) -> Any:
    _import("boto3")
    try:
        session = s3_session(settings.profile)
    except FetchAuthError as exc:
        raise TransferAuthError(str(exc)) from None
    policy = RetryPolicy(attempts=settings.attempts, timeout=settings.timeout)
    return s3_client(session, policy, max_pool_connections=max(10, settings.workers**2))


def _transfer_config(settings: TransferSettings) -> Any:
    transfer = _import("boto3.s3.transfer")
    return transfer.TransferConfig(
        multipart_threshold=settings.threshold,
        multipart_chunksize=settings.part_size,
        max_concurrency=settings.workers,
        use_threads=True,
    )


def _import(module: str) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{module} is needed to push/pull datasets; install it with: "
            'pip install "cerulean-coco[s3]"'
        ) from None


def _join(prefix: str, relative: str) -> str:
    return f"{prefix}/{relative}" if prefix else relative


__all__ = [
    "CHECKSUM_KEY",
    "TransferReport",
    "TransferSettings",
    "pull",
    "push",
    "safe_relative",
    "split_s3",
]
