"""WCAG 2.0 and 2.1, levels A and AA, on every kind of page the digest (and the wall) builds:
axe-core in Debian's Chromium, light and dark, desktop and phone width.

axe-core comes from the npm registry (tests/axe/package.json, pinned by its lock file);
scripts/test.sh runs `npm ci` there, so nothing is downloaded while the tests run.

The pages are found in the built output, not listed here: every page shape (the front page,
a talk, a day, a day's later part, each kind, people, links, search, a post, the wall when
the build writes one, and whatever is added later) is checked, and within a shape as many
pages as it takes to meet every component (class name) that shape's pages use. Search is
checked with results showing, and every page again with its content warnings opened.

What axe cannot decide it reports as "incomplete"; the only such items expected are the
activity chart's SVG labels, whose contrast this file measures itself. Anything else left
for review fails, so that a new page is looked at rather than waved through.

To check another built digest instead of the fixture event (the demo's, say):
    BACKCHANNEL_A11Y_SITE=backchannel-demo/output python -m pytest tests/test_accessibility.py
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from backchannel.digest import build
from backchannel.serve import serve_in_thread
from factories import many_posts
from fixtures.digest import event

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCHEMES = ["light", "dark"]
WIDTHS = {"desktop": {"viewport": {"width": 1280, "height": 800}},
          "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}}
DAY_TWO = datetime.fromisoformat("2026-09-02T06:00:00+00:00")

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
if not AXE.exists():
    pytest.skip(f"{AXE} is missing (scripts/test.sh runs `npm ci` in tests/axe)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


# -- which pages ------------------------------------------------------------------------------

class ClassNames(HTMLParser):
    def __init__(self):
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.names.add(tag)
        for name, value in attrs:
            if name == "class" and value:
                self.names.update(f"{tag}.{c}" for c in value.split())


def components(path: Path) -> set[str]:
    parser = ClassNames()
    parser.feed(path.read_text("utf-8"))
    return parser.names


def shape(rel: str) -> tuple[str, ...]:
    """A page's shape: its folders below the first one and its file name generalised, so
    `talks/a/index.html` and `talks/b/index.html` are one shape, `days/x/page-2.html` another."""
    parts = rel.split("/")
    name = parts[-1] if parts[-1] == "index.html" or len(parts) == 1 else "*.html"
    return (*parts[:1], *["*"] * (len(parts) - 2), name) if len(parts) > 1 else (name,)


def pages_to_check(site: Path) -> list[str]:
    """At least one page of every shape, and within a shape enough pages (chosen greedily,
    the smaller the better) that every tag and class any page of that shape uses is met."""
    by_shape: dict[tuple, list[str]] = defaultdict(list)
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if not rel.startswith(("static/", "pagefind")):
            by_shape[shape(rel)].append(rel)
    chosen = []
    for rels in by_shape.values():
        found = {rel: components(site / rel) for rel in rels}
        missing = set().union(*found.values())
        while missing:
            best = max(rels, key=lambda r: (len(found[r] & missing), -(site / r).stat().st_size))  # small pages first
            chosen.append(best)
            missing -= found[best]
    return sorted(chosen) + [searched(site)]


def searched(site: Path) -> str:
    """The search page with results showing: the front page's first hashtag search."""
    match = re.search(r'href="(search/index\.html\?q=[^"]+)"', (site / "index.html").read_text("utf-8"))
    assert match, "the front page links no hashtag search"
    return match.group(1)


# -- the site and the browser -----------------------------------------------------------------

def crowd(n: int = 230) -> list[dict]:
    """Enough more posts on the second day that its list comes in parts (of 200 posts)."""
    posts = many_posts(n)
    for i, post in enumerate(posts):
        post["created_at"] = (DAY_TWO + timedelta(minutes=3 * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return posts


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The fixture event with its talks and a crowded second day, built with search and
    served; or a digest built elsewhere, named by BACKCHANNEL_A11Y_SITE (the demo's, say)."""
    if os.environ.get("BACKCHANNEL_A11Y_SITE"):
        out = Path(os.environ["BACKCHANNEL_A11Y_SITE"])
        server, base = serve_in_thread(out)
        yield base, out
        server.shutdown()
        server.server_close()
        return
    root = tmp_path_factory.mktemp("a11y")
    cfg = event.config(root, schedule=event.SCHEDULE)
    event.fill(cfg, event.records() + crowd()).close()
    report = build(cfg, now=event.NOW)
    assert report.search.error is None
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


def open_page(page, base: str, rel: str):
    # The wall's spotlight fades each post in; axe measuring mid-fade sees text at a fraction of
    # its colour. The wall's colours are checked still (the fade is off under reduced motion).
    page.emulate_media(reduced_motion="reduce" if rel.startswith("wall/") else "no-preference")
    page.goto(base + rel)
    if rel.startswith("wall/"):
        page.wait_for_load_state("networkidle")  # the posts it polls for are in
    if rel.startswith("search/"):
        page.wait_for_selector("#search-app[data-ready='true']")
    if rel.startswith("search/") and "?q=" in rel:
        page.wait_for_function("() => document.getElementById('status').textContent.includes('found')")
        assert page.locator("#results li").count() > 0
    return page


def run_axe(page) -> dict:
    """axe-core's violations and items left for review, on the page as it is now."""
    return page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                         " resultTypes: ['violations', 'incomplete']})", TAGS)


# -- contrast of what axe leaves for review ---------------------------------------------------

def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(tuple(float(x) for x in re.findall(r"[\d.]+", c))) for c in (a, b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


OPAQUE = """const opaque = (el) => { for (; el; el = el.parentElement) {
  const bg = getComputedStyle(el).backgroundColor;
  if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg; } return 'rgb(255, 255, 255)'; };"""
CHART_TEXT = """() => { %s
  return [...document.querySelectorAll('svg text')].map(t => [t.textContent, getComputedStyle(t).fill,
    opaque(t.closest('svg').parentElement)]);
}""" % OPAQUE


def chart_labels_too_faint(page) -> list[str]:
    """The SVG chart's labels that have less than 4.5:1 against the chart's background
    (axe cannot tell an SVG text's background, so it leaves them for review)."""
    return [f"chart label {text!r}: {contrast(fill, bg):.2f}:1 ({fill} on {bg})"
            for text, fill, bg in page.evaluate(CHART_TEXT) if contrast(fill, bg) < 4.5]


IN_SVG = "targets => targets.map(t => !!document.querySelector(t[0])?.closest('svg'))"


def problems(page, rel: str, state: str) -> list[str]:
    result = run_axe(page)
    found = [f"{rel} [{state}] {v['id']} ({v['impact']}): {v['help']}: {n['target']} — "
             f"{n['failureSummary'].splitlines()[-1].strip()}"
             for v in result["violations"] for n in v["nodes"]]
    for item in result["incomplete"]:
        nodes = item["nodes"]
        if item["id"] == "color-contrast":
            in_svg = page.evaluate(IN_SVG, [n["target"] for n in nodes])
            if any(in_svg):
                found += [f"{rel} [{state}] {p}" for p in chart_labels_too_faint(page)]
            nodes = [n for n, svg in zip(nodes, in_svg) if not svg]
        found += [f"{rel} [{state}] left for review: {item['id']}: {item['help']}: {n['target']}" for n in nodes]
    return found


# -- the tests --------------------------------------------------------------------------------

def test_the_pages_checked_cover_every_page_type(site):
    base, out = site
    checked = pages_to_check(out)
    shapes = {shape(rel) for rel in checked}
    for expected in [("index.html",), ("404.html",), ("search", "index.html"), ("people", "index.html"),
                     ("links", "index.html"), ("talks", "index.html"), ("talks", "*", "index.html"),
                     ("days", "*", "index.html"), ("days", "*", "*.html"), ("posts", "*", "*", "*.html")]:
        assert expected in shapes, expected
    for kind in ("takeaway", "question", "resource", "shoutout"):
        assert f"kinds/{kind}/index.html" in checked  # each kind has its own colour
    if (out / "wall" / "index.html").exists():
        assert "wall/index.html" in checked
    assert checked[-1].startswith("search/index.html?q=")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_wcag_a_or_aa_violations(browser, site, scheme, width):
    base, out = site
    context = browser.new_context(color_scheme=scheme, **WIDTHS[width])
    # An init script, not a <script> tag: the pages' Content-Security-Policy stays in force.
    context.add_init_script(path=AXE)
    found = []
    page = context.new_page()
    try:
        for rel in pages_to_check(out):
            open_page(page, base, rel)
            found += problems(page, rel, f"{scheme}, {width}")
            if page.locator("details:not([open])").count():
                page.eval_on_selector_all("details", "ds => ds.forEach(d => d.open = true)")
                found += problems(page, rel, f"{scheme}, {width}, opened")
    finally:
        context.close()
    assert not found, f"{len(found)} accessibility problems:\n" + "\n".join(found[:60])


# -- what axe cannot check: keyboard, focus, motion, zoom, announcements -------------------------

TAB_STOPS = 60  # per page: long pages repeat the same cards
NUMBER_TAB_STOPS = """() => {
  const all = document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]');
  const stops = [...all].filter(e => e.tabIndex >= 0 && !e.disabled && e.type !== 'hidden'
                                     && e.checkVisibility({visibilityProperty: true}));
  stops.forEach((e, i) => e.dataset.stop = i);
  return stops.length;
}"""
FOCUSED = """() => { %s
  const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {stop: e.dataset.stop ?? null, what: e.outerHTML.slice(0, 80), outline: s.outlineStyle,
          width: parseFloat(s.outlineWidth), color: s.outlineColor, around: opaque(e.parentElement),
          inView: r.bottom > 0 && r.top < innerHeight && r.right > 0 && r.left < innerWidth};
}""" % OPAQUE


def keyboard_problems(page, rel: str) -> list[str]:
    """Tab from the top: every focusable element is reached, in the order of the page, each
    scrolled into view with a focus ring of at least 2px and 3:1 against what surrounds it."""
    n = min(page.evaluate(NUMBER_TAB_STOPS), TAB_STOPS)
    found = []
    for i in range(n):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f["stop"] != str(i):
            return found + [f"{rel}: Tab {i + 1} reached {f['what']!r}, not stop {i}"]
        if f["outline"] == "none" or f["width"] < 2 or contrast(f["color"], f["around"]) < 3 or not f["inView"]:
            found.append(f"{rel}: focus on {f['what']!r} is not clearly visible: {f}")
    return found


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_keyboard_reaches_everything_in_order_with_a_visible_focus(browser, site, scheme):
    base, out = site
    context = browser.new_context(color_scheme=scheme, **WIDTHS["desktop"])
    page = context.new_page()
    found = []
    try:
        for rel in pages_to_check(out):
            open_page(page, base, rel)
            found += keyboard_problems(page, rel)
    finally:
        context.close()
    assert not found, "\n".join(found[:40])


MOVING = """() => {
  const seconds = (v) => Math.max(...v.split(',').map(x => parseFloat(x) * (x.trim().endsWith('ms') ? 0.001 : 1)));
  const moving = [];
  for (const e of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(e, pseudo);
      if ((s.animationName !== 'none' && seconds(s.animationDuration) > 0.01)
          || seconds(s.transitionDuration) > 0.01 || (!pseudo && s.scrollBehavior === 'smooth'))
        moving.push(e.tagName.toLowerCase() + (e.getAttribute('class') ? '.' + e.getAttribute('class') : '') + (pseudo || ''));
    }
  }
  for (const a of document.getAnimations())
    if (a.playState === 'running' && a.effect.getComputedTiming().duration > 10) moving.push('animation ' + a.id);
  return moving;
}"""


def test_nothing_moves_when_the_reader_asks_for_less_motion(browser, site):
    base, out = site
    context = browser.new_context(reduced_motion="reduce", **WIDTHS["desktop"])
    page = context.new_page()
    try:
        found = {}
        for rel in pages_to_check(out):
            open_page(page, base, rel)
            moving = page.evaluate(MOVING)
            if moving:
                found[rel] = moving[:5]
    finally:
        context.close()
    assert not found, found


OVERFLOW = """() => {
  const page = document.documentElement;
  const lost = page.scrollWidth > page.clientWidth + 1 ? [`the page scrolls sideways: ${page.scrollWidth}px`] : [];
  for (const e of document.querySelectorAll('body *')) {
    const s = getComputedStyle(e);
    if (e.closest('.visually-hidden') || e.matches('input, textarea, select')  // these scroll their own text
        || !['hidden', 'clip'].includes(s.overflowX)) continue;
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
      lost.push(`${e.tagName.toLowerCase()}.${e.getAttribute('class')} clips its content`);
  }
  return lost;
}"""


@pytest.mark.parametrize("zoom", ["text 200%", "page 400%"])
def test_zoomed_text_reflows_without_loss(browser, site, zoom):
    """Text-only zoom (the browser's default text size doubled, on a desktop and a phone
    width) and page zoom to 400% (a 1280px window is then 320 CSS px wide): nothing is cut
    off and no page needs scrolling sideways (the activity chart scrolls inside its box)."""
    base, out = site
    sizes = [(1280, 800), (390, 844)] if zoom.startswith("text") else [(320, 256)]
    found = {}
    for width, height in sizes:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        if zoom.startswith("text"):
            context.new_cdp_session(page).send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        try:
            for rel in pages_to_check(out):
                open_page(page, base, rel)
                if zoom.startswith("text"):
                    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 32
                lost = page.evaluate(OVERFLOW)
                if lost:
                    found[f"{rel} at {width}px"] = lost[:5]
        finally:
            context.close()
    assert not found, found


def test_search_results_are_announced_and_focus_stays_put(browser, site):
    """A screen reader hears the count (a polite status region) while focus stays in the box
    or on the filter being ticked; the results are a list of links."""
    base, out = site
    context = browser.new_context(**WIDTHS["desktop"])
    page = context.new_page()
    try:
        open_page(page, base, "search/index.html")
        page.wait_for_selector("#search-app[data-ready='true']")
        page.focus("#q")
        page.keyboard.type(unquote(searched(out).split("?q=")[1]))
        page.wait_for_function("() => document.getElementById('status').textContent.includes('found')")
        assert page.evaluate("document.activeElement.id") == "q"
        status = page.locator("#status")
        assert status.get_attribute("aria-live") == "polite"
        everything = status.text_content()
        assert re.fullmatch(r"- status: [\d,]+ posts found\.", status.aria_snapshot()), status.aria_snapshot()
        assert page.locator("#results").aria_snapshot().startswith("- list:\n  - listitem:\n    - link ")
        question = page.locator("#filters input[value='Question']")
        question.focus()
        page.keyboard.press("Space")
        page.wait_for_function("s => document.getElementById('status').textContent !== s"
                               " && document.getElementById('status').textContent.includes('found')", arg=everything)
        assert page.evaluate("document.activeElement.value") == "Question"
        assert re.fullmatch(r"- status: \d+ posts? found\.", status.aria_snapshot())
    finally:
        context.close()
