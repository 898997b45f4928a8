"""Resumable HTTP downloads that never leave a partial file under the final name.

Bytes go to ``<name>.part``; a small ``<name>.part.json`` beside it remembers the URL
and the server's validator (ETag or Last-Modified). After an interruption — a dropped
connection, a timeout, a killed process — the next attempt asks only for the missing
bytes (``Range: bytes=<have>-``) with ``If-Range`` set to that validator, so a server
whose file changed meanwhile sends the whole new file instead of a mismatched tail.
Only a file of the announced length is renamed to its final name.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cerulean_tiling.acquire.retry import TRANSIENT_HTTP_STATUS, RetryPolicy, retry_call
from cerulean_tiling.errors import FetchAuthError, FetchError, JSONReadError, SceneNotFoundError
from cerulean_tiling.jsonio import read_json_object, write_json
from cerulean_tiling.optional import import_optional

logger = logging.getLogger(__name__)

PART_SUFFIX = ".part"
# Bytes of a chunk still in flight when a connection dies are lost; keep chunks small.
_CHUNK = 1 << 16
_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)")


class _RetryableError(Exception):
    """A failure worth another attempt (server fault, short body, bad resume)."""


def fetch_file(
    url: str,
    dest: Path,
    session: Any,
    policy: RetryPolicy,
    auth: Any = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Download ``url`` to ``dest``, resuming a ``dest.part`` left by an earlier attempt.

    Args:
        url: an http(s) URL.
        dest: the final path; it only ever holds a complete file.
        session: a ``requests.Session``.
        policy: attempts, backoff and the connect/read timeout.
        auth: a ``requests`` auth object, or None.
        progress: called with the number of bytes received, as they arrive.

    Returns:
        The number of bytes transferred by this call (0 when ``dest`` already existed).

    Raises:
        FetchAuthError: the server answered 401 or 403.
        SceneNotFoundError: the server answered 404 or 410.
        FetchError: other failures, once the retries are used up; ``dest.part`` is kept so
            that the next call resumes.
    """
    dest = Path(dest)
    if dest.is_file():
        return 0
    requests = import_optional("requests")
    part = dest.with_name(dest.name + PART_SUFFIX)
    meta = dest.with_name(dest.name + PART_SUFFIX + ".json")
    transferred = [0]

    def attempt() -> None:
        transferred[0] += _attempt(url, part, meta, session, policy, auth, progress)

    def is_transient(exc: BaseException) -> bool:
        return isinstance(
            exc,
            _RetryableError
            | requests.ConnectionError
            | requests.Timeout
            | requests.exceptions.ChunkedEncodingError,
        )

    try:
        retry_call(attempt, policy, is_transient, f"download of {url}")
    except FetchError:
        raise
    except Exception as exc:
        raise FetchError(
            f"{url}: download failed after {policy.attempts} attempt(s): {_one_line(exc)}; "
            f"{part.stat().st_size if part.exists() else 0} bytes kept in {part} for resuming"
        ) from exc
    part.replace(dest)
    meta.unlink(missing_ok=True)
    return transferred[0]


def _attempt(
    url: str,
    part: Path,
    meta: Path,
    session: Any,
    policy: RetryPolicy,
    auth: Any,
    progress: Callable[[int], None] | None,
) -> int:
    """One GET: resume or restart ``part``; return the bytes received. Raises on failure."""
    offset = part.stat().st_size if part.exists() else 0
    validator = _validator(meta, url) if offset else None
    headers = {}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        if validator:
            headers["If-Range"] = validator
    with session.get(
        url, headers=headers, auth=auth, stream=True, timeout=(policy.timeout, policy.timeout)
    ) as response:
        status = response.status_code
        if status in (401, 403):
            raise FetchAuthError(f"{url}: access refused (HTTP {status}); check the credentials")
        if status in (404, 410):
            raise SceneNotFoundError(f"{url}: not found on the server (HTTP {status})")
        if status == 416:
            total = _parse_content_range(response.headers.get("Content-Range"))[2]
            if total is not None and total == offset:
                return 0
            part.unlink(missing_ok=True)
            raise _RetryableError(f"HTTP 416 when resuming at byte {offset}; restarting")
        if status in TRANSIENT_HTTP_STATUS:
            raise _RetryableError(f"HTTP {status} {response.reason}")
        if status not in (200, 206):
            raise FetchError(f"{url}: unexpected HTTP {status} {response.reason}")
        if status == 206:
            start, _, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                part.unlink(missing_ok=True)
                raise _RetryableError(f"server resumed at byte {start}, not {offset}")
            mode = "ab"
        else:
            if offset:
                logger.info("%s: the server sent the whole file; restarting", url)
            offset, mode = 0, "wb"
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None and length.isdigit() else None
        _write_meta(meta, url, response.headers)
        received = 0
        with part.open(mode) as out:
            for chunk in response.iter_content(_CHUNK):
                out.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(len(chunk))
    size = offset + received
    if total is not None and size != total:
        raise _RetryableError(f"received {size} of {total} bytes")
    return received


def _parse_content_range(value: str | None) -> tuple[int | None, int | None, int | None]:
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None, None, None
    first, last, total = match.groups()
    return (
        int(first) if first else None,
        int(last) if last else None,
        int(total) if total and total != "*" else None,
    )


def _validator(meta: Path, url: str) -> str | None:
    try:
        doc = read_json_object(meta, "download state")
    except JSONReadError:
        return None
    if doc.get("url") != url:
        return None
    value = doc.get("etag") or doc.get("last_modified")
    return value if isinstance(value, str) else None


def _write_meta(meta: Path, url: str, headers: Any) -> None:
    doc = {"url": url, "etag": headers.get("ETag"), "last_modified": headers.get("Last-Modified")}
    write_json(meta, doc, what="download state")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


__all__ = ["PART_SUFFIX", "fetch_file"]
