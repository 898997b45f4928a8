"""Reading GRD rasters (and their GCPs) straight from S3, requester-pays included.

Sentinel-1 GRD archives on S3 are usually requester-pays: every request must carry
``x-amz-request-payer: requester`` or S3 answers 403. GDAL (under rasterio) sends it
when ``AWS_REQUEST_PAYER=requester``, which :class:`rasterio.session.AWSSession` sets
from a boto3 session; the same boto3 session supplies the credentials, region and
endpoint (``AWS_ENDPOINT_URL`` for S3-compatible stores), so one configuration serves
boto3 and GDAL alike. GDAL retries transient HTTP faults itself
(``GDAL_HTTP_MAX_RETRY``/``GDAL_HTTP_RETRY_DELAY``) and gives up after
``GDAL_HTTP_TIMEOUT``; the values come from a :class:`~cerulean_tiling.acquire.retry.RetryPolicy`.

Before GDAL opens an ``s3://`` object, a HEAD request through boto3 tells a missing
object, refused credentials and an unreachable endpoint apart, since GDAL reports them
all as "cannot open".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.acquire.s3 import classify_s3_error, s3_client, s3_session, split_s3
from cerulean_tiling.errors import FetchAuthError, FetchError, SceneNotFoundError
from cerulean_tiling.geo.gcps import GCPSet, read_gcps_from_raster
from cerulean_tiling.optional import import_optional

logger = logging.getLogger(__name__)

_REMOTE_SCHEMES = ("s3://", "http://", "https://", "/vsis3/", "/vsicurl/")


def is_remote(location: str) -> bool:
    """True for locations read over the network (``s3://``, ``http(s)://``, GDAL ``/vsi…``)."""
    return str(location).startswith(_REMOTE_SCHEMES)


@contextmanager
def open_env(
    location: str,
    session: Any = None,
    requester_pays: bool = True,
    policy: RetryPolicy | None = None,
) -> Iterator[Any]:
    """A ``rasterio.Env`` able to read ``location``, with retries and timeouts.

    For ``s3://`` locations the environment carries ``session``'s credentials (a new
    boto3 session from the usual AWS configuration when None), requester-pays, and the
    session's custom endpoint if it has one. Other locations get only the HTTP settings.

    Raises:
        MissingExtraError: ``location`` is on S3 and boto3 is not installed.
    """
    import rasterio

    policy = policy or RetryPolicy()
    options: dict[str, Any] = {
        "GDAL_HTTP_MAX_RETRY": str(policy.attempts - 1),
        "GDAL_HTTP_RETRY_DELAY": str(max(policy.backoff, 0.1)),
        "GDAL_HTTP_TIMEOUT": str(int(max(policy.timeout, 1))),
        "GDAL_HTTP_CONNECTTIMEOUT": str(int(max(policy.timeout, 1))),
        # A GRD is one object: never list its "directory" (slow, and billed when requester-pays).
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    }
    if not str(location).startswith(("s3://", "/vsis3/")):
        with rasterio.Env(**options) as env:
            yield env
        return
    from rasterio.session import AWSSession

    session = session if session is not None else s3_session()
    endpoint = s3_client(session, policy).meta.endpoint_url
    host = urlparse(endpoint)
    custom = host.hostname is not None and not host.hostname.endswith("amazonaws.com")
    if custom:
        options["AWS_HTTPS"] = "YES" if host.scheme == "https" else "NO"
        options["AWS_VIRTUAL_HOSTING"] = "FALSE"
    aws = AWSSession(
        session=session, requester_pays=requester_pays,
        endpoint_url=host.netloc if custom else None,
    )
    with rasterio.Env(session=aws, **options) as env:
        yield env


def check_s3_object(
    location: str, session: Any = None, requester_pays: bool = True,
    policy: RetryPolicy | None = None,
) -> int:
    """HEAD an ``s3://bucket/key`` object; return its size.

    Raises:
        SceneNotFoundError: no such bucket or key.
        FetchAuthError: credentials missing or refused (or requester-pays not accepted).
        FetchError: the endpoint cannot be reached, after retries.
    """
    bucket, key = split_s3(location)
    policy = policy or RetryPolicy()
    session = session if session is not None else s3_session()
    botocore_exceptions = import_optional("botocore.exceptions")
    extra = {"RequestPayer": "requester"} if requester_pays else {}
    try:
        head = s3_client(session, policy).head_object(Bucket=bucket, Key=key, **extra)
    except botocore_exceptions.ClientError as exc:
        raise s3_error(exc, location) from None
    except botocore_exceptions.NoCredentialsError:
        raise FetchAuthError(
            f"{location}: no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID/…)"
        ) from None
    except botocore_exceptions.BotoCoreError as exc:
        raise FetchError(
            f"{location}: S3 unreachable after {policy.attempts} attempt(s): {exc}"
        ) from None
    return int(head.get("ContentLength", 0))


def read_remote_gcps(
    location: str, session: Any = None, requester_pays: bool = True,
    policy: RetryPolicy | None = None,
) -> GCPSet:
    """The GCPs of a remote GRD raster (``s3://`` requester-pays, or http(s)).

    Raises:
        SceneNotFoundError, FetchAuthError, FetchError: see :func:`check_s3_object`.
        SceneReadError, GCPError: the object is not a raster or carries no usable GCPs.
    """
    policy = policy or RetryPolicy()
    if str(location).startswith("s3://"):
        session = session if session is not None else s3_session()
        check_s3_object(location, session, requester_pays, policy)
    with open_env(location, session, requester_pays, policy):
        return read_gcps_from_raster(location)


def s3_error(exc: Any, location: str) -> FetchError:
    """The package error for a botocore failure about ``location``."""
    response = getattr(exc, "response", None) or {}
    error = response.get("Error", {})
    status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    message = f"{location}: {error.get('Code') or status} {error.get('Message', '')}".strip()
    kind = classify_s3_error(exc)
    if kind == "missing":
        return SceneNotFoundError(f"{message} (no such object)")
    if kind == "refused":
        return FetchAuthError(
            f"{message} (credentials refused; requester-pays buckets need the requester-pays "
            "flag and an account that may be billed)"
        )
    return FetchError(message)


__all__ = ["check_s3_object", "is_remote", "open_env", "read_remote_gcps", "s3_error"]
