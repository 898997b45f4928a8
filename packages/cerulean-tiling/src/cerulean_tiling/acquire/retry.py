"""Retries with exponential backoff for network work (catalogue queries, downloads, S3).

Only transient faults are retried: dropped connections, timeouts, HTTP 5xx and 429.
Refused credentials and missing objects fail at once, since asking again cannot help.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from cerulean_tiling.errors import ConfigError

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_HTTP_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
"""HTTP statuses worth asking again for: timeouts, throttling and server faults."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry a network operation.

    Attributes:
        attempts: total tries, the first one included (>= 1).
        backoff: seconds to wait after the first failure; doubled after each further one.
        max_backoff: ceiling of a single wait.
        timeout: seconds to wait for a connection or for the next bytes of a response.
    """

    attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 30.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ConfigError(f"attempts must be at least 1, got {self.attempts}")
        if self.backoff < 0 or self.max_backoff < 0 or self.timeout <= 0:
            raise ConfigError("backoff and max_backoff must be >= 0 and timeout > 0")

    def delays(self) -> Iterator[float]:
        """The waits between consecutive attempts (``attempts - 1`` of them)."""
        for retry in range(self.attempts - 1):
            yield min(self.backoff * 2.0**retry, self.max_backoff)


def retry_call(
    func: Callable[[], T],
    policy: RetryPolicy,
    is_transient: Callable[[BaseException], bool],
    what: str,
) -> T:
    """Call ``func`` until it succeeds, retrying transient failures with backoff.

    Args:
        func: the operation; it must be safe to repeat (resume, not restart, if costly).
        policy: attempts and waits.
        is_transient: tells retryable exceptions from final ones.
        what: names the operation in log messages.

    Returns:
        What ``func`` returned.

    Raises:
        The last exception of ``func`` when it is final or the attempts are used up.
    """
    delays = policy.delays()
    attempt = 1
    while True:
        try:
            return func()
        except Exception as exc:
            delay = next(delays, None)
            if delay is None or not is_transient(exc):
                raise
            logger.warning(
                "%s failed (attempt %d of %d: %s); retrying in %.1f s",
                what, attempt, policy.attempts, exc, delay,
            )
            time.sleep(delay)
            attempt += 1


__all__ = ["TRANSIENT_HTTP_STATUS", "RetryPolicy", "retry_call"]
