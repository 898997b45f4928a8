"""The eodag gateway: opening it, querying it with retries, and naming its failures.

eodag knows the Sentinel-1 providers (cop_dataspace, peps, planetary_computer,
earth_search, …), their query languages and their authentication; credentials live in
eodag's own configuration (``~/.config/eodag/eodag.yml`` or ``EODAG__<PROVIDER>__…``
environment variables), never in ours. Every eodag failure leaves this module as a
:class:`~cerulean_tiling.errors.FetchError` (or a subclass) with a one-line message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from cerulean_tiling.acquire.retry import TRANSIENT_HTTP_STATUS, RetryPolicy, retry_call
from cerulean_tiling.errors import FetchAuthError, FetchError, SceneNotFoundError
from cerulean_tiling.optional import import_optional

logger = logging.getLogger(__name__)

T = TypeVar("T")

COLLECTION = "S1_SAR_GRD"
"""eodag's collection (product type) of Sentinel-1 Level-1 GRD scenes."""


def open_gateway() -> Any:
    """An ``eodag.EODataAccessGateway`` configured from eodag's usual config and env.

    Raises:
        MissingExtraError: eodag is not installed.
        FetchError: eodag's configuration cannot be loaded.
    """
    eodag = import_optional("eodag")
    try:
        return eodag.EODataAccessGateway()
    except Exception as exc:
        raise FetchError(f"cannot set up eodag: {_describe(exc)}") from exc


def check_provider(dag: Any, provider: str | None) -> None:
    """Fail early, naming the known providers, when ``provider`` is not one of them.

    Raises:
        FetchError: eodag has no such provider offering Sentinel-1 GRD scenes.
    """
    if provider is None:
        return
    known = sorted(
        name for name, entry in dag.providers.items() if COLLECTION in entry.collections_config
    )
    if provider not in known:
        raise FetchError(
            f"provider {provider!r} is not configured for {COLLECTION} "
            f"(known: {', '.join(known) or 'none'})"
        )


def call_eodag(func: Callable[[], T], policy: RetryPolicy, what: str) -> T:
    """Run an eodag call with retries for transient faults; translate its errors.

    Raises:
        FetchAuthError: credentials were missing or refused.
        SceneNotFoundError: the provider answered 404.
        FetchError: any other failure, after the retries for transient ones.
    """
    try:
        return retry_call(func, policy, is_transient, what)
    except FetchError:
        raise
    except Exception as exc:
        raise translate_error(exc, what) from exc


def is_transient(exc: BaseException) -> bool:
    """True for faults worth retrying: timeouts, dropped connections, 5xx, 429."""
    requests = import_optional("requests")
    errors = import_optional("eodag.utils.exceptions")
    if isinstance(exc, errors.AuthenticationError | errors.ValidationError):
        return False
    if isinstance(exc, errors.TimeOutError | errors.QuotaExceededError | TimeoutError):
        return True
    # Static catalogues: eodag reports any failure to read a catalogue file (refused
    # connection, 5xx, …) as STACOpenerError, without the status; treat it as transient.
    if isinstance(exc, errors.STACOpenerError | ConnectionError):
        return True
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    status = _status(exc)
    if status is not None:
        return status in TRANSIENT_HTTP_STATUS
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)


def translate_error(exc: BaseException, what: str) -> FetchError:
    """The package error for an eodag or HTTP failure while doing ``what``."""
    errors = import_optional("eodag.utils.exceptions")
    status = _status(exc)
    message = f"{what}: {_describe(exc)}"
    if isinstance(exc, errors.AuthenticationError) or status in (401, 403):
        return FetchAuthError(
            f"{message} (check the provider credentials in eodag's configuration)"
        )
    if status == 404:
        return SceneNotFoundError(message)
    return FetchError(message)


def _status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return int(status) if status is not None else None


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


__all__ = [
    "COLLECTION",
    "call_eodag",
    "check_provider",
    "is_transient",
    "open_gateway",
    "translate_error",
]
