"""Ranking takeaways: near-duplicates merged (every link and post kept), best first."""

from datetime import datetime, timedelta, timezone

from backchannel.models import Author, Metrics, Post
from backchannel.digest.ranking import merge_groups, rank, rank_takeaways, same_person

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)

ADA_INSIGHT = ("Key takeaway from #vecscale: measure recall on your own queries before you shard the index. "
               "Most teams shard far too early and pay for it in latency and operations.")


def post(pid: str, text: str, *, source: str = "mastodon", handle: str = "kim@example.net", name: str = "Kim",
         minutes: int = 0, likes: int = 0, reposts: int = 0, replies: int = 0, quotes: int = 0,
         score: float | None = 0.8, kind: str | None = "takeaway", **kw) -> Post:
    return Post(id=pid, source=source, created_at=T0 + timedelta(minutes=minutes), text=text,
                url=kw.pop("url", f"https://{source}.example/{pid}"), author=Author(handle, name),
                metrics=Metrics(likes, reposts, replies, quotes), score=score, kind=kind, **kw)


def by_member(items):
    return {p.id: it for it in items for p in it.members}


def test_a_cross_post_by_the_same_person_is_one_item_with_both_links():
    masto = post("m1", ADA_INSIGHT + " Slides: https://slides.example/vec", handle="ada@example.social",
                 name="Ada Lovelace", likes=12, links=["https://slides.example/vec"])
    # Bluesky's 300 characters cut the text; the cross-poster adds a link back; the name has an emoji.
    bsky = post("b1", ADA_INSIGHT[:150] + "… https://example.social/@ada/1", source="bluesky",
                handle="ada.bsky.social", name="Ada Lovelace 🦋", minutes=1, likes=30, reposts=4,
                links=["https://example.social/@ada/1"])
    items = rank([masto, bsky])
    assert len(items) == 1
    entry = items[0]
    assert {p.id for p in entry.members} == {"m1", "b1"}
    assert entry.links == ["https://slides.example/vec", "https://example.social/@ada/1"]
    assert entry.item.id == "m1"  # the complete text represents the entry
    alone = rank([masto])[0].score
    assert entry.score > alone  # engagement on both networks adds up


def test_same_person_means_same_display_name_or_handle_stem():
    a = post("a", "x", handle="ada@example.social", name="Ada Lovelace")
    assert same_person(a, post("b", "x", handle="lovelace.bsky.social", name="ada lovelace (she/her)"))
    assert same_person(a, post("c", "x", handle="ada.bsky.social", name="A. L."))
    assert not same_person(a, post("d", "x", handle="grace.bsky.social", name="Grace Hopper"))


def test_a_blog_entry_echoing_a_post_is_merged():
    toot = post("m1", ADA_INSIGHT, likes=5)
    # The blog quotes it with a word changed, as people do.
    echo = ADA_INSIGHT.replace("far too early", "much too early")
    blog = post("r1", "DemoCon day one, my notes.\n\nThe vector search talk was the highlight. As someone put it: "
                + echo + "\n\nAfter lunch I went to the threat modelling session, which was just as good.",
                source="rss", handle="notes.example", name="Field Notes", minutes=300,
                links=["https://notes.example/democon-day-one"])
    items = rank([toot, blog])
    assert len(items) == 1 and {p.id for p in items[0].members} == {"m1", "r1"}
    assert items[0].links == ["https://notes.example/democon-day-one"]


def test_a_quote_chain_is_one_item():
    original = post("m1", ADA_INSIGHT, handle="ada@example.social", name="Ada", likes=40,
                    links=["https://slides.example/vec"])
    quoting = post("m2", f"This, a hundred times. “{ADA_INSIGHT}” We learned it the hard way.",
                   handle="grace@fosstodon.example", name="Grace", minutes=10, likes=3)
    # A quote post whose text is only a comment: it links to the post it quotes.
    quote_of_quote = post("b3", "Sharing with my team", source="bluesky", handle="linus.bsky.social",
                          name="Linus", minutes=20, links=["https://mastodon.example/m2"])
    items = rank([quote_of_quote, quoting, original])
    assert len(items) == 1
    assert [p.id for p in items[0].members] == ["m1", "m2", "b3"]
    assert items[0].links == ["https://slides.example/vec", "https://mastodon.example/m2"]


def test_distinct_takeaways_stay_apart():
    posts = [
        post("a", ADA_INSIGHT, handle="ada@example.social", name="Ada"),
        # Same topic, same words here and there, different point.
        post("b", "Vector search takeaway: recall on your own queries matters more than benchmark numbers "
                  "from the vendor's blog.", handle="grace@fosstodon.example", name="Grace"),
        # The same person saying something else.
        post("c", "Key takeaway from the threat modelling talk: write down who would attack you and why "
                  "before buying any tool.", handle="ada@example.social", name="Ada", minutes=30),
        # Short cheers are alike but are not the same takeaway.
        post("d", "Great talk, thanks!", handle="x@a.example", name="X"),
        post("e", "Great talk, thanks!", handle="y@b.example", name="Y"),
    ]
    assert sorted(len(g) for g in merge_groups(posts)) == [1, 1, 1, 1, 1]


def test_engagement_orders_equally_confident_takeaways():
    quiet = post("q", "Index scans win only when the filter is selective; otherwise the planner reads "
                      "the whole table.", likes=1)
    loved = post("l", "Observability on a budget: sample traces at the edge and keep every error, "
                      "not the other way round.", likes=80, reposts=12, replies=5, quotes=2)
    assert [it.item.id for it in rank([quiet, loved])] == ["l", "q"]


def test_confidence_orders_equally_engaging_takeaways():
    sure = post("s", "Threat models fit on one page: assets, attackers, entry points, and what you do "
                     "about each.", score=0.95, likes=3)
    unsure = post("u", "Phishing drills work better when nobody is named and shamed afterwards, "
                       "says the speaker.", score=0.55, likes=3)
    assert [it.item.id for it in rank([unsure, sure])] == ["s", "u"]


def test_substance_and_links_count():
    bare = post("b", "so true", likes=2)
    rich = post("r", "Query planners keep statistics per column; stale statistics are the most common "
                     "reason for a slow plan. Run ANALYZE after bulk loads.", likes=2,
                links=["https://docs.example/analyze"])
    assert [it.item.id for it in rank([bare, rich])] == ["r", "b"]


def test_rank_takeaways_keeps_takeaways_only_and_respects_the_limit():
    posts = [post(f"t{i}", f"Takeaway number {i}: a distinct lesson about topic {i} and its trade-offs",
                  likes=i) for i in range(5)]
    posts += [post("q", "How do you shard an index?", kind="question", likes=99),
              post("r", ADA_INSIGHT, is_repost=True, likes=99)]
    items = rank_takeaways(posts, limit=3)
    assert [it.item.id for it in items] == ["t4", "t3", "t2"]
    assert all(it.item.kind == "takeaway" for it in items)
    assert rank_takeaways([]) == []


def test_an_unclassified_post_ranks_with_neutral_confidence():
    def lesson(pid, topic, score):
        return post(pid, f"Lesson about {topic}: measure first, change one thing, measure again.", score=score,
                    handle=f"{pid}@x.example", name=pid)
    items = rank([lesson("low", "caching", 0.1), lesson("none", "indexes", None), lesson("high", "queues", 0.9)])
    assert [it.item.id for it in items] == ["high", "none", "low"]


def test_a_prolific_author_does_not_fill_a_top_list():
    from datetime import datetime, timedelta, timezone

    from backchannel.models import Author, Metrics, Post
    from backchannel.digest.ranking import rank

    start = datetime(2026, 9, 1, 9, tzinfo=timezone.utc)
    topics = ["backups need a restore drill every quarter", "pricing pages should show the total first",
              "keyboard-only checkout finds most accessibility bugs", "spreadsheets are production systems",
              "small teams should pick boring databases", "grading rubrics work better when shared early",
              "image sizes dominate webshop load time", "shared inboxes need one owner per thread"]

    def post(n, who, likes):
        text = f"Lesson from the talk: {topics[n]}."
        return Post(id=f"p{n}", source="mastodon", created_at=start + timedelta(minutes=n), text=text,
                    author=Author(who, who.title()), kind="takeaway", score=0.9, metrics=Metrics(likes=likes))

    posts = [post(n, "yuki@example.social", 100 - n) for n in range(5)] + \
            [post(5 + n, f"other{n}@example.social", 10) for n in range(3)]
    top = rank(posts, limit=5)
    authors = [entry.item.author.handle for entry in top]
    assert authors.count("yuki@example.social") == 2
    assert authors[:2] == ["yuki@example.social"] * 2  # still first: they are the most liked
    assert len(rank(posts)) == 8  # an unlimited ranking keeps everything in score order
