"""The Post record and its JSONL form."""

from datetime import datetime, timezone

import pytest

from backchannel.validate import post_from_dict
from backchannel.models import make_id


def test_same_uri_same_id_and_safe_in_file_names():
    a = make_id("mastodon", "https://example.social/users/ada/statuses/1")
    assert a == make_id("mastodon", "https://example.social/users/ada/statuses/1")
    assert a != make_id("mastodon", "https://example.social/users/ada/statuses/2")
    assert a.startswith("mastodon-") and all(c.isalnum() or c == "-" for c in a)


def test_round_trip_through_jsonl_object():
    post = post_from_dict({
        "id": "x1", "source": "mastodon", "created_at": "2026-09-01T10:00:00+02:00", "text": "hi",
        "tags": ["#PyCon"], "metrics": {"likes": 3}, "author": {"handle": "ada@example.social"},
        "media": [{"url": "https://m.example/a.png", "alt": "a chart"}],
    })
    assert post.created_at == datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
    assert post.tags == ["pycon"]
    again = post_from_dict(post.to_dict())
    assert again.to_dict() == post.to_dict()
    assert post.to_dict()["created_at"] == "2026-09-01T08:00:00Z"


@pytest.mark.parametrize("data, problem", [
    ({"source": "x", "created_at": "2026-09-01T00:00:00Z", "text": "t"}, "missing field 'id'"),
    ({"id": "1", "source": "x", "created_at": "yesterday", "text": "t"}, "'created_at' is not an ISO 8601"),
    ({"id": "1", "source": "x", "created_at": "2026-09-01T00:00:00Z", "text": 5}, "'text' must be a string"),
    ({"id": "1", "source": "x", "created_at": "2026-09-01T00:00:00Z", "text": "t", "metrics": {"likes": -1}},
     "metrics.likes"),
    ({"id": "1", "source": "x", "created_at": "2026-09-01T00:00:00Z", "text": "t", "kind": "rant"}, "'kind'"),
    ([1, 2], "JSON object"),
])
def test_bad_objects_say_which_field(data, problem):
    with pytest.raises(ValueError) as err:
        post_from_dict(data)
    assert problem in str(err.value)
