"""The People page and each person's page, read the way a reader sees them: one entry per
person across networks only on evidence (a verified link, a blog author's link, a strict
cross-post), never on a display name; speakers first; spam and junk names handled; consent kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel import moderation
from backchannel.digest import build
from backchannel.digest.people import PAGE, Person
from fixtures.digest import event
from fixtures.digest.event import Page, read

QUOTE = "Premature optimisation is the root of all evil said the slide"  # 11 words
CROSS = "Index the embeddings in SQLite and a laptop serves a million vectors"


def rec(n: int, source: str, handle: str, name: str, text: str, at: str, *, url: str | None = None,
        links: list[str] | None = None, discoverable: bool | None = True) -> dict:
    """A post of the small event; Mastodon accounts opted in to being named unless told."""
    author = {"handle": handle, "name": name, "url": url, **({"links": links} if links else {})}
    return {"id": f"{source}-p{n}", "source": source, "url": f"https://posts.example/{n}", "author": author,
            "created_at": f"2026-09-01T{at}:00Z", "text": f"{text} #pyconex", "tags": ["pyconex"],
            "kind": "takeaway", "score": 0.5, "consent": {"discoverable": discoverable}}


def records() -> list[dict]:
    mastodon, bluesky, blog = "mastodon", "bluesky", "rss"
    out = [
        # Priya, a speaker: her Mastodon server verified her site, which is her Bluesky handle.
        rec(1, mastodon, "priya@example.social", "Priya Raman", "Vectors fit in SQLite", "08:40",
            url="https://example.social/@priya", links=["https://priya.example/"]),
        rec(2, mastodon, "priya@example.social", "Priya Raman", "Slides are up", "09:20",
            url="https://example.social/@priya", links=["https://priya.example/"]),
        rec(3, bluesky, "priya.example", "Priya R.", "Thanks for coming to my talk", "09:25",
            url="https://bsky.app/profile/did:plc:priya"),
        # Two different people called Sam Lee, with nothing linking them.
        *(rec(10 + i, mastodon, "sam@example.social", "Sam Lee", f"Sam on Mastodon, note {i}", f"10:0{i}",
              url="https://example.social/@sam") for i in range(5)),
        rec(20, bluesky, "samlee.bsky.social", "Sam Lee", "Sam on Bluesky says hello", "10:30",
            url="https://bsky.app/profile/did:plc:samlee"),
        # Jun cross-posts, and their blog's Atom author URI names their Mastodon profile.
        rec(30, mastodon, "jun@b.example", "Jun Park", CROSS, "11:00", url="https://b.example/@jun"),
        rec(31, bluesky, "jun.bsky.social", "Jun Park", CROSS + " https://jun.example/notes", "11:03",
            url="https://bsky.app/profile/did:plc:jun"),
        rec(32, blog, "jun.blog.example", "Jun Park", "My notes from day one", "20:00",
            url="https://b.example/@jun", links=["https://b.example/@jun"]),
        # A slide quoted by three accounts: two of them share a name, but it is a quotation.
        rec(40, mastodon, "alex@example.social", "Alex Kim", QUOTE, "12:00", url="https://example.social/@alex"),
        rec(41, bluesky, "alexkim.bsky.social", "Alex Kim", QUOTE, "12:02", url="https://bsky.app/profile/did:plc:alex"),
        rec(42, mastodon, "kit@c.example", "Kit", QUOTE, "12:05", url="https://c.example/@kit"),
        # The same words and name, but hours apart: not a cross-post.
        rec(50, mastodon, "robin@example.social", "Robin", CROSS.replace("SQLite", "DuckDB"), "09:00"),
        rec(51, bluesky, "robin.bsky.social", "Robin", CROSS.replace("SQLite", "DuckDB"), "13:00"),
        # Junk display names: the handle stands in.
        rec(60, mastodon, "junk@example.social", '">', "Junk name here", "14:00"),
        rec(61, mastodon, "party@example.social", "🎉🎉 …", "Emoji name here", "14:10"),
        # Spam: a moderator hid two of three posts; the blocklist took one of two.
        *(rec(70 + i, mastodon, "spam@spam.example", "Free Tickets", f"Cheap tickets {i}", f"15:0{i}")
          for i in range(3)),
        rec(75, mastodon, "spam2@spam.example", "Coins", "Buy crypto now", "15:10"),
        rec(76, mastodon, "spam2@spam.example", "Coins", "Great talk", "15:11"),
        # Shy did not opt in on Mastodon; their verified site is their Bluesky handle.
        rec(80, mastodon, "shy@example.social", "Shy Person", "Quiet note", "16:00",
            url="https://example.social/@shy", links=["https://shy.example/"], discoverable=False),
        rec(81, bluesky, "shy.example", "Shy Person", "Quiet note on Bluesky", "16:05"),
        # A team's home page links two people with rel="me": it proves neither is the team.
        rec(90, mastodon, "ta@example.social", "Team Member A", "Our booth is open", "16:10",
            url="https://example.social/@ta", links=["https://team.example/"]),
        rec(91, mastodon, "tb@example.social", "Team Member B", "Come to our booth", "16:11",
            url="https://example.social/@tb", links=["https://team.example/"]),
        rec(92, bluesky, "team.example", "The Team", "Booth 4 today", "16:12"),
        # A one-author blog whose domain is its author's Bluesky handle.
        rec(95, blog, "lin.example", "Lin", "Notes from the sprints", "17:00"),
        rec(96, bluesky, "lin.example", "Lin Q.", "Sprint notes are on my blog", "17:05"),
    ]
    return out


PEOPLE = 16  # Priya, Sam ×2, Jun, Alex ×2, Kit, Robin ×2, junk, party, Shy, team ×3, Lin (no spam)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("people")
    cfg = event.config(root, blocklist={"words": ["crypto"]}, schedule=event.SCHEDULE)
    archive = event.fill(cfg, records())
    for n in (70, 71):
        moderation.record(archive, f"mastodon-p{n}", "hide", "spam")
    archive.close()
    build(cfg, now=event.NOW, search=False)
    return cfg.digest.output


def rows(page: Page) -> list:
    return [tr for tr in page.find("tr") if any(a.tag == "tbody" for a in tr.ancestors)]


def name_of(page: Page, row) -> str:
    """The person's name as the row shows it: its first link's text."""
    return next(a for a in page.find("a") if row in a.ancestors).text


def row_of(page: Page, name: str):
    return [tr for tr in rows(page) if name_of(page, tr) == name]


def person_link(page: Page, row) -> str:
    return next(a.attrs["href"] for a in page.find("a") if row in a.ancestors)


def test_one_person_once_and_the_count_follows_the_merge_everywhere(site):
    people = read(site, "people/index.html")
    assert f"{PEOPLE} people posted" in people.visible_text
    assert f"{PEOPLE} people" in read(site, "index.html").visible_text
    assert f"from {PEOPLE} people" in (site / "recap.md").read_text()
    assert len(rows(people)) == PEOPLE - 1  # Shy is counted, not named
    assert "1 person did not opt in to being listed by name" in people.visible_text


def test_a_verified_link_joins_mastodon_and_bluesky_and_a_speaker_comes_first(site):
    people = read(site, "people/index.html")
    first = rows(people)[0]
    assert name_of(people, first) == "Priya Raman"  # fewer posts than Sam, but a speaker
    assert "Speaker: Vector search without a vector database, Closing: what we learned" in " ".join(first.text.split())
    cells = [td for td in people.find("td") if first in td.ancestors]
    assert cells[1].text.strip() == "Mastodon, Bluesky" and cells[2].text.strip() == "3"
    talks = [a.attrs["href"] for a in people.find("a") if first in a.ancestors][1:3]
    assert talks == ["../talks/pyconex-102/index.html", "../talks/pyconex-202/index.html"]
    page = read(site, person_link(people, first).removeprefix("../"))
    assert page.one("h1").text == "Priya Raman"
    accounts = page.one("ul", class_="accounts")
    originals = {a.attrs["href"]: a.attrs["rel"] for a in page.find("a") if accounts in a.ancestors}
    assert originals == {"https://example.social/@priya": "nofollow noopener ugc",
                         "https://bsky.app/profile/did:plc:priya": "nofollow noopener ugc"}
    assert "One person here because of a link they verified." in page.visible_text
    assert len(page.by_class("card")) == 3 and "Thanks for coming to my talk" in page.visible_text


def test_the_same_display_name_is_not_evidence(site):
    people = read(site, "people/index.html")
    sams = row_of(people, "Sam Lee")
    assert len(sams) == 2
    assert {person_link(people, r) for r in sams} == {"../people/sam-example-social.html",
                                                      "../people/samlee-bsky-social.html"}
    alexes = row_of(people, "Alex Kim")  # a slide quoted by three accounts is not a cross-post
    assert len(alexes) == 2 and len(row_of(people, "Kit")) == 1
    assert len(row_of(people, "Robin")) == 2  # the same words three hours apart
    # Two accounts of one network that verified the same page: the page proves nothing.
    assert all(len(row_of(people, n)) == 1 for n in ("Team Member A", "Team Member B", "The Team"))


def test_a_bluesky_handle_that_is_a_blogs_domain_is_one_person(site):
    people = read(site, "people/index.html")
    [lin] = row_of(people, "Lin Q.")
    cells = [td for td in people.find("td") if lin in td.ancestors]
    assert cells[1].text.strip() == "Bluesky, Blog"
    page = read(site, person_link(people, lin).removeprefix("../"))
    assert "One person here because of the same web address." in page.visible_text


def test_a_strict_cross_post_and_a_blog_authors_link_join_three_accounts(site):
    people = read(site, "people/index.html")
    [jun] = row_of(people, "Jun Park")
    cells = [td for td in people.find("td") if jun in td.ancestors]
    assert cells[1].text.strip() == "Mastodon, Bluesky, Blog" and cells[2].text.strip() == "3"
    page = read(site, person_link(people, jun).removeprefix("../"))
    assert "a link they gave and the same post on both networks" in page.visible_text
    assert [li.text.split(":")[0] for li in page.find("li") if page.one("ul", class_="accounts") in li.ancestors] \
        == ["Mastodon", "Bluesky", "Blog"]


def test_junk_names_fall_back_to_the_handle_and_spam_is_left_out(site):
    people = read(site, "people/index.html")
    names = [name_of(people, r) for r in rows(people)]
    assert "junk@example.social" in names and "party@example.social" in names
    text = people.visible_text
    assert '">' not in text and "🎉" not in text
    everything = " ".join(p.read_text() for p in (site / "people").glob("*.html"))
    assert "Free Tickets" not in everything and "Coins" not in everything


def test_who_did_not_opt_in_is_counted_but_has_no_page_and_no_trace_on_people(site):
    everything = " ".join(p.read_text() for p in (site / "people").glob("*.html"))
    assert "Shy Person" not in everything and "shy.example" not in everything
    assert not any("shy" in p.name for p in (site / "people").iterdir())


def test_every_person_page_is_linked_and_leads_somewhere(site):
    people = read(site, "people/index.html")
    linked = {person_link(people, r).removeprefix("../") for r in rows(people)}
    built = {p.relative_to(site).as_posix() for p in (site / "people").glob("*.html")} - {"people/index.html"}
    assert linked == built and len(built) == PEOPLE - 1
    for path in built:
        page = read(site, path)
        for a in page.find("a"):
            href = a.attrs.get("href", "")
            if not href.startswith(("http", "#")):
                assert (site / "people" / href.split("#")[0]).resolve().is_file(), (path, href)


def test_a_persons_posts_are_paged_like_other_lists():
    person = Person("Ada", "ada@example.social", None, "mastodon", items=list(range(PAGE * 2 + 1)),
                    path="people/ada-example-social.html")
    assert [len(p) for p in person.pages] == [PAGE, PAGE, 1]
    assert [person.page_path(n) for n in (1, 2, 3)] == [
        "people/ada-example-social.html", "people/ada-example-social.page-2.html",
        "people/ada-example-social.page-3.html"]


def test_a_key_points_count_of_people_follows_the_people_page_not_display_names(site):
    # Three accounts quote the same slide; two are called Alex Kim on two networks, but nothing
    # shows they are one person (a quotation), so the point was made by three people.
    day = read(site, "days/2026-09-01/index.html")
    points = [li for li in day.find("li", class_="point") if "root of all evil" in li.text]
    assert points, "the quoted slide is a key point of the day"
    assert "3 people made this point" in " ".join(points[0].text.split())
