"""The S3 rules both packages share: locations and failure kinds."""

from __future__ import annotations

import pytest

from cerulean_tiling.acquire.s3 import classify_s3_error, split_s3
from cerulean_tiling.errors import S3LocationError

botocore_exceptions = pytest.importorskip("botocore.exceptions")


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("s3://bucket/a/b.tiff", ("bucket", "a/b.tiff")),
        ("s3://bucket/prefix/", ("bucket", "prefix")),
        ("s3://bucket//prefix", ("bucket", "prefix")),
        ("s3://bucket", ("bucket", "")),
    ],
)
def test_split_s3(location: str, expected: tuple[str, str]) -> None:
    assert split_s3(location) == expected


@pytest.mark.parametrize("location", ["gs://bucket/key", "s3:///key", "/local/path", ""])
def test_split_s3_refuses_other_locations(location: str) -> None:
    with pytest.raises(S3LocationError, match="is not an s3://bucket/key location"):
        split_s3(location)


def _client_error(code: str, status: int) -> BaseException:
    response = {"Error": {"Code": code, "Message": "m"},
                "ResponseMetadata": {"HTTPStatusCode": status}}
    return botocore_exceptions.ClientError(response, "HeadObject")  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("NoSuchKey", 404, "missing"),
        ("404", 404, "missing"),
        ("NoSuchBucket", 404, "missing"),
        ("AccessDenied", 403, "refused"),
        ("403", 403, "refused"),
        ("InvalidAccessKeyId", 403, "refused"),
        ("SlowDown", 503, "other"),
    ],
)
def test_client_errors_are_classified_by_code_and_status(code: str, status: int, kind: str) -> None:
    assert classify_s3_error(_client_error(code, status)) == kind


def test_wrapped_and_credential_errors() -> None:
    try:
        try:
            raise _client_error("AccessDenied", 403)
        except botocore_exceptions.ClientError:
            raise RuntimeError("transfer failed") from None
    except RuntimeError as wrapped:
        # s3transfer re-raises with the ClientError as context, as `from None` keeps it.
        assert classify_s3_error(wrapped) == "refused"
    assert classify_s3_error(botocore_exceptions.NoCredentialsError()) == "no-credentials"
    unreachable = botocore_exceptions.EndpointConnectionError(endpoint_url="x")
    assert classify_s3_error(unreachable) == "other"
