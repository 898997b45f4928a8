"""Retry policy: the backoff sequence, and which failures are retried."""

from __future__ import annotations

import pytest

from cerulean_tiling.acquire.retry import RetryPolicy, retry_call


def test_backoff_doubles_up_to_the_ceiling() -> None:
    policy = RetryPolicy(attempts=6, backoff=0.5, max_backoff=3.0)
    assert list(policy.delays()) == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert list(RetryPolicy(attempts=1).delays()) == []
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)


def test_transient_failures_are_retried_until_success() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset")
        return "ok"

    policy = RetryPolicy(attempts=3, backoff=0.0)
    assert retry_call(flaky, policy, lambda e: isinstance(e, ConnectionError), "flaky") == "ok"
    assert len(calls) == 3


def test_final_failures_and_exhausted_attempts_raise() -> None:
    calls: list[int] = []

    def refused() -> None:
        calls.append(1)
        raise PermissionError("401")

    policy = RetryPolicy(attempts=4, backoff=0.0)
    with pytest.raises(PermissionError):
        retry_call(refused, policy, lambda e: isinstance(e, ConnectionError), "refused")
    assert len(calls) == 1  # not transient: no second try

    calls.clear()

    def down() -> None:
        calls.append(1)
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        retry_call(down, policy, lambda e: isinstance(e, ConnectionError), "down")
    assert len(calls) == 4
