"""Downloading Sentinel-1 scenes through eodag: resumable, and atomic per scene.

Each scene ends up as the folder ``<out>/<scene_id>/`` holding the provider's files (the
GRD GeoTIFF assets of STAC providers, or the SAFE zip of the Copernicus ones). Work
happens in ``<out>/.<scene_id>.part/``, renamed to the final name only when every file
is complete, so a folder under a scene id is always whole and a rerun skips it.

eodag finds the product (a search by id, on the given provider or by eodag's provider
priorities) and authenticates. The bytes of http(s) files are fetched here, resumably
(:mod:`cerulean_tiling.acquire.resumable`): an interrupted rerun asks only for the missing bytes
and never fetches a finished file again. Products that are not plain http(s) files
(S3-only providers, offline products that must be ordered first) are handed to eodag's
own downloader, which resumes at file granularity.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlparse

from cerulean_tiling.acquire.catalogue import COLLECTION, call_eodag, check_provider, open_gateway
from cerulean_tiling.acquire.resumable import fetch_file
from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.errors import OutputError, SceneNotFoundError
from cerulean_tiling.optional import import_optional
from cerulean_tiling.paths import safe_name

logger = logging.getLogger(__name__)

# eodag's order:status of products that can be fetched now ("Not Available": the provider
# does not report a status, which only online archives omit).
_ONLINE = ("succeeded", "online", "Not Available")


@dataclass(frozen=True)
class DownloadResult:
    """What happened to one scene.

    Attributes:
        scene_id: the product id.
        path: the scene's folder under the output directory.
        status: ``downloaded``, or ``skipped`` when the folder was already complete.
        transferred: bytes received during this call.
    """

    scene_id: str
    path: Path
    status: Literal["downloaded", "skipped"]
    transferred: int


def download_scenes(
    scenes: Iterable[str | tuple[str, str | None]],
    out_dir: Path,
    provider: str | None = None,
    asset: str | None = None,
    policy: RetryPolicy | None = None,
    progress: Callable[[int], None] | None = None,
    dag: Any = None,
) -> list[DownloadResult]:
    """Download scenes (ids, or ``(id, provider)`` pairs from a scene list) into ``out_dir``.

    Args:
        scenes: scene ids; a pair's provider is used when ``provider`` is None.
        out_dir: created if missing; each scene becomes ``out_dir/<scene_id>/``.
        provider: the eodag provider for every scene (overrides the pairs' providers).
        asset: a regular expression; only the assets whose key or file name match it
            are fetched (e.g. ``vv``), for providers that list assets.
        policy: retries, backoff and timeouts for every request.
        progress: called with byte counts as they arrive (e.g. a progress bar update).
        dag: an ``EODataAccessGateway`` (one is opened when None).

    Returns:
        One result per scene, in input order.

    Raises:
        SceneNotFoundError: a scene id is unknown to the provider(s).
        FetchAuthError: credentials were missing or refused.
        FetchError: network or server failures after retries (partial bytes are kept for
            the next run under the hidden ``.part`` folder).
        OutputError: ``out_dir`` cannot be written.
        UnsafePathError: a scene id is not usable as a folder name (``..``, a ``/``).
    """
    policy = policy or RetryPolicy()
    out_dir = Path(out_dir)
    pattern = re.compile(asset, re.IGNORECASE) if asset else None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create ({exc.strerror or exc})") from None
    todo = [_pair(s, provider) for s in scenes]
    for scene_id, _ in todo:  # every id names a folder: check them all before any download
        safe_name(scene_id, "scene id")
    results: list[DownloadResult] = []
    for scene_id, scene_provider in todo:
        final = out_dir / scene_id
        if final.is_dir():
            logger.info("%s: already complete in %s, skipped", scene_id, final)
            results.append(DownloadResult(scene_id, final, "skipped", 0))
            continue
        dag = dag if dag is not None else open_gateway()
        product = find_product(dag, scene_id, scene_provider, policy)
        staging = out_dir / f".{scene_id}.part"
        staging.mkdir(exist_ok=True)
        sent = _download_product(product, staging, pattern, policy, progress)
        os.replace(staging, final)
        logger.info("%s: downloaded to %s (%d bytes)", scene_id, final, sent)
        results.append(DownloadResult(scene_id, final, "downloaded", sent))
    return results


def find_product(dag: Any, scene_id: str, provider: str | None, policy: RetryPolicy) -> Any:
    """The eodag ``EOProduct`` of ``scene_id``.

    Raises:
        SceneNotFoundError: no provider (or not ``provider``) knows the id.
    """
    check_provider(dag, provider)
    where = provider or "any configured provider"
    found = call_eodag(
        lambda: dag.search(id=scene_id, provider=provider, collection=COLLECTION,
                           raise_errors=True),
        policy, f"looking up {scene_id} on {where}",
    )
    matches = [p for p in found if _product_id(p) == scene_id] or list(found)
    if not matches:
        raise SceneNotFoundError(f"{scene_id}: no such scene on {where}")
    return matches[0]


def _download_product(
    product: Any,
    staging: Path,
    pattern: re.Pattern[str] | None,
    policy: RetryPolicy,
    progress: Callable[[int], None] | None,
) -> int:
    scene_id = _product_id(product)
    sources = _http_sources(product, pattern)
    online = str(product.properties.get("order:status") or "succeeded") in _ONLINE
    if not sources or not online:
        return _eodag_download(product, staging, policy, pattern)
    requests = import_optional("requests")
    auth = _auth(product, policy)
    with requests.Session() as session:
        session.headers["User-Agent"] = "cerulean-tiling"
        sent = 0
        for url, name, needs_auth in sources:
            sent += fetch_file(
                url, staging / name, session, policy,
                auth=auth if needs_auth else None, progress=progress,
            )
    logger.debug("%s: %d file(s) complete", scene_id, len(sources))
    return sent


def _http_sources(
    product: Any, pattern: re.Pattern[str] | None
) -> list[tuple[str, str, bool]]:
    """``(url, file name, send credentials)`` of the product's http(s) files."""
    auth_plugin = getattr(product, "downloader_auth", None)
    matching_url = getattr(getattr(auth_plugin, "config", None), "matching_url", None)
    assets = dict(getattr(product, "assets", None) or {})
    sources: list[tuple[str, str, bool]] = []
    names: set[str] = set()
    for key, value in sorted(assets.items()):
        href = str(value.get("href") or "")
        name = _file_name(href)
        if name in names:  # two assets with one file name: keep both, told apart by key
            name = f"{_file_name(key)}-{name}"
        names.add(name)
        if pattern is not None and not (pattern.search(key) or pattern.search(name)):
            continue
        if not href.startswith(("http://", "https://")):
            return []
        needs_auth = bool(matching_url and re.match(matching_url, href))
        sources.append((href, name, needs_auth))
    sources.sort(key=lambda source: source[1])
    if assets:
        if not sources:
            raise SceneNotFoundError(
                f"{_product_id(product)}: no asset matches {pattern.pattern!r} "
                f"(assets: {', '.join(sorted(assets))})" if pattern else
                f"{_product_id(product)}: the product lists no files"
            )
        return sources
    link = str(product.remote_location or "")
    if link.startswith(("http://", "https://")):
        name = f"{_product_id(product)}.zip"
        return [(link, name, True)]
    return []


def _eodag_download(
    product: Any, staging: Path, policy: RetryPolicy, pattern: re.Pattern[str] | None
) -> int:
    """Let eodag download (and order, if needed) into ``staging``; count what arrived."""
    before = _tree_size(staging)
    kwargs: dict[str, Any] = {"output_dir": str(staging), "extract": False}
    if pattern is not None:
        kwargs["asset"] = pattern.pattern
    path = call_eodag(
        lambda: product.download(**kwargs), policy, f"downloading {_product_id(product)}"
    )
    records = staging / ".downloaded"
    if records.is_dir():
        shutil.rmtree(records)
    logger.debug("eodag wrote %s", path)
    return _tree_size(staging) - before


def _auth(product: Any, policy: RetryPolicy) -> Any:
    plugin = getattr(product, "downloader_auth", None)
    if plugin is None:
        return None
    requests = import_optional("requests")
    auth = call_eodag(plugin.authenticate, policy, f"authenticating on {product.provider}")
    return auth if isinstance(auth, requests.auth.AuthBase) else None


def _pair(item: str | tuple[str, str | None], provider: str | None) -> tuple[str, str | None]:
    if isinstance(item, str):
        return item.strip(), provider
    scene_id, own = item
    return scene_id.strip(), provider or own


def _product_id(product: Any) -> str:
    props = product.properties
    return str(props.get("title") or props.get("id") or "").removesuffix(".SAFE")


def _file_name(href: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", PurePosixPath(unquote(urlparse(href).path)).name)
    return "asset" if name in ("", ".", "..") else name


def _tree_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


__all__ = ["DownloadResult", "download_scenes", "find_product"]
