"""The digest, read the way a reader sees it: pages parsed with html.parser, links followed,
counts checked against the fixture event (tests/fixtures/digest/)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backchannel.validate import post_from_dict
from backchannel.digest import build
from backchannel.digest.ranking import rank_takeaways
from backchannel.errors import BackchannelError
from backchannel.talks.programme import Talk
from fixtures.digest import event
from fixtures.digest.event import Page, read

BERLIN = ZoneInfo("Europe/Berlin")
RECORDS = event.records()
BY_URL = {r["url"]: r for r in RECORDS}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("event")
    cfg = event.config(root, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW)  # with the search index: the search page lists its filters
    return cfg.digest.output


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def permalink(site: Path, record: dict) -> Path:
    local = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00")).astimezone(BERLIN)
    return site / "posts" / f"{local:%Y-%m-%d}" / f"{local:%H}" / f"{record['id']}.html"


def find_record(text: str) -> dict:
    return next(r for r in RECORDS if text in r["text"])


def card_urls(page: Page, container) -> list[str]:
    """Original-post URLs of the cards inside `container`, in order."""
    return [a.attrs["href"] for a in page.by_class("original") if container in a.ancestors]


# -- the front page -----------------------------------------------------------------------------


def test_front_page_tells_what_the_event_was(site):
    page = read(site, "index.html")
    assert page.one("h1").text.strip() == "PyCon Example 2026"
    text = page.visible_text
    authors = {r["author"]["handle"] for r in RECORDS}
    assert f"{len(authors)} people" in text and f"{len(RECORDS)} posts" in text and "6 talks" in text
    counts = page.one("ul", **{"aria-label": "Posts per source"}).text.split()
    labels = {"mastodon": "Mastodon", "bluesky": "Bluesky", "rss": "Blog"}
    for source, n in Counter(r["source"] for r in RECORDS).items():
        assert counts[counts.index(labels[source]) + 1] == str(n)
    assert "1–2 September 2026" in text


def test_the_activity_chart_counts_every_post_by_hour(site):
    page = read(site, "index.html")
    svg = page.one("svg", class_="on-wide")
    assert "Posts per hour" in page.one("title", id="activity-t").text
    hours = [datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")).astimezone(BERLIN)
             .replace(minute=0, second=0) for r in RECORDS]
    bars = [e for e in page.find("g") if e.attrs.get("class") == "bar" and svg in e.ancestors]
    assert len(bars) == int((max(hours) - min(hours)).total_seconds() // 3600) + 1
    drawn = sum(int(re.search(r": (\d+) posts?", b.text).group(1)) for b in bars)
    assert drawn == len(RECORDS)
    busiest = Counter(hours).most_common(1)[0]
    assert f"with {busiest[1]} posts" in page.one("desc", id="activity-d").text
    # A phone's drawing (narrower, taller) has the same bars, each source's part included.
    phone = page.one("svg", class_="on-phone")
    parts = lambda drawing: [e.attrs["class"] for e in page.find("rect")  # noqa: E731
                             if drawing in e.ancestors and e.attrs["class"] != "hit"]
    assert parts(phone) == parts(svg) and len(parts(svg)) >= len(set(hours))
    assert page.one("title", id="activity-phone-t").text == "Posts per hour"


def test_top_takeaways_are_the_rankings_best(site):
    page = read(site, "index.html")
    shown = card_urls(page, page.one("section", **{"aria-labelledby": "top-h"}))
    best = rank_takeaways([post_from_dict(r) for r in RECORDS], limit=10)
    assert len(shown) == 10 and shown == [entry.item.url for entry in best]
    authors = Counter(BY_URL[u]["author"]["handle"] for u in shown[:6])
    assert max(authors.values()) == 2  # the most prolific poster does not fill the top of the list


def test_open_questions_come_unanswered_first(site):
    page = read(site, "index.html")
    shown = [BY_URL[u] for u in card_urls(page, page.one("section", **{"aria-labelledby": "q-h"}))]
    assert shown and all(r["kind"] == "question" for r in shown)
    replied = [r["metrics"]["replies"] > 0 for r in shown]
    assert replied == sorted(replied)
    unanswered = [r["metrics"]["likes"] for r in shown if not r["metrics"]["replies"]]
    assert unanswered == sorted(unanswered, reverse=True)


def test_front_page_lists_top_links_hashtags_and_people(site):
    page = read(site, "index.html")
    links = page.one("section", **{"aria-labelledby": "links-h"})
    top = [a.attrs["href"] for a in page.find("a") if links in a.ancestors and a.attrs["href"].startswith("http")]
    shared = Counter(u for r in RECORDS for u in set(r["links"]) if u != r["url"])
    assert shared[top[0]] == max(shared.values()) == 2
    tags = page.one("section", **{"aria-labelledby": "tags-h"}).text
    assert "#security" in tags and "#a11y" in tags and "#pyconex" not in tags
    people = page.one("section", **{"aria-labelledby": "people-h"})
    first = [li for li in page.find("li") if people in li.ancestors][0].text.split()
    most = Counter(r["author"]["name"] for r in RECORDS).most_common(1)[0][1]
    assert first[-1] == str(most)


# -- talks, days, kinds --------------------------------------------------------------------------


@pytest.mark.parametrize("talk", event.talks(), ids=lambda t: t.id)
def test_each_talk_has_a_page_with_its_posts(site, talk):
    page = read(site, f"talks/{talk.id}/index.html")
    assert page.one("h1").text == talk.title
    meta = page.by_class("talk-meta")[0].text
    assert talk.room in meta and talk.speakers[0] in meta
    section = page.one("section", **{"aria-labelledby": "all-h"})
    expected = [r["url"] for r in RECORDS if r["talk"] == talk.id]
    assert card_urls(page, section) == expected


def test_a_talk_page_opens_with_what_the_programme_says(site):
    page = read(site, "talks/pyconex-102/index.html")
    meta = " ".join(page.by_class("talk-meta")[0].text.split())
    assert "When Tue 1 Sep, 10:30–11:15" in meta and "Room Hall A" in meta and "Track Data" in meta
    official = page.by_class("talk-page")[0]
    assert [a.attrs["href"] for a in page.links() if official in a.ancestors] == [
        "https://programme.example/pyconex/talk/102/"]
    about = page.one("section", **{"aria-labelledby": "abstract-h"})
    paragraphs = [p.text for p in page.find("p") if about in p.ancestors]
    assert paragraphs == ["Most teams reach for a vector database too early.",
                          "This talk shows how far SQLite FTS5 & a small embedding table go.",
                          "Bring a laptop if you want to follow along."]  # the programme's <script> is gone
    speakers = page.one("section", **{"aria-labelledby": "speakers-h"})
    [name] = [h for h in page.find("h3") if speakers in h.ancestors]
    assert name.text == "Priya Raman" and "She likes boring databases." in speakers.text
    hrefs = [a.attrs["href"] for a in page.links() if speakers in a.ancestors]
    # the handle links to its profile, the website follows; the programme's javascript: link is gone
    assert hrefs == ["https://example.social/@priya", "https://priya.example/", "../../talks/pyconex-202/index.html"]
    assert "@priya@example.social" in speakers.text and "Also speaking: Closing: what we learned" in speakers.text
    materials = page.one("section", **{"aria-labelledby": "materials-h"})
    assert [(a.text, a.attrs["href"]) for a in page.links() if materials in a.ancestors] == [
        ("Slides", "https://programme.example/media/vector-search-slides.pdf")]
    assert not any("javascript" in a.attrs.get("href", "") for a in page.links())
    # a speaker with nothing but a name gets no section of their own (the meta names them)
    assert not read(site, "talks/pyconex-103/index.html").find("section", **{"aria-labelledby": "speakers-h"})


@pytest.mark.parametrize("talk", event.talks(), ids=lambda t: t.id)
def test_on_a_talks_page_no_chip_links_to_it_and_the_full_list_is_folded(site, talk):
    page = read(site, f"talks/{talk.id}/index.html")
    chips = [a.attrs["href"] for a in page.by_class("talk")]
    assert "../../talks/{talk.id}/index.html" not in chips and not chips
    section = page.one("section", **{"aria-labelledby": "all-h"})
    folded = [d for d in page.find("details") if section in d.ancestors]
    assert len(folded) == 1 and page.one("h2", id="all-h").inside("summary")
    assert all(folded[0] in li.ancestors for li in page.find("li") if section in li.ancestors)
    # elsewhere the chip leads to the talk
    day = read(site, f"days/{talk.day:%Y-%m-%d}/index.html")
    if any(r["talk"] == talk.id for r in RECORDS):
        assert f"../../talks/{talk.id}/index.html" in [a.attrs["href"] for a in day.by_class("talk")]


def test_materials_are_links_the_speakers_shared_and_the_programmes(tmp_path):
    base = {**next(r for r in RECORDS if r["talk"] == "pyconex-102"), "kind": "resource", "html": None}
    speaker = {"handle": "priya@example.social", "name": "Priya Raman", "url": "https://example.social/@priya"}
    extra = [
        {**base, "id": "m1", "url": "https://example.social/@priya/1", "author": speaker,
         "created_at": "2026-09-01T12:00:00Z",
         "text": "My slides and the recording: https://files.example/vectors.pdf https://www.youtube.com/watch?v=abc",
         "links": ["https://files.example/vectors.pdf", "https://www.youtube.com/watch?v=abc"]},
        {**base, "id": "m2", "url": "https://example.social/@priya/2", "author": speaker,
         "created_at": "2026-09-01T12:05:00Z", "text": "Thanks all! Code: https://github.com/example/v",
         "links": ["https://github.com/example/v"]},  # says neither slides nor recording
        {**base, "id": "m3", "url": "https://fosstodon.example/@grace/9",
         "author": {"handle": "grace@fosstodon.example", "name": "Grace Hopper"},
         "created_at": "2026-09-01T12:10:00Z", "text": "Her slides: https://evil.example/slides.pdf",
         "links": ["https://evil.example/slides.pdf"]},  # not a speaker: anyone can claim a link
    ]
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS + extra).close()
    build(cfg, now=event.NOW, search=False)
    page = read(cfg.digest.output, "talks/pyconex-102/index.html")
    materials = page.one("section", **{"aria-labelledby": "materials-h"})
    items = [" ".join(li.text.split()) for li in page.find("li") if materials in li.ancestors]
    hrefs = [a.attrs["href"] for a in page.links() if materials in a.ancestors]
    assert items == ["Slides", "Slides shared by Priya Raman", "Recording shared by Priya Raman"]
    assert hrefs == ["https://programme.example/media/vector-search-slides.pdf",
                     "https://files.example/vectors.pdf", "../../posts/2026-09-01/14/m1.html",
                     "https://www.youtube.com/watch?v=abc", "../../posts/2026-09-01/14/m1.html"]
    # margaret shared slides for talk 104, but she is not its speaker: no materials there
    assert not read(cfg.digest.output, "talks/pyconex-104/index.html").find(
        "section", **{"aria-labelledby": "materials-h"})


def test_links_the_organisers_post_about_a_talk_are_its_materials(tmp_path):
    base = {**next(r for r in RECORDS if r["talk"] == "pyconex-104"), "kind": "resource", "html": None}
    extra = [
        {**base, "id": "o1", "url": "https://example.social/@pyconex/1", "created_at": "2026-09-02T09:00:00Z",
         "author": {"handle": "PyConEx@example.social", "name": "PyCon Example"},
         "text": "The recording is up: https://media.example/v/104", "links": ["https://media.example/v/104"]},
        {**base, "id": "o2", "url": "https://fosstodon.example/@grace/10", "created_at": "2026-09-02T09:05:00Z",
         "author": {"handle": "grace@fosstodon.example", "name": "Grace Hopper"},
         "text": "Recording: https://evil.example/v/104", "links": ["https://evil.example/v/104"]},
    ]
    cfg = event.config(tmp_path, schedule=event.SCHEDULE, event={"organisers": ["@pyconex@Example.social"]})
    event.fill(cfg, RECORDS + extra).close()
    build(cfg, now=event.NOW, search=False)
    page = read(cfg.digest.output, "talks/pyconex-104/index.html")
    materials = page.one("section", **{"aria-labelledby": "materials-h"})
    items = [" ".join(li.text.split()) for li in page.find("li") if materials in li.ancestors]
    assert items == ["Recording shared by PyCon Example"]


def test_a_talk_that_runs_past_midnight_carries_both_dates(tmp_path):
    late = Talk("late-1", "Lightning talks after dark", datetime.fromisoformat("2026-09-01T21:30:00+00:00"),
                datetime.fromisoformat("2026-09-01T22:30:00+00:00"), "Hall A", speakers=["Ana"])
    cfg = event.config(tmp_path, schedule=event.write_schedule(tmp_path / "s.json", event.talks() + [late]))
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW, search=False)
    meta = read(cfg.digest.output, "talks/late-1/index.html").by_class("talk-meta")[0].text
    assert "Tue 1 Sep, 23:30 – Wed 2 Sep, 00:30" in meta  # Berlin time
    meta = read(cfg.digest.output, "talks/pyconex-101/index.html").by_class("talk-meta")[0].text
    assert "Tue 1 Sep, 09:30–10:15" in meta


def test_talks_overview_lists_every_talk_with_its_count(site):
    page = read(site, "talks/index.html")
    rows = [tr for tr in page.find("tr") if any(a.tag == "tbody" for a in tr.ancestors)]
    assert len(rows) == len(event.talks())
    for talk, row in zip(event.talks(), rows):
        cells = row.text.split()
        assert talk.title in " ".join(cells)
        assert cells[-1] == str(sum(r["talk"] == talk.id for r in RECORDS))


def test_day_pages_hold_each_days_posts_and_chart(site):
    for day in ("2026-09-01", "2026-09-02"):
        page = read(site, f"days/{day}/index.html")
        section = page.one("section", **{"aria-labelledby": "all-h"})
        expected = [r["url"] for r in RECORDS if permalink(site, r).parent.parent.name == day]
        assert card_urls(page, section) == expected
        assert page.find("svg", role="img")
    assert read(site, "days/2026-09-01/index.html").one("a", rel="next").attrs["href"].endswith("2026-09-02/index.html")


def key_point_rows(page: Page) -> list[tuple[int, str, list[str]]]:
    """(people, the clearest post's original URL, every other member's permalink) per point."""
    section = page.one("section", **{"aria-labelledby": "points-h"})
    rows = []
    for li in page.by_class("point"):
        if section not in li.ancestors:
            continue
        support = int(next(e for e in page.by_class("point-support") if li in e.ancestors).text.split()[0])
        [url] = card_urls(page, li)
        members = [a.attrs["href"] for a in page.find("a") if li in a.ancestors
                   and any(e.attrs.get("class") == "point-members" for e in a.ancestors)]
        rows.append((support, url, members))
    return rows


def test_a_talk_page_opens_with_its_key_points_every_member_one_click_away(site):
    page = read(site, "talks/pyconex-101/index.html")
    headings = [h.text for h in page.find("h2")]
    assert headings.index("Key points") < headings.index("All posts, in order")
    rows = key_point_rows(page)
    takeaways = [r for r in RECORDS if r["talk"] == "pyconex-101" and r["kind"] == "takeaway"]
    # every takeaway of the talk is in exactly one point, shown or linked
    shown = [BY_URL[url]["id"] for _, url, _ in rows] + [Path(m).stem for _, _, ms in rows for m in ms]
    assert sorted(shown) == sorted(r["id"] for r in takeaways)
    support = [n for n, _, _ in rows]
    assert support == sorted(support, reverse=True) and support[0] >= 2
    # the three posts on "boring technology" (a quote, its Bluesky echo, a blog entry) are one point
    top_members = {BY_URL[rows[0][1]]["author"]["name"]} | {
        next(r for r in RECORDS if r["id"] == Path(m).stem)["author"]["name"] for m in rows[0][2]}
    assert top_members == {"Katherine Johnson", "Linus", "Hedy Lamarr"}
    for _, _, members in rows:
        for href in members:
            assert (site / "talks" / "pyconex-101" / href).resolve().is_file()


def test_day_and_front_pages_and_the_recap_carry_the_key_points(site):
    day = key_point_rows(read(site, "days/2026-09-01/index.html"))
    front = key_point_rows(read(site, "index.html"))
    assert day and front and front[0] == (3, day[0][1], [m.replace("../../", "") for m in day[0][2]])
    recap = (site / "recap.md").read_text()
    assert recap.index("## Key points") < recap.index("## Top takeaways")
    assert "- **3 people** (“Keynote: The joy of boring technology”)" in recap


@pytest.mark.parametrize("kind", ["takeaway", "question", "resource", "shoutout"])
def test_each_kind_has_a_page(site, kind):
    page = read(site, f"kinds/{kind}/index.html")
    section = page.one("section", **{"aria-labelledby": "all-h"})
    assert card_urls(page, section) == [r["url"] for r in RECORDS if r["kind"] == kind]


def test_people_and_links_pages(site):
    people = read(site, "people/index.html")
    body_rows = [tr for tr in people.find("tr") if any(a.tag == "tbody" for a in tr.ancestors)]
    named = {r["author"]["handle"] for r in RECORDS if post_from_dict(r).named}
    assert len(body_rows) == len(named) == len({r["author"]["handle"] for r in RECORDS}) - 1
    assert "jo@example.social" not in people.visible_text  # not discoverable: counted, not named
    assert "1 person did not opt in to being listed by name" in people.visible_text
    front = read(site, "index.html")
    assert "Jo " not in front.one("section", **{"aria-labelledby": "people-h"}).text
    links = read(site, "links/index.html")
    shared = {u for r in RECORDS for u in r["links"] if u != r["url"]}
    assert {a.attrs["href"] for a in links.by_class("link")} == shared


# -- a post's own page ---------------------------------------------------------------------------


def test_permalink_credits_the_author_links_the_original_and_says_why(site):
    record = find_record("SQLite FTS5")
    page = Page(permalink(site, record).read_text())
    assert page.one("span", class_="name").text == record["author"]["name"]
    assert record["author"]["handle"] in page.visible_text
    original = [a for a in page.find("a") if a.attrs.get("href") == record["url"]]
    assert original and all(a.attrs["rel"] == "nofollow noopener ugc" for a in original)
    profile = [a for a in page.find("a") if a.attrs.get("href") == record["author"]["url"]]
    assert profile and profile[0].text == record["author"]["name"]
    assert f"Why: {record['talk_reason']}" in page.visible_text
    assert "Vector search without a vector database" in page.one("nav", **{"aria-label": "Breadcrumb"}).text


def test_only_post_content_is_indexed_with_its_filters(site, searched):
    record = find_record("Lehrreich")
    page = Page(permalink(site, record).read_text())
    assert page.one("div", **{"class": "content"}).attrs["lang"] == "de"
    index = searched(site)
    url = permalink(site, record).relative_to(site).as_posix()
    row = next(r for r in index.rows if r["url"] == url)
    assert row["text"] == record["text"] and row["author"] == record["author"]["name"]  # the post, not the page
    assert "Hybridsuche" in row["text"] and "Overview" not in index.text  # the page's menu is not indexed
    # each filter as the post's own page writes it
    facts = dict(zip((e.text for e in page.find("dt")), (e.text for e in page.find("dd"))))
    assert index.filters()[url] == {"source": "Mastodon", "kind": "Takeaway", "day": "Tue 1 Sep",
                                    "talk": "Vector search without a vector database", "language": "German"}
    assert {k.lower(): v for k, v in facts.items()} == index.filters()[url]
    # only posts' own pages are results: no list page (front page, days, kinds, people)
    assert index.urls and all(u.startswith("posts/") and (site / u).is_file() for u in index.urls)


def test_posts_of_accounts_that_did_not_opt_in_to_search_are_shown_but_not_indexed(site, searched):
    kat = [r for r in RECORDS if r["author"]["handle"] == "kat@mastodon.example"]
    assert kat and all("indexable" not in r["consent"] for r in kat)  # Mastodon: missing = not opted in
    index = searched(site)
    for record in kat:
        page = Page(permalink(site, record).read_text())
        assert record["text"][:30] in page.visible_text
        assert record["id"] not in index.post_ids
    assert "Katherine" not in index.text and "katherine" not in index.text  # nor her name, as a word
    assert {r["id"] for r in RECORDS if r["author"]["handle"] == "ada@example.social"} <= index.post_ids
    day = read(site, "days/2026-09-01/index.html")
    assert {r["url"] for r in kat} & {a.attrs["href"] for a in day.by_class("original")}


def test_content_warnings_and_sensitive_media_stay_collapsed(site):
    cw = find_record("tiny search engine")
    page = Page(permalink(site, cw).read_text())
    details = page.one("details", **{"class": "cw"})
    assert "open" not in details.attrs
    assert "Workshop spoilers" in page.one("summary").text
    content = page.one("div", **{"class": "content"})
    assert details in content.ancestors
    sensitive = Page(permalink(site, find_record("very large spider")).read_text())
    media = sensitive.one("ul", **{"class": "media"})
    hidden = sensitive.one("details", **{"class": "sensitive"})
    assert hidden in media.ancestors and "open" not in hidden.attrs


# -- safety and self-containment over every page --------------------------------------------------


def test_every_link_out_of_a_post_is_nofollow_noopener_ugc(site):
    checked = 0
    for path in pages(site):
        for a in Page(path.read_text()).find("a"):
            if a.attrs.get("href", "").startswith(("http:", "https:")):
                assert set(a.attrs.get("rel", "").split()) >= {"nofollow", "noopener", "ugc"}, (path, a.attrs)
                checked += 1
    assert checked > 50


def test_nothing_is_loaded_from_anywhere_else(site):
    for path in pages(site):
        page = Page(path.read_text())
        csp = page.one("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]
        assert "default-src 'none'" in csp and "img-src 'self';" in csp
        for el in page.elements:
            for attr in ("src", "srcset", "poster", "data"):
                assert not re.match(r"\s*(https?:)?//", el.attrs.get(attr) or ""), (path, el)
            if el.tag == "link":
                assert not re.match(r"(https?:)?//", el.attrs["href"]), (path, el)
            assert "style" not in el.attrs, (path, el)
            if el.tag == "script":  # the search page's, the wall's and the language choice's files, nothing inline
                own = [(site / "static" / name).resolve() for name in ("search.js", "wall.js", "languages.js")]
                assert (path.parent / el.attrs["src"].split("?")[0]).resolve() in own and not el.text.strip()
    media = Page(permalink(site, find_record("Lunch spread")).read_text())
    assert not media.find("img") and media.one("a", **{"class": "media-link"})


def test_remote_media_only_when_the_config_allows_it(tmp_path):
    cfg = event.config(tmp_path, digest={"allow_remote_media": True})
    record = find_record("Lunch spread")
    event.fill(cfg, [record]).close()
    build(cfg, now=event.NOW, search=False)
    page = Page(permalink(cfg.digest.output, record).read_text())
    img = page.one("img")
    assert img.attrs["src"] == record["media"][0]["preview_url"]
    assert img.attrs["alt"] == record["media"][0]["alt"] and img.attrs["loading"] == "lazy"
    assert "img-src 'self' https:" in page.one("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]


def test_every_link_inside_the_site_leads_somewhere(site):
    for path in pages(site):
        page = Page(path.read_text())
        for el in page.elements:
            ref = el.attrs.get("href") or el.attrs.get("src")
            if not ref or re.match(r"[a-z]+:", ref) or ref.startswith("#"):
                continue
            target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
            if ref.split("?")[0].endswith("/"):
                target = target / "index.html"
            if path.name == "404.html":
                target = site / ref.lstrip("/").split("?")[0]
            assert target.exists(), f"{path.relative_to(site)} → {ref}"


def test_pages_have_landmarks_headings_and_alt_text(site):
    for path in pages(site):
        page = Page(path.read_text())
        assert page.one("html").attrs["lang"] == "en"
        assert page.one("main").attrs["id"] == "main"
        assert page.one("a", **{"class": "skip"}).attrs["href"] == "#main"
        assert len(page.find("h1")) == 1, path
        assert page.find("header") and page.find("footer")
        assert all(n.attrs.get("aria-label") for n in page.find("nav")), path
        assert all("alt" in img.attrs for img in page.find("img"))
        for svg in page.find("svg"):
            assert svg.attrs["role"] == "img" and svg.attrs["aria-labelledby"]
        ids = [e.attrs["id"] for e in page.elements if "id" in e.attrs]
        assert len(ids) == len(set(ids)), path


# -- config and seams ----------------------------------------------------------------------------


def test_blocked_accounts_and_words_stay_out_of_the_digest(tmp_path):
    cfg = event.config(tmp_path, blocklist={"accounts": ["alan@example.social"], "words": ["spoilers"]},
                       schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS).close()
    report = build(cfg, now=event.NOW, search=False)
    blocked = [r for r in RECORDS if r["author"]["handle"] == "alan@example.social"
               or "spoilers" in (r["content_warning"] or "").lower()]
    assert report.posts == len(RECORDS) - len(blocked)
    site = cfg.digest.output
    for r in blocked:
        assert not permalink(site, r).exists()
    everything = " ".join(p.read_text() for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".md", ".xml", ".jsonl"))
    assert "Alan T." not in everything and "alan@example.social" not in everything


def test_without_a_schedule_posts_are_grouped_by_day(tmp_path, searched):
    cfg = event.config(tmp_path)
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW)
    site = cfg.digest.output
    assert not (site / "talks").exists()
    front = read(site, "index.html")
    assert "Talks" not in front.one("nav", **{"aria-label": "Sections"}).text
    assert not front.find("section", **{"aria-labelledby": "talks-h"})
    assert "Talk" not in [dt.text for dt in Page(permalink(site, find_record("SQLite FTS5")).read_text()).find("dt")]
    assert not any("talk" in f for f in searched(site).filters().values())  # no talk filter in search
    assert not read(site, "search/index.html").find("input", name="talk")


def test_a_talk_page_names_the_room_and_the_venue_an_icalendar_location_gives(tmp_path):
    located = "".join(
        f"BEGIN:VEVENT\r\nUID:talk-{n}@example.org\r\nSUMMARY:{title}\r\n"
        f"LOCATION:{room}\\, Foro Cultural Tacubaya\\, Ciudad de México\r\n"
        f"DTSTART:20260901T0{8 + n}0000Z\r\nDTEND:20260901T0{8 + n}4500Z\r\nEND:VEVENT\r\n"
        for n, (title, room) in enumerate([("Movilidad en bici", "Sala Xochimilco"), ("Metro y datos", "Sala Coyoacán")]))
    ics = tmp_path / "programme.ics"
    ics.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//x\r\n{located}END:VCALENDAR\r\n", "utf-8")
    cfg = event.config(tmp_path, schedule=ics)
    event.fill(cfg, RECORDS[:3]).close()
    build(cfg, now=event.NOW, search=False)
    page = next(Page(p.read_text()) for p in (cfg.digest.output / "talks").rglob("index.html") if "Movilidad" in p.read_text()
                and p.parent.name != "talks")
    meta = dict(zip((e.text for e in page.find("dt")), (e.text for e in page.find("dd"))))
    assert meta["Room"] == "Sala Xochimilco" and meta["Venue"] == "Foro Cultural Tacubaya, Ciudad de México"
    programme = read(cfg.digest.output, "talks/index.html").visible_text
    assert "Sala Coyoacán" in programme and "Tacubaya" not in programme


def test_a_cross_post_is_one_top_takeaway_crediting_both_copies(tmp_path):
    """The build ranks as `backchannel.digest.ranking` does: the same person's Bluesky copy of a
    takeaway (cut to 300 characters, a link back) is merged into the Mastodon post."""
    original = find_record("SQLite FTS5")
    copy = {**original, "id": "bluesky-crosspost", "source": "bluesky", "created_at": "2026-09-01T08:43:00Z",
            "url": "https://bsky.app/profile/ada.bsky.example/post/3kx", "text": original["text"][:90] + "…",
            "html": "", "author": {"handle": "ada.bsky.example", "name": "Ada Lovelace 🦋",
                                   "url": "https://bsky.app/profile/ada.bsky.example"}}
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS + [copy]).close()
    build(cfg, now=event.NOW, search=False)
    page = read(cfg.digest.output, "index.html")
    section = page.one("section", **{"aria-labelledby": "top-h"})
    shown = card_urls(page, section)
    assert original["url"] in shown and copy["url"] not in shown  # the complete text represents both
    similar = [el for el in page.by_class("similar") if section in el.ancestors]
    assert len(similar) == 1 and " ".join(similar[0].text.split()) == "Also said by Ada Lovelace 🦋."
    card = next(a for a in similar[0].ancestors if a.tag == "article")
    assert [a.attrs["href"] for a in page.by_class("original") if card in a.ancestors] == [original["url"]]
    credit = [a.attrs["href"] for a in page.links() if similar[0] in a.ancestors]
    assert credit == ["posts/2026-09-01/10/bluesky-crosspost.html"]


def test_a_users_templates_override_the_packaged_ones(tmp_path):
    mine = tmp_path / "my-templates"
    (mine / "static").mkdir(parents=True)
    (mine / "front.html").write_text('{% extends "base.html" %}{% block main %}<h1>Our own front page</h1>'
                                     '<p>{{ g.items|length }} posts, {{ "<b>" }}</p>{% endblock %}')
    (mine / "static" / "style.css").write_text("body { color: rebeccapurple; }")
    cfg = event.config(tmp_path, digest={"templates": "my-templates"}, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW, search=False)
    site = cfg.digest.output
    front = read(site, "index.html")
    assert front.one("h1").text == "Our own front page"
    assert f"{len(RECORDS)} posts, <b>" in front.visible_text  # still autoescaped
    assert (site / "static" / "style.css").read_text() == "body { color: rebeccapurple; }"
    assert (site / "static" / "search.js").exists()
    assert read(site, "talks/index.html").one("h1").text == "Talks"  # the rest is packaged


def test_a_users_template_extends_the_packaged_one_of_the_same_name(tmp_path):
    """`default:NAME` is the packaged template: an override changes one block and keeps the rest,
    and every page built on base.html (the permalinks too) gets the change."""
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "base.html").write_text('{% extends "default:base.html" %}'
                                    '{% block head_search %}<p class="sponsor">Hosted by {{ "<Example & Co>" }}</p>'
                                    '{{ super() }}{% endblock %}')
    (mine / "post.html").write_text('{% extends "default:post.html" %}'
                                    '{% block main %}<p class="notice">Posted under #{{ site.hashtags[0] }}</p>'
                                    '{{ super() }}{% endblock %}')
    cfg = event.config(tmp_path, digest={"templates": "my-templates"}, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW, search=False)
    site = cfg.digest.output
    front = read(site, "index.html")
    assert front.by_class("sponsor")[0].text == "Hosted by <Example & Co>"  # autoescaped, as text
    assert front.find("section", **{"aria-labelledby": "top-h"})  # the packaged front page around it
    assert front.find("input", type="search")  # what the block held before: super()
    record = find_record("SQLite FTS5")
    post = Page(permalink(site, record).read_text())
    assert post.by_class("notice")[0].text == "Posted under #pyconex"
    assert post.by_class("sponsor") and record["url"] in [a.attrs["href"] for a in post.by_class("original")]
    assert read(site, "talks/index.html").by_class("sponsor")  # pages without an override of their own


def test_a_template_that_extends_itself_is_one_line_naming_it(tmp_path):
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "base.html").write_text('{% extends "base.html" %}{% block foot %}x{% endblock %}')
    cfg = event.config(tmp_path, digest={"templates": "my-templates"})
    event.fill(cfg, RECORDS[:3]).close()
    with pytest.raises(BackchannelError, match=r'base\.html extends itself; the packaged one is "default:base\.html"'):
        build(cfg, now=event.NOW, search=False)



# -- the small things a reader notices ------------------------------------------------------------


@pytest.mark.parametrize("path, current", [
    ("index.html", "Overview"), ("talks/index.html", "Talks"), ("kinds/question/index.html", "Questions"),
    ("people/index.html", "People"), ("links/index.html", "Links"),
    ("talks/pyconex-102/index.html", None), ("days/2026-09-01/index.html", None)])
def test_the_menu_marks_the_page_you_are_on(site, path, current):
    page = read(site, path)
    menu = page.one("nav", **{"aria-label": "Sections"})
    marked = [a.text for a in page.links() if menu in a.ancestors and a.attrs.get("aria-current") == "page"]
    assert marked == ([current] if current else [])


def test_search_filters_write_days_as_pages_do_in_time_order(site, searched):
    page = read(site, "search/index.html")
    days = [i.attrs["value"] for i in page.find("input", name="day")]
    assert days == ["Tue 1 Sep", "Wed 2 Sep"]
    record = find_record("Lehrreich")
    post = permalink(site, record)
    facts = Page(post.read_text()).find("dd")
    assert facts[2].text == days[0] == searched(site).filters()[post.relative_to(site).as_posix()]["day"]
    # the example in the search box is one of the event's own top words (its busiest hashtag)
    assert page.one("input", id="q").attrs["placeholder"] == "e.g. security"


def test_titles_read_as_one_phrase_whatever_the_events_name(tmp_path):
    cfg = event.config(tmp_path, digest={"title": "PyCon 2026: what we learned"}, schedule=event.SCHEDULE)
    event.fill(cfg, RECORDS).close()
    build(cfg, now=event.NOW, search=False)
    out = cfg.digest.output
    recap = (out / "recap.md").read_text()
    assert recap.startswith("# What people took away from PyCon 2026: what we learned\n")
    assert "Beyond the talks on Tuesday, 1 September 2026" in recap
    assert "<title>Top takeaways from PyCon 2026: what we learned</title>" in (out / "feed.xml").read_text()
    assert read(out, "index.html").one("link", rel="alternate").attrs["title"] == \
        "Top takeaways from PyCon 2026: what we learned"


def test_links_inside_a_card_leave_the_tab_order_and_text_stays_text():
    from backchannel.digest.pages import untabbed
    from backchannel.sanitize import clean_html

    body = untabbed(clean_html('<p>see <a href="https://x.example/">x</a>, and "&lt;a " is text</p>'))
    assert '<a tabindex="-1" href="https://x.example/"' in body and "&lt;a " in body
    assert body.count("tabindex") == 1
