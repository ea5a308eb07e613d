"""The digest as a reader uses it, in Debian's Chromium: the language choice (the front page,
the talks and the takeaways show the reader's languages; static/languages.js) and a phone's
width (nothing scrolls sideways, every section of the menu is reachable, the chart fits).

One small build (the fixture event: 31 posts in English, 2 in German), one longer one for
the numbered pages, and one browser for the module; each test opens its own context (locale,
width, JavaScript on or off).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backchannel.digest import build
from backchannel.serve import serve_in_thread
from fixtures.digest import event
from fixtures.digest.event import read

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TALK = "talks/pyconex-102/index.html"  # its posts: one in German, the others in English
TAKEAWAYS = "kinds/takeaway/index.html"

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("reading")
    cfg = event.config(root, schedule=event.SCHEDULE)
    event.fill(cfg, event.records()).close()
    build(cfg, now=event.NOW, search=False)
    server, base = serve_in_thread(cfg.digest.output)
    yield base, cfg.digest.output
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_context(browser):
    """new(**options) → a page in a fresh context; fails the test on any script error."""
    contexts, errors = [], []

    def new(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        return page

    yield new
    for context in contexts:
        context.close()
    assert errors == []


def languages(out: Path, rel: str) -> dict[str, str | None]:
    """Each post listed on a page (by its permalink) and its language, read from the HTML."""
    page = read(out, rel)
    found = {}
    for link in page.find("a", class_="when"):
        card = next(a for a in reversed(link.ancestors) if a.tag == "article")
        found[link.attrs["href"]] = None
        for content in page.find("div", class_="content"):
            if card in content.ancestors and "lang" in content.attrs:
                found[link.attrs["href"]] = content.attrs["lang"].split("-")[0]
    return found


SHOWN = """() => [...document.querySelectorAll('article.card')].filter(c => c.checkVisibility())
                 .map(c => c.querySelector('a.when').getAttribute('href'))"""


def shown(page) -> set[str]:
    return set(page.evaluate(SHOWN))


def note(page) -> str:
    return " ".join(page.inner_text("#lang-choice .lang-status").split())


# -- the language choice -------------------------------------------------------------------------

def test_the_choice_starts_from_the_browsers_languages(site, open_context):
    base, out = site
    posts = languages(out, TALK)
    german = {p for p, lang in posts.items() if lang == "de"}
    english = {p for p, lang in posts.items() if lang == "en"}
    assert german and english

    assert len(german) < len(english)
    page = open_context(locale="de-DE")  # navigator.languages: ["de-DE"]
    page.goto(base + TALK)
    # German is a guess from the browser and the lesser part of the page: everything shows ...
    assert shown(page) == set(posts)
    assert note(page) == "Showing posts in all languages."
    # ... until the reader says German only
    page.click("#lang-choice summary")
    page.uncheck("#lang-choice input[value=en]")
    assert shown(page) == german
    assert note(page) == f"{len(english)} posts in other languages hidden (showing German) — Show all languages"

    page = open_context(locale="en-GB")
    page.goto(base + TALK)
    assert shown(page) == english
    assert note(page) == "1 post in other languages hidden (showing English) — Show all languages"

    page = open_context(locale="ja-JP")  # none of the event's languages: everything shows
    page.goto(base + TALK)
    assert shown(page) == set(posts)
    assert note(page) == "Showing posts in all languages."
    assert not page.is_visible("#lang-all")


def test_the_choice_is_remembered_without_a_cookie_and_show_all_is_one_click(site, open_context):
    base, out = site
    page = open_context(locale="en-US")
    page.goto(base + "index.html")
    page.click("#lang-choice summary")
    page.check("#lang-choice input[value=de]")
    page.uncheck("#lang-choice input[value=en]")
    # The top takeaways are all in English: the list says why it is empty.
    assert page.inner_text("section[aria-labelledby=top-h] ol.cards") == "Posts here are in other languages."

    everything = languages(out, TAKEAWAYS)
    german = {p for p, lang in everything.items() if lang == "de"}
    page.goto(base + TAKEAWAYS)  # another page: the same choice
    assert shown(page) == german
    assert page.is_checked("#lang-choice input[value=de]") and not page.is_checked("#lang-choice input[value=en]")
    assert page.evaluate("localStorage.getItem('backchannel.languages')") == '["de"]'
    assert page.context.cookies() == []

    page.click("text=Show all languages")
    assert shown(page) == set(everything)
    assert note(page) == "Showing posts in all languages."
    assert not page.is_visible("li.lang-empty")
    page.reload()
    assert shown(page) == set(everything)


def test_without_javascript_every_post_shows_and_the_choice_is_not_offered(site, open_context):
    base, out = site
    page = open_context(locale="de-DE", java_script_enabled=False)
    for rel in ("index.html", TALK):
        page.goto(base + rel)
        assert shown(page) == set(languages(out, rel)), rel
        assert not page.is_visible("#lang-choice")


def test_only_list_pages_offer_the_choice_and_the_script_is_a_file(site):
    base, out = site
    for rel in ("index.html", TALK, TAKEAWAYS):
        page = read(out, rel)
        assert [s.attrs["src"].split("?")[0].rsplit("/", 1)[1] for s in page.find("script")] == ["languages.js"]
        assert "hidden" in page.one("div", id="lang-choice").attrs  # until the script runs
    for rel in ("people/index.html", "kinds/question/index.html", "days/2026-09-01/index.html"):
        assert not read(out, rel).find("div", id="lang-choice"), rel


# -- a phone's width -----------------------------------------------------------------------------

def page_of_each_type(out: Path) -> list[str]:
    pick = lambda pattern: sorted(p.relative_to(out).as_posix() for p in out.glob(pattern))[0]  # noqa: E731
    return ["index.html", "talks/index.html", TALK, TAKEAWAYS, pick("days/*/index.html"), "people/index.html",
            "links/index.html", "search/index.html", "404.html", pick("posts/*/*/*.html")]


FITS = """() => {
  const wide = document.scrollingElement.scrollWidth > innerWidth ? ['the page scrolls sideways'] : [];
  const menu = [...document.querySelectorAll('.site-nav a')].filter(a => {
    const r = a.getBoundingClientRect();
    return !a.checkVisibility() || r.left < 0 || r.right > innerWidth;
  }).map(a => 'menu entry out of reach: ' + a.textContent);
  const charts = [...document.querySelectorAll('figure.chart')].flatMap(f => {
    const drawn = [...f.querySelectorAll('svg')].filter(s => s.checkVisibility());
    const box = f.closest('.chart-block').getBoundingClientRect();
    if (drawn.length !== 1) return [`${drawn.length} drawings of the chart shown`];
    const r = drawn[0].getBoundingClientRect();
    return r.left < box.left || r.right > box.right || r.height < 150 ? [`chart ${r.width}x${r.height} outside its box`] : [];
  });
  return [...wide, ...menu, ...charts];
}"""


def test_no_page_scrolls_sideways_on_a_phone(site, open_context):
    """At 390 px (320 px, page zoom, is tests/test_accessibility.py's reflow test)."""
    base, out = site
    page = open_context(**PHONE)
    found = {}
    for rel in page_of_each_type(out):
        page.goto(base + rel)
        if page.evaluate(FITS):
            found[rel] = page.evaluate(FITS)
    assert not found, found
    assert page.evaluate("document.querySelector('.site-nav [aria-current=page]')") is None  # a post page
    page.goto(base + TAKEAWAYS)
    assert page.text_content(".site-nav [aria-current=page]") == "Takeaways"


def test_a_phone_shows_the_talks_and_top_takeaways_first_and_a_readable_chart(site, open_context):
    base, out = site
    page = open_context(**PHONE)
    page.goto(base + "index.html")
    tops = page.evaluate("""() => ['talks-h', 'top-h', 'points-h', 'q-h', 'links-h', 'people-h']
        .map(id => document.getElementById(id).getBoundingClientRect().top)""")
    assert tops == sorted(tops)
    # The chart's phone drawing: its labels readable and apart.
    boxes = page.evaluate("""() => [...document.querySelectorAll('svg.on-phone text')]
        .filter(t => t.closest('g') === null).map(t => { const r = t.getBoundingClientRect();
          return [t.textContent, r.left, r.right, r.top, r.bottom, parseFloat(getComputedStyle(t).fontSize) * r.width / t.getBBox().width]; })""")
    labels = [b for b in boxes if b[0] and b[0][0].isalpha() or ":" in b[0]]
    assert any(b[0].startswith("Tue 1 Sep") for b in labels) and any(b[0].startswith("Wed 2 Sep") for b in labels)
    for a, b in zip(labels, labels[1:]):
        same_row = a[3] < b[4] and b[3] < a[4]
        assert not (same_row and a[1] < b[2] and b[1] < a[2]), (a, b)
    assert min(b[5] for b in boxes) >= 10  # px on the screen: readable
    wide = page.context.browser.new_context(viewport={"width": 1280, "height": 800})
    try:  # on a wide screen the talks sit beside the takeaways
        desk = wide.new_page()
        desk.goto(base + "index.html")
        talks, top = (desk.locator(f"#{h}").bounding_box() for h in ("talks-h", "top-h"))
        assert talks["x"] > top["x"] + top["width"]
        assert abs(talks["y"] - top["y"]) < 40
    finally:
        wide.close()


# -- numbered pages ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def long_site(tmp_path_factory):
    """The fixture event with 210 more takeaways (every third in German): the takeaways list
    runs over two numbered pages (200 posts a page), a day's list too."""
    root = tmp_path_factory.mktemp("long")
    cfg = event.config(root, schedule=event.SCHEDULE)
    records = event.records()
    german = next(r for r in records if r["lang"] == "de" and r["kind"] == "takeaway")
    english = next(r for r in records if r["lang"] == "en" and r["kind"] == "takeaway")
    for n in range(210):
        like = german if n % 3 == 0 else english
        records.append({**like, "id": f"mastodon-long{n:04d}", "url": f"https://example.social/@long/{n}",
                        "created_at": f"2026-09-01T{12 + n // 60:02d}:{n % 60:02d}:30Z",
                        "text": f"{like['text']} ({n})", "html": f"<p>{like['text']} ({n})</p>", "talk": None})
    event.fill(cfg, records).close()
    build(cfg, now=event.NOW, search=False)
    server, base = serve_in_thread(cfg.digest.output)
    yield base, cfg.digest.output
    server.shutdown()
    server.server_close()


def test_numbered_pages_offer_the_choice_their_first_page_does(long_site, open_context):
    base, out = long_site
    second = TAKEAWAYS.replace("index.html", "page-2.html")
    assert (out / second).exists() and not (out / TAKEAWAYS.replace("index.html", "page-3.html")).exists()
    assert read(out, second).find("div", id="lang-choice")
    assert not read(out, "days/2026-09-01/page-2.html").find("div", id="lang-choice")  # a day's first page has none
    posts = languages(out, second)
    german = {p for p, lang in posts.items() if lang == "de"}
    assert german and german != set(posts)
    page = open_context(locale="en-US")
    page.goto(base + second)
    page.click("#lang-choice summary")
    page.check("#lang-choice input[value=de]")
    page.uncheck("#lang-choice input[value=en]")
    assert shown(page) == german
    page.goto(base + TAKEAWAYS.replace("index.html", "page-1.html"))  # the next page: the same choice
    assert shown(page) == {p for p, lang in languages(out, TAKEAWAYS.replace("index.html", "page-1.html")).items()
                           if lang == "de"}
