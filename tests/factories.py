"""Posts for tests: one at a time (`make_post`) or a deterministic event's worth (`many_posts`)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from backchannel.models import Author, Post, make_id

START = datetime(2026, 9, 1, 7, 0, tzinfo=timezone.utc)  # 09:00 in Europe/Berlin

WORDS = (
    "vector index search latency cache kubernetes python rust database query planner "
    "accessibility testing onboarding mentoring pricing customers invoices security threat "
    "model phishing patients clinical trial dosage classroom feedback grading curriculum "
    "pipeline dashboard metrics observability tracing sampling embeddings retrieval ranking"
).split()
AUTHORS = [("ada", "example.social", "Ada L."), ("grace", "fosstodon.example", "Grace H."),
           ("linus", "example.social", "Linus"), ("margaret", "bsky.example", "Margaret H."),
           ("katherine", "mastodon.example", "Katherine J."), ("alan", "example.social", "Alan T.")]
TAGS = ["pyconex", "ai", "security", "teaching", "data", "keynote"]


def make_post(n: int = 1, text: str = "A post about vector search", source: str = "mastodon",
              when: datetime | None = None, author: str = "ada@example.social", **kw) -> Post:
    uri = kw.pop("uri", f"https://example.social/users/x/statuses/{n}")
    return Post(
        id=kw.pop("id", make_id(source, uri)),
        source=source,
        uri=uri,
        url=kw.pop("url", f"https://example.social/@x/{n}"),
        created_at=when or START + timedelta(minutes=n),
        text=text,
        html=kw.pop("html", f"<p>{text}</p>"),
        author=kw.pop("author_obj", Author(author, author.split("@")[0].title(), None)),
        **kw,
    )


def many_posts(count: int, seed: int = 7) -> list[dict]:
    """`count` Post JSONL objects over two days, varied sources, authors, tags and words."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        user, server, name = rng.choice(AUTHORS)
        source = rng.choice(["mastodon", "mastodon", "bluesky", "rss"])
        words = rng.sample(WORDS, rng.randint(6, 14))
        tags = sorted({"pyconex", rng.choice(TAGS)})
        created = START + timedelta(seconds=rng.randint(0, 2 * 24 * 3600))
        out.append({
            "id": f"{source}-syn{i:06d}",
            "source": source,
            "url": f"https://{server}/@{user}/{i}",
            "author": {"handle": f"{user}@{server}", "name": name, "url": f"https://{server}/@{user}"},
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": " ".join(words) + " " + " ".join("#" + t for t in tags),
            "lang": "en",
            "tags": tags,
            "metrics": {"likes": rng.randint(0, 50), "reposts": rng.randint(0, 10),
                        "replies": rng.randint(0, 5), "quotes": 0},
        })
    return out


def write_jsonl(path, records) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in records:
            fh.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
