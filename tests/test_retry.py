"""The collectors' shared waiting rules (`backchannel.collectors.retry`), on the header forms
the services really send: Mastodon's ISO `X-RateLimit-Reset`, Bluesky's Unix-time
`ratelimit-reset`, HTTP's `Retry-After` in seconds or as a date."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from backchannel.collectors.retry import Clock, Retry, announced_wait

NOW = datetime(2026, 9, 2, 10, 0, 0, tzinfo=timezone.utc)


def http_date(when: datetime) -> str:
    return format_datetime(when, usegmt=True)


def test_backoff_doubles_up_to_its_cap():
    retry = Retry(retries=4, backoff=1.0, max_backoff=5.0)
    assert [retry.delay(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert retry.attempts == 5


def test_only_waits_within_the_bound_are_sat_out():
    retry = Retry(max_wait=60.0)
    assert retry.bearable(59.5) == 59.5
    assert retry.bearable(61.0) is None
    assert retry.bearable(None) is None


@pytest.mark.parametrize("headers, expected", [
    ({"X-RateLimit-Reset": "2026-09-02T10:05:00.000Z"}, 300.0),  # Mastodon
    ({"ratelimit-reset": str(int((NOW + timedelta(seconds=42)).timestamp()))}, 42.0),  # Bluesky
    ({"Retry-After": "120"}, 120.0),
    ({"Retry-After": http_date(NOW + timedelta(minutes=3))}, 180.0),
    ({"Retry-After": "90", "X-RateLimit-Reset": "2026-09-02T10:00:30Z"}, 30.0),  # the reset wins
    ({"X-RateLimit-Reset": "2026-09-02T09:00:00Z"}, 0.0),  # already past: no negative waits
    ({"Retry-After": "soon"}, None),
    ({"X-RateLimit-Reset": "tomorrow-ish"}, None),
    ({}, None),
])
def test_announced_waits_are_read_from_every_form(headers, expected):
    assert announced_wait(headers, NOW) == expected


def test_the_servers_date_corrects_a_skewed_clock():
    """Our clock is an hour slow: the reset is counted from the server's `Date`."""
    headers = {"Date": http_date(NOW), "X-RateLimit-Reset": "2026-09-02T10:01:00Z"}
    assert announced_wait(headers, NOW - timedelta(hours=1)) == 60.0
    # within a few seconds our own clock is finer (Date has whole seconds only)
    assert announced_wait(headers, NOW + timedelta(seconds=1.5)) == 58.5


def test_the_real_clock_is_aware_utc():
    now = Clock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)
