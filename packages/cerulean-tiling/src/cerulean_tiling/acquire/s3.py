"""S3 basics shared by every package that talks to S3: locations, clients, failures.

cerulean-tiling reads GRD rasters from S3 (:mod:`cerulean_tiling.acquire.remote`) and
cerulean-coco pushes and pulls datasets; both parse ``s3://`` locations, build boto3
clients and tell S3's failures apart here, with one set of rules. Each package turns a
:data:`S3Failure` kind into its own error class.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlparse

from cerulean_tiling.acquire.retry import RetryPolicy
from cerulean_tiling.errors import FetchAuthError, S3LocationError
from cerulean_tiling.optional import import_optional

S3Failure = Literal["missing", "refused", "no-credentials", "other"]
"""What went wrong with an S3 request: no such bucket/object, credentials refused,
no credentials at all, or anything else (network, server)."""

_NOT_FOUND = frozenset({"404", "NoSuchKey", "NoSuchBucket", "NotFound"})
_REFUSED = frozenset({"401", "403", "AccessDenied", "InvalidAccessKeyId",
                      "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"})


def split_s3(location: str) -> tuple[str, str]:
    """``(bucket, key)`` of ``s3://bucket/key``; the key has no leading or trailing ``/``.

    The key may be empty (a whole bucket) and, for folder-like use, is a prefix.

    Raises:
        S3LocationError: not an ``s3://`` URL with a bucket name.
    """
    parsed = urlparse(str(location))
    if parsed.scheme != "s3" or not parsed.netloc:
        raise S3LocationError(f"{location!r} is not an s3://bucket/key location")
    return parsed.netloc, parsed.path.strip("/")


def s3_session(profile: str | None = None, region: str | None = None) -> Any:
    """A ``boto3.Session`` from the usual AWS configuration (env, profile, instance role).

    Raises:
        MissingExtraError: boto3 is not installed.
        FetchAuthError: the named profile does not exist.
    """
    boto3 = import_optional("boto3")
    botocore_exceptions = import_optional("botocore.exceptions")
    try:
        return boto3.Session(profile_name=profile, region_name=region)
    except botocore_exceptions.ProfileNotFound:
        raise FetchAuthError(f"AWS profile {profile!r} not found") from None


def s3_client(session: Any, policy: RetryPolicy, max_pool_connections: int = 10) -> Any:
    """An S3 client with ``policy``'s timeouts and botocore's standard retry mode.

    ``AWS_ENDPOINT_URL`` (S3-compatible stores, test servers) is honoured by boto3 itself.
    """
    config = import_optional("botocore.config")
    return session.client(
        "s3",
        config=config.Config(
            connect_timeout=policy.timeout,
            read_timeout=policy.timeout,
            retries={"mode": "standard", "max_attempts": policy.attempts},
            max_pool_connections=max_pool_connections,
        ),
    )


def classify_s3_error(exc: BaseException) -> S3Failure:
    """Tell a boto3/botocore/s3transfer failure's kind from its error code or status.

    s3transfer wraps botocore's ``ClientError`` (keeping it as ``__context__``), so the
    response is looked for on both.
    """
    if type(exc).__name__ == "NoCredentialsError":
        return "no-credentials"
    response = getattr(exc, "response", None)
    if response is None and exc.__context__ is not None:
        response = getattr(exc.__context__, "response", None)
    response = response if isinstance(response, dict) else {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    text = str(exc)
    if code in _NOT_FOUND or status == "404" or "NoSuchBucket" in text:
        return "missing"
    if code in _REFUSED or status in ("401", "403") or any(
        marker in text for marker in ("AccessDenied", "(403)", "Forbidden")
    ):
        return "refused"
    return "other"


__all__ = ["S3Failure", "classify_s3_error", "s3_client", "s3_session", "split_s3"]
