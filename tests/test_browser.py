"""The built digest in a real browser: Debian's Chromium driven by Playwright (no browser
download), the digest served by `backchannel serve` on 127.0.0.1.

Every page load records dialogs, console errors, page errors and every request; a test
fails if a hostile post ran anything or if any request left 127.0.0.1.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backchannel.validate import post_from_dict
from backchannel.digest import build
from backchannel.digest.model import file_name
from backchannel.names import KIND_LABELS
from backchannel.serve import serve_in_thread
from fixtures.digest import event

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
RECORDS = event.records()
SEARCHABLE = [r for r in RECORDS if post_from_dict(r).searchable]  # the others are shown, not searchable
HOSTILE = event.hostile_records()
DURING_DAY_TWO = datetime.fromisoformat("2026-09-02T15:00:00+00:00")  # day two is indexed by the hour

if not Path(CHROMIUM).exists():  # scripts/test.sh installs it; say so instead of failing obscurely
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def permalink(rec: dict) -> str:
    local = datetime.fromisoformat(rec["created_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Berlin"))
    return f"posts/{local:%Y-%m-%d}/{local:%H}/{file_name(rec['id'])}.html"


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    """The fixture event plus hostile posts, built with search and served."""
    root = tmp_path_factory.mktemp("browser")
    cfg = event.config(root, schedule=event.hostile_schedule(root))
    event.fill(cfg, RECORDS + HOSTILE).close()
    report = build(cfg, now=DURING_DAY_TWO)
    assert report.search.error is None
    server, base = serve_in_thread(cfg.digest.output)
    yield base, cfg.digest.output
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def media_digest(tmp_path_factory):
    """A digest that may show remote media, its one image served from the digest's own
    origin (so the test server sees whether the browser asked for it)."""
    root = tmp_path_factory.mktemp("media")
    cfg = event.config(root, digest={"allow_remote_media": True})
    post = dict(next(r for r in RECORDS if "very large spider" in r["text"]))
    with event.fill(cfg, [RECORDS[0]]) as archive:
        build(cfg, now=event.NOW, search=False)
        server, base = serve_in_thread(cfg.digest.output)
        (cfg.digest.output / "media").mkdir()
        shutil.copy(Path(__file__).parents[1] / "site_templates" / "static" / "favicon.svg",
                    cfg.digest.output / "media" / "spider.svg")
        post["media"] = [dict(post["media"][0], url=f"{base}media/spider.svg")]
        archive.store([post_from_dict(post)])
        build(cfg, now=event.NOW, search=False)  # while serving: pages swap by rename
    yield base, post
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose dialogs, errors and requests are recorded."""

    def __init__(self, browser, base: str, **options):
        self.base = base
        self.context = browser.new_context(**options)
        self.page = self.context.new_page()
        self.dialogs, self.errors, self.requests = [], [], []
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("worker", lambda w: w.on("console", lambda m: self.errors.append(m.text)
                                               if m.type == "error" else None))
        self.context.on("request", lambda r: self.requests.append(r.url))

    def goto(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def assert_clean(self):
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors
        elsewhere = [u for u in self.requests if not u.startswith(self.base)]
        assert elsewhere == [], elsewhere
        assert self.page.evaluate("window.__pwned") is None

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser, digest):
    w = Watched(browser, digest[0])
    yield w
    w.assert_clean()
    w.close()


DONE = "document.getElementById('results').getAttribute('aria-busy') === 'false'"


def search(page, query: str):
    page.wait_for_selector("#search-app[data-ready='true']")
    page.fill("#q", query)
    page.wait_for_function(f"() => document.getElementById('status').textContent.includes('found') && {DONE}")
    return page


def results(page) -> list[str]:
    return page.eval_on_selector_all("#results .r-title", "els => els.map(e => e.getAttribute('href'))")


def count(page) -> int:
    status = page.text_content("#status")
    return 0 if status.startswith("0") else int(re.match(r"([\d,]+) posts? found", status).group(1).replace(",", ""))


def wait_count(page, n: int) -> None:
    page.wait_for_function(f"() => {{ const s = document.getElementById('status').textContent;"
                           f" return s.startsWith('{n} ') && s.includes('found') && {DONE}; }}")


def test_the_search_box_finds_a_post(watched):
    page = search(watched.goto("search/index.html"), "FTS5")
    ada = next(r for r in RECORDS if "SQLite FTS5" in r["text"])
    assert results(page)[0].endswith(permalink(ada))
    assert "FTS5" in page.text_content("#results mark")
    assert page.text_content("#results .r-title").startswith("Ada Lovelace")
    page.click("#results .r-title")
    page.wait_for_url("**/" + permalink(ada))
    assert "SQLite FTS5" in page.text_content("article")


def test_the_header_search_form_carries_the_query(watched):
    page = watched.goto("index.html")
    page.fill("#site-q", "nurses")
    page.press("#site-q", "Enter")
    page.wait_for_url("**/search/index.html?q=nurses")
    page.wait_for_function("() => document.getElementById('status').textContent.includes('found')")
    assert count(page) == sum("nurses" in r["text"].lower() for r in SEARCHABLE)


def test_filters_narrow_the_results(watched):
    page = search(watched.goto("search/index.html"), "pyconex")
    everything = count(page)
    assert everything == sum("#pyconex" in r["text"] for r in SEARCHABLE)
    page.check("#filters input[name='kind'][value='Question']")
    page.wait_for_function(f"() => {{ const s = document.getElementById('status').textContent;"
                           f" return s.includes('found') && !s.startsWith('{everything} '); }}")
    questions = [r for r in SEARCHABLE if r["kind"] == "question" and "#pyconex" in r["text"]]
    assert count(page) == len(questions)
    page.check("#filters input[name='day'][value='Wed 2 Sep']")  # dates as pages write them
    day_two = [r for r in questions if r["created_at"] >= "2026-09-01T22:00:00Z"]
    wait_count(page, len(day_two))
    shown = results(page)
    assert sorted(shown) == sorted("/" + permalink(r) for r in day_two)
    labels = page.eval_on_selector_all("#filters legend", "els => els.map(e => e.textContent)")
    assert labels == ["Kind", "Source", "Day", "Talk", "Language"]


def counts(page, name: str) -> dict[str, int]:
    """The numbers beside one filter's values, as shown."""
    pairs = page.eval_on_selector_all(f"#filters input[name='{name}']",
                                      "els => els.map(e => [e.value, e.parentElement.querySelector('.count').textContent])")
    return {value: int(n.replace(",", "")) for value, n in pairs}


def test_the_address_keeps_the_query_and_the_filters(watched):
    page = search(watched.goto("search/index.html"), "pyconex")
    everything = count(page)
    page.check("#filters input[name='kind'][value='Question']")
    page.wait_for_url("**/search/index.html?q=pyconex&kind=Question")
    wait_count(page, len([r for r in SEARCHABLE if r["kind"] == "question" and "#pyconex" in r["text"]]))
    questions = count(page)
    assert 0 < questions < everything
    page.reload()  # reload keeps both
    wait_count(page, questions)
    assert page.input_value("#q") == "pyconex" and page.is_checked("#filters input[value='Question']")
    page.go_back()  # before the filter
    wait_count(page, everything)
    assert not page.is_checked("#filters input[value='Question']") and page.input_value("#q") == "pyconex"
    page.go_forward()
    wait_count(page, questions)
    shared = watched.context.new_page()  # a link shares the view
    shared.goto(watched.base + "search/index.html?q=pyconex&kind=Question&day=Wed%202%20Sep")
    day_two = [r for r in SEARCHABLE if r["kind"] == "question" and "#pyconex" in r["text"]
               and r["created_at"] >= "2026-09-01T22:00:00Z"]
    wait_count(shared, len(day_two))
    assert shared.is_checked("#filters input[name='day'][value='Wed 2 Sep']")
    shared.close()


def test_the_counts_beside_the_filters_follow_the_query_and_the_other_filters(watched):
    page = watched.goto("search/index.html")
    page.wait_for_selector("#search-app[data-ready='true']")
    assert sum(counts(page, "kind").values()) == len(SEARCHABLE) + sum(
        post_from_dict(r).searchable for r in HOSTILE)  # before a search: every searchable post
    search(page, "pyconex")
    found = [r for r in SEARCHABLE if "#pyconex" in r["text"]]
    kinds = counts(page, "kind")
    assert {k: n for k, n in kinds.items() if n} == dict(Counter(KIND_LABELS[r["kind"]] for r in found))
    page.check("#filters input[name='day'][value='Wed 2 Sep']")
    day_two = [r for r in found if r["created_at"] >= "2026-09-01T22:00:00Z"]
    wait_count(page, len(day_two))
    kinds = counts(page, "kind")  # narrowed by the day
    assert {k: n for k, n in kinds.items() if n} == dict(Counter(KIND_LABELS[r["kind"]] for r in day_two))
    days = counts(page, "day")  # a filter's own values count as if it were not chosen: what ticking adds
    assert days["Wed 2 Sep"] == len(day_two) and days["Tue 1 Sep"] == len(found) - len(day_two)


def test_on_a_phone_results_come_first_and_filters_fold_away(browser, digest):
    phone = Watched(browser, digest[0], viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = search(phone.goto("search/index.html?q=pyconex"), "pyconex")
        assert not page.evaluate("document.getElementById('filters-box').open")
        assert not page.is_visible("#filters fieldset")
        first = page.locator("#results .result").first.bounding_box()
        assert first["y"] < 844  # on the first screen
        page.click("#filters-box summary")
        page.check("#filters input[name='kind'][value='Question']")
        page.wait_for_function("() => document.getElementById('filters-on').textContent === '(1 chosen)'")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        phone.assert_clean()
    finally:
        phone.close()
    wide = Watched(browser, digest[0], viewport={"width": 1200, "height": 900})
    try:
        page = wide.goto("search/index.html")
        page.wait_for_selector("#search-app[data-ready='true']")
        assert page.is_visible("#filters fieldset")  # open beside enough room
        wide.assert_clean()
    finally:
        wide.close()


def test_without_javascript_the_search_page_says_so_and_links_the_pages(browser, digest):
    plain = Watched(browser, digest[0], java_script_enabled=False)
    try:
        page = plain.goto("search/index.html")
        assert "needs JavaScript" in page.text_content("main")
        assert not page.is_visible("#search-app")
        page.click("text=talk")
        page.wait_for_url("**/talks/index.html")
        plain.assert_clean()
    finally:
        plain.close()


def test_a_plural_finds_the_singular_and_a_word_without_results_says_so(watched):
    page = search(watched.goto("search/index.html"), "nurse")
    assert count(page) == sum(bool(re.search(r"\bnurses?\b", r["text"], re.I)) for r in SEARCHABLE) > 0
    page.fill("#q", "qqqzzzunfindable")
    wait_count(page, 0)
    assert results(page) == []


def test_each_keystroke_searches_and_only_the_last_search_shows(watched):
    page = watched.goto("search/index.html")
    page.wait_for_selector("#search-app[data-ready='true']")
    page.type("#q", "pyconex")  # a key at a time, each searching at once: the earlier ones go stale
    wait_count(page, sum("#pyconex" in r["text"] for r in SEARCHABLE))
    page.fill("#q", "FTS5")
    page.fill("#q", "nurse")  # while FTS5's search is in flight
    wait_count(page, sum(bool(re.search(r"\bnurses?\b", r["text"], re.I)) for r in SEARCHABLE))
    texts = page.eval_on_selector_all("#results .excerpt", "els => els.map(e => e.textContent)")
    assert texts and all(re.search(r"\bnurses?\b", t, re.I) for t in texts)
    assert page.url.endswith("?q=nurse")


def test_a_content_warning_stays_collapsed_until_opened(watched):
    cw = next(r for r in RECORDS if r["content_warning"] == "Workshop spoilers")
    page = watched.goto(permalink(cw))
    assert page.is_visible("details.cw summary")
    assert not page.is_visible("details.cw .content")
    page.click("details.cw summary")
    assert page.is_visible("details.cw .content")
    page = search(watched.goto("search/index.html"), "surprised")
    assert page.is_visible("#results details.cw summary")
    assert not page.is_visible("#results details.cw .excerpt")
    assert "Workshop spoilers" in page.text_content("#results details.cw summary")


def test_sensitive_media_is_not_even_loaded_until_asked_for(browser, media_digest):
    base, media = media_digest
    watched = Watched(browser, base)
    page = watched.goto(permalink(media))
    page.wait_for_load_state("networkidle")
    image = f"{base}media/spider.svg"
    assert image not in watched.requests
    assert not page.is_visible("details.sensitive img")
    page.click("details.sensitive summary")
    page.wait_for_function("() => document.querySelector('details.sensitive img').complete")
    assert image in watched.requests
    assert page.get_attribute("details.sensitive img", "alt") == media["media"][0]["alt"]
    watched.assert_clean()
    watched.close()


PAGES = ["index.html", "days/2026-09-01/index.html", "kinds/takeaway/index.html", "kinds/question/index.html",
         "talks/index.html", "talks/pyconex-666/index.html", "people/index.html", "links/index.html",
         "feed.xml", "recap.md", "posts.jsonl"]


@pytest.mark.parametrize("path", PAGES + [permalink(r) for r in HOSTILE])
def test_hostile_posts_run_nothing_on_any_page(watched, path):
    page = watched.goto(path)
    page.wait_for_load_state("networkidle")
    for link in page.query_selector_all("details"):
        link.evaluate("d => d.open = true")  # content warnings opened: still nothing runs
    page.mouse.move(200, 200)
    page.wait_for_timeout(50)


def test_hostile_posts_run_nothing_in_search_results(watched):
    page = search(watched.goto("search/index.html"), "zebras")
    assert count(page) == 2
    titles = page.eval_on_selector_all("#results .r-title", "els => els.map(e => e.textContent)")
    assert any(event.XSS in t for t in titles)  # the hostile name, shown as text
    assert page.query_selector("#results script") is None and page.query_selector("#results img") is None
    page.eval_on_selector_all("#results details", "ds => ds.forEach(d => d.open = true)")
    page.check("#filters input[name='kind'][value='Takeaway']")
    wait_count(page, 1)
    talks = page.eval_on_selector_all("#filters input[name='talk']", "els => els.map(e => e.value)")
    assert event.HOSTILE_TITLE in talks
    page.wait_for_timeout(100)


def test_keyboard_users_can_skip_to_the_content_and_see_focus(watched):
    page = watched.goto("index.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.is_visible("a.skip")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_each_card_is_two_tab_stops_its_permalink_then_its_original(watched):
    page = watched.goto("kinds/resource/index.html")
    cards = page.eval_on_selector_all("main article.card", "els => els.length")
    first = page.eval_on_selector("main article.card", "e => e.querySelector('a.when').getAttribute('href')")
    page.focus("#main")
    stops = []
    for _ in range(2 * cards + 40):  # from the top of the content to its end, once
        page.keyboard.press("Tab")
        where = page.evaluate("""() => { const e = document.activeElement, card = e.closest('article.card');
            return !e.closest('main') ? 'out' : card ? [e.className, e.getAttribute('href')] : null; }""")
        if where == "out":
            break
        if where:
            stops.append(where)
    # every card: the permalink, then the original; its author, talk chip and the links in
    # the post are still links (a click away), not tab stops
    assert [cls for cls, _ in stops] == ["when", "original"] * cards
    assert stops[0][1] == first
    assert page.eval_on_selector_all("main article.card a.name", "els => els.length") == cards


def test_readable_on_a_phone_and_in_the_dark(browser, digest):
    phone = Watched(browser, digest[0], viewport={"width": 390, "height": 844}, color_scheme="dark",
                    is_mobile=True, has_touch=True)
    try:
        for path in ("index.html", "days/2026-09-01/index.html", "people/index.html", "search/index.html"):
            page = phone.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        r, g, b = (int(x) for x in re.findall(r"\d+", background)[:3])
        assert r + g + b < 150  # a dark page
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 16
        phone.assert_clean()
    finally:
        phone.close()
