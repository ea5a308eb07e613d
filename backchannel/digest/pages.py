"""The digest's pages: the Jinja2 environment, what each page is given, and which pages exist.

Templates come from the user's `[digest] templates` folder first, then the packaged
`site_templates` (found with importlib.resources, the source tree second); a user's template
can extend the packaged one of the same name as `default:NAME` (Datasette's way:
`{% extends "default:base.html" %}`). Autoescape is on for every template; the only markup
marked safe is a post's body after `clean_html`.

Pages that list posts are keyed by the fingerprints of the posts they show, so an
incremental build renders only the pages whose posts changed (see `digest_write`). A post
card is rendered once and reused by every page at the same depth.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from backchannel.digest.answers import Answered
from backchannel.digest.chart import activity
from backchannel.digest.model import Grouped, Item, Person, Section
from backchannel.digest.people import display_name
from backchannel.digest.ranking import Ranked
from backchannel.digest.search_index import GROUP, SearchReport
from backchannel.errors import BackchannelError
from backchannel.names import KIND_LABELS, KIND_TITLES, SOURCE_LABELS
from backchannel.sanitize import clean_html, safe_url, text_to_html

LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
             "pt": "Portuguese", "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
             "pl": "Polish", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
             "cs": "Czech", "uk": "Ukrainian", "ru": "Russian", "tr": "Turkish", "ca": "Catalan"}
POST_ROOT = "../../../"  # permalinks live at posts/<day>/<hour>/<id>.html
LIST_ROOT = "../../"  # day, talk and kind pages: days/<day>/, talks/<id>/, kinds/<kind>/
EXCERPT = 600  # characters of a long post shown in a list before "read the whole post"
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def template_dirs(override: Path | None) -> list[Path]:
    """The user's folder first, then the packaged templates."""
    dirs = [Path(override)] if override else []
    try:
        packaged = Path(str(files("backchannel.site_templates")))
    except (ModuleNotFoundError, TypeError):
        packaged = Path(__file__).resolve().parents[2] / "site_templates"
    return dirs + [packaged]


def make_env(override: Path | None, cache: Path | None = None) -> jinja2.Environment:
    """Autoescaping everywhere; compiled templates cached in `cache` when it can be written
    (compiling them costs a quarter of a second, every refresh)."""
    dirs = template_dirs(override)
    packaged = jinja2.FileSystemLoader(str(dirs[-1]))
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader([str(d) for d in dirs]),
                                  jinja2.PrefixLoader({"default": packaged}, delimiter=":")])
    if override:
        check_overrides(Path(override))
    bytecode = None
    if cache:
        try:
            cache.mkdir(parents=True, exist_ok=True)
            bytecode = jinja2.FileSystemBytecodeCache(str(cache))
        except OSError:
            pass
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined, bytecode_cache=bytecode)
    env.filters["num"] = lambda n: f"{n:,}"
    env.filters["untabbed"] = untabbed
    env.filters["plural"] = lambda n, word, many=None: f"{n:,} {word if n == 1 else (many or word + 's')}"
    return env


def check_overrides(folder: Path) -> None:
    """A user's template that extends (or includes) its own name would recurse forever: say
    which, and how to reach the packaged template instead."""
    env = jinja2.Environment()
    for path in sorted(folder.glob("*.html")):
        try:
            tree = env.parse(path.read_text("utf-8"), path.name, str(path))
        except (OSError, UnicodeDecodeError) as exc:
            raise BackchannelError(f"{path}: cannot read the template: {exc}") from None
        for node in tree.find_all((jinja2.nodes.Extends, jinja2.nodes.Include)):
            if isinstance(node.template, jinja2.nodes.Const) and node.template.value == path.name:
                how = "extends" if isinstance(node, jinja2.nodes.Extends) else "includes"
                raise BackchannelError(f'{path}:{node.lineno}: {path.name} {how} itself; '
                                       f'the packaged one is "default:{path.name}"')


@dataclass
class SiteInfo:
    """What every page knows about the site (passed to templates as `site`)."""

    title: str
    event: str
    hashtags: list[str]
    tz: ZoneInfo
    dates: str  # "1–2 September 2026", or "" when unknown
    has_talks: bool
    remote_media: bool
    base_url: str
    version: str
    asset_tag: str  # changes with the CSS/JS, to bust caches

    @property
    def csp(self) -> str:
        """Nothing leaves the site; only its own scripts run (no workers, no WebAssembly)."""
        img = "'self' https:" if self.remote_media else "'self'"
        return ("default-src 'none'; script-src 'self'; "
                f"connect-src 'self'; img-src {img}; style-src 'self'; font-src 'self'; "
                "manifest-src 'self'; base-uri 'none'; form-action 'self'")


class Renderer:
    """Renders pages and post cards with one Jinja2 environment."""

    def __init__(self, env: jinja2.Environment, site: SiteInfo, grouped: Grouped):
        self.env = env
        self.site = site
        self.grouped = grouped
        self.cards: dict[tuple[str, str], bytes] = {}
        self._card = env.get_template("card.html")
        env.globals.update(site=site, card=self.card, kind_titles=KIND_TITLES, kind_labels=KIND_LABELS,
                           source_label=source_label, language_name=language_name, when=self.when,
                           talk_when=self.talk_when, speaker_links=self.speaker_links,
                           languages=event_languages(grouped.items), langs_of=langs_of)
        # A post's body, shared by cards and permalinks: a global macro, loaded once.
        env.globals["post_body"] = env.get_template("_body.html").module.post_body
        env.globals["full_view"] = lambda item: view(item, full=True)
        self._post_shell = self._shell("post.html", POST_ROOT)

    # -- formatting helpers (template globals) ----------------------------------------------

    def when(self, dt: datetime, style: str = "day") -> str:
        """"Tue 1 Sep, 14:05" (style "day"), "Tue 1 Sep" ("date") or "14:05" ("time"), local."""
        local = dt.astimezone(self.site.tz)
        if style == "time":
            return local.strftime("%H:%M")
        if style == "date":
            return local.strftime("%a {} %b").format(local.day)
        return local.strftime("%a {} %b, %H:%M").format(local.day)

    def talk_when(self, talk) -> str:
        """"Tue 1 Sep, 14:05–14:50"; a talk that ends on another day carries both dates
        ("Tue 1 Sep, 23:00 – Wed 2 Sep, 01:00")."""
        if not talk.start:
            return ""
        text = self.when(talk.start)
        if not talk.end:
            return text
        if talk.end.astimezone(self.site.tz).date() != talk.start.astimezone(self.site.tz).date():
            return f"{text} – {self.when(talk.end)}"
        return f"{text}–{self.when(talk.end, 'time')}"

    def speaker_links(self, person) -> list[tuple[str, str | None]]:
        """(label, URL or None) of a speaker's handles, then of their other links: a handle
        links to its profile (`user@server` on its server, a Bluesky handle on bsky.app)."""
        out: list[tuple[str, str | None]] = []
        for handle in person.handles:
            user, at, server = handle.lstrip("@").partition("@")
            url = f"https://{server}/@{user}" if at else f"https://bsky.app/profile/{handle.lstrip('@')}"
            out.append((f"@{handle.lstrip('@')}", safe_url(url)))
        shown = {url for _, url in out}
        for url in person.links:
            if safe_url(url) and url not in shown:
                out.append((url.split("://", 1)[1].rstrip("/"), url))
        return out

    # -- posts -------------------------------------------------------------------------------

    def card(self, item: Item, root: str, similar: tuple[Item, ...] = (), v: dict | None = None,
             here: str | None = None, keep: bool = True) -> Markup:
        """A post as shown in lists; cached per depth, since links are relative. On its own
        talk's page (`here`, that page's folder) a card has no chip linking to that page.
        `keep=False` renders without caching (a person's page: each card is shown there once).

        Cached as UTF-8 bytes: a str holding one "↗" takes two bytes per character, and a
        full build keeps 100,000 cards.
        """
        chip = bool(item.talk_path) and item.talk_path != here
        key = (item.post.id, root) if chip or not item.talk_path else (item.post.id, root, "no-chip")
        cached = None if similar else self.cards.get(key)
        if cached is None:
            html = self._card.render(item=item, v=v or view(item), root=root, similar=similar, chip=chip)
            if similar or not keep:
                return Markup(html)
            cached = self.cards[key] = html.encode("utf-8", "surrogatepass")
        return Markup(cached.decode("utf-8", "surrogatepass"))

    def _shell(self, name: str, root: str) -> tuple[list[str], jinja2.Template] | None:
        """The layout of `name` around its blocks, rendered once (pages differ only inside
        `title` and `main`). None when the template needs a full render per page: it
        overrides other blocks, does not extend base.html, or its layout reads page data."""
        template = self.env.get_template(name)
        source = self.env.loader.get_source(self.env, name)[0]
        extends = self.env.parse(source).find(jinja2.nodes.Extends)
        if set(template.blocks) - {"title", "main"} or extends is None or \
                not (isinstance(extends.template, jinja2.nodes.Const) and extends.template.value == "base.html"):
            return None
        probe = self.env.from_string('{% extends "base.html" %}{% block title %}\x00{% endblock %}'
                                     '{% block main %}\x00{% endblock %}')
        try:
            parts = probe.render(root=root).split("\x00")
        except jinja2.UndefinedError:
            return None
        return (parts, template) if len(parts) == 3 else None

    def render(self, template: str, root: str = "", **context: Any) -> str:
        return self.env.get_template(template).render(root=root, **context)

    # -- pages -------------------------------------------------------------------------------

    def post_page(self, item: Item) -> str:
        """A permalink: the post in full. The layout around it is rendered once per build.

        The post's card for the lists is rendered at the same time, from the same view, so
        its body is sanitised once.
        """
        full = view(item, full=True)
        context = {"root": POST_ROOT, "item": item, "v": full}
        if not self._post_shell:
            page = self.render("post.html", **context)
        else:
            (head, middle, tail), template = self._post_shell
            ctx = template.new_context(context)
            page = "".join([head, *template.blocks["title"](ctx), middle, *template.blocks["main"](ctx), tail])
        if (item.post.id, LIST_ROOT) not in self.cards:
            self.card(item, LIST_ROOT, v=full if len(item.post.text) <= EXCERPT else view(item))
        return page

    def section_page(self, section: Section, prev: Section | None, next: Section | None,
                     highlights: dict[str, list[Ranked]] | list[Ranked]) -> str:
        qa = questions_of(self.grouped, section)
        if qa and isinstance(highlights, dict):  # the questions are shown with their answers instead
            highlights = {**highlights, "question": []}
        talk = section.talk
        others = self.grouped.other_talks(talk) if talk else {}
        # The speakers get a section of their own when the programme says more than names.
        detailed = talk and any(p.bio or p.handles or p.links or others.get(p.name) for p in talk.people)
        return self.render("section.html", LIST_ROOT, section=section, prev=prev, next=next,
                           lang_choice=language_choice(section), here=section.path if talk else None,
                           materials=self.grouped.materials(section) if talk else [],
                           speakers=talk.people if detailed else [], other_talks=others,
                           highlights=highlights, points=self.grouped.key_points(section), qa=qa,
                           chart=activity(section.items, self.site.tz) if section.type == "day" else None)

    def chunk_page(self, section: Section, n: int) -> str:
        chunks = section.chunks
        return self.render("chunk.html", LIST_ROOT, section=section, n=n, items=chunks[n - 1],
                           count=len(chunks), here=section.path if section.talk else None,
                           lang_choice=language_choice(section))

    def front_page(self, built: datetime) -> str:
        g = self.grouped
        busiest = sorted((s for s in g.talk_sections if s.items), key=lambda s: -len(s.items))[:6]
        return self.render("front.html", "", g=g, built=self.when(built), busiest_talks=busiest, lang_choice=True,
                           people_count=len(g.people), chart=activity(g.items, self.site.tz))

    def talks_page(self) -> str:
        by_day: dict[str, list[Section]] = {}
        for s in self.grouped.talk_sections:
            label = self.when(s.talk.start, "date") if s.talk.start else "Unscheduled"
            by_day.setdefault(label, []).append(s)
        return self.render("talks.html", "../", by_day=by_day)

    def people_page(self, limit: int = 500) -> str:
        """Speakers first, then the most active; `total` is everyone who posted, each person
        once however many networks they posted from."""
        shown = self.grouped.listed_people
        return self.render("people.html", "../", people=shown[:limit], total=len(self.grouped.people),
                           named=len(shown), speakers=any(p.speaker for p in shown))

    def person_page(self, person: Person, n: int) -> str:
        """Page `n` of a person's posts, oldest first, with their accounts and talks."""
        pages = person.pages
        return self.render("person.html", "../", person=person, n=n, items=pages[n - 1], pages=len(pages))

    def links_page(self, limit: int = 300) -> str:
        links = self.grouped.links
        return self.render("links.html", "../", links=links[:limit], total=len(links))

    def search_page(self, index: SearchReport | None) -> str:
        """The search page: the box, the filters with their counts (from the index, so only
        searchable posts count) and what static/search.js needs to read the index. `index`
        is None when the build skipped search."""
        meta = None
        if index and not index.error:
            meta = {"posts": index.posts, "buckets": index.buckets, "group": GROUP, "tag": index.tag,
                    "facets": [{"name": f.name, "width": f.width, "values": len(f.values)} for f in index.facets],
                    "common": index.common}
        return self.render("search.html", "../", index=meta, filters=index.facets if meta else [],
                           error=index.error if index else None, example=search_example(self.grouped))

    def not_found_page(self) -> str:
        # Served for any missing path, so its links are absolute: from base_url when known.
        path = urlsplit(self.site.base_url).path if self.site.base_url else ""
        return self.render("404.html", path.rstrip("/") + "/")


def view(item: Item, full: bool = False, body: str | None = None) -> dict[str, Any]:
    """Display values of a post, each either plain text (escaped later) or checked markup.

    The body is sanitised again here (or passed in, sanitised): the archive may have been
    filled by other means than the collectors.
    """
    p = item.post
    a = p.author
    name = display_name(a.name) or a.handle or "Someone"  # a name of only `">` or ••• is no name
    long = not full and len(p.text) > EXCERPT
    if long:
        body = text_to_html(p.text[:EXCERPT].rsplit(" ", 1)[0] + " …")
    elif body is None:
        body = clean_html(p.html) if p.html else text_to_html(p.text)
    return {
        "name": name,
        "handle": a.handle if a.handle and a.handle != name else "",
        "author_url": safe_url(a.url),
        "initials": "".join(w[0] for w in name.split()[:2]).upper() or "?",
        "hue": int(hashlib.blake2b((a.handle or name).encode(), digest_size=2).hexdigest(), 16) % 8,
        "url": safe_url(p.url),
        "body": Markup(body),
        "truncated": long,
        "lang": p.lang if p.lang and _LANG.fullmatch(p.lang) else None,
        "media": [m for m in ({"type": x.type, "url": safe_url(x.url), "preview": safe_url(x.preview_url),
                               "alt": x.alt} for x in p.media) if m["url"]],
        "links": [u for u in (safe_url(x) for x in p.links) if u],
        "iso": p.created_at.isoformat().replace("+00:00", "Z"),
    }


def untabbed(body: Markup) -> Markup:
    """Sanitised post HTML with its links out of the tab order (a card in a list). Only
    `clean_html` output comes here: there `<a ` can only begin a tag (text `<` is `&lt;`)."""
    return Markup(str(body).replace("<a ", '<a tabindex="-1" '))


def search_example(g: Grouped) -> str:
    """What the search box suggests: the event's most used hashtag beyond its own (as the
    front page lists them), as a word; else the busiest talk's first long title word."""
    for tag, _ in g.tags:
        if tag.isalpha() and len(tag) >= 3:
            return tag
    busiest = sorted((s for s in g.talk_sections if s.items), key=lambda s: -len(s.items))
    for s in busiest[:1]:
        long = [w.strip(".,:;!?\"'()") for w in s.title.split() if len(w.strip(".,:;!?\"'()")) >= 6]
        if long:
            return long[0].lower()
    return ""


def primary_language(code: str | None) -> str | None:
    """"de" for "de-AT": the language a reader chooses (None when unknown or not a tag)."""
    return code.split("-")[0].lower() if code and _LANG.fullmatch(code) else None


def event_languages(items: list[Item]) -> list[tuple[str, str]]:
    """(code, name) of each language the event's posts are written in, the most used first:
    what the reader's language choice offers. No counts: they would change every page's key."""
    used = Counter(primary_language(it.post.lang) for it in items)
    used.pop(None, None)
    return [(code, language_name(code)) for code, _ in sorted(used.items(), key=lambda kv: (-kv[1], kv[0]))]


def langs_of(items) -> str:
    """The languages of these posts, space-separated: what a key point says it was made in."""
    return " ".join(sorted({code for it in items if (code := primary_language(it.post.lang))}))


def language_choice(section: Section) -> bool:
    """The pages whose posts follow the reader's language choice: the front page, the talks
    and the takeaways, their numbered pages too (lists of many posts; a post's own page
    shows it whatever its language)."""
    return section.type == "talk" or (section.type, section.key) == ("kind", "takeaway")


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source, source.title())


def language_name(code: str | None) -> str:
    if not code:
        return "Unknown"
    return LANGUAGES.get(code.split("-")[0].lower(), code)


def key(*parts: Any) -> str:
    """A short hash of what a page is made from."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def fps(items) -> tuple[str, ...]:
    return tuple((r.item.fp, tuple(s.fp for s in r.similar)) if isinstance(r, Ranked) else r.fp for r in items)


def plan(grouped: Grouped, renderer: Renderer, built: datetime) -> Iterator[tuple[str, str | None, Any]]:
    """Every page but the post pages and the search page, as (path, key or None for "always
    render", render function)."""
    yield "index.html", None, lambda: renderer.front_page(built)
    if grouped.talks:
        yield "talks/index.html", None, renderer.talks_page
    yield "people/index.html", None, renderer.people_page
    for person in grouped.named_people:
        yield from _person_pages(person, renderer)
    yield "links/index.html", None, renderer.links_page
    yield "404.html", None, renderer.not_found_page
    for sections in (grouped.days, grouped.talk_sections, grouped.kinds):
        for i, section in enumerate(sections):
            prev = sections[i - 1] if i > 0 else None
            nxt = sections[i + 1] if i + 1 < len(sections) else None
            yield from _section_pages(section, prev, nxt, renderer)


def questions_of(grouped: Grouped, section: Section) -> tuple[list[Answered], list[Item]] | None:
    """The answered and open questions a talk's page and the Questions page show (None elsewhere,
    or when there are none)."""
    if section.type != "talk" and (section.type, section.key) != ("kind", "question"):
        return None
    done, still = grouped.questions(section)
    return (done, still) if done or still else None


def _section_pages(section: Section, prev: Section | None, nxt: Section | None, renderer: Renderer):
    hl = renderer.grouped.highlights(section)
    qa = questions_of(renderer.grouped, section)
    asked = qa and ([(a.question.fp, tuple(x.fp for x in a.answers), a.by_speaker) for a in qa[0]], fps(qa[1]))
    shown = [fps(v) for v in hl.values()] if isinstance(hl, dict) else fps(hl)
    points = [(p.support, tuple(m.fp for m in p.members)) for p in renderer.grouped.key_points(section)]
    chunks = section.chunks
    # Every post of the section is part of the key: the TOC and a day's chart depend on all.
    page_key = key(section.type, section.key, section.title, section.talk, shown, points, asked, fps(section.items),
                   prev and (prev.title, prev.path), nxt and (nxt.title, nxt.path),
                   language_choice(section) and renderer.env.globals["languages"])
    yield (f"{section.path}index.html", page_key,
           lambda: renderer.section_page(section, prev, nxt, hl))
    if section.inline:
        return
    languages = language_choice(section) and renderer.env.globals["languages"]
    for n, chunk in enumerate(chunks, 1):
        yield (section.chunk_path(n), key(section.path, section.title, n, len(chunks) == n, fps(chunk), languages),
               lambda n=n: renderer.chunk_page(section, n))


def _person_pages(person: Person, renderer: Renderer):
    """A person's pages, keyed by what they show: their accounts, talks and posts."""
    pages = person.pages
    about = (person.name, person.joined, [(a.source, a.handle, a.name, a.url, a.posts) for a in person.accounts],
             [(s.title, s.path) for s in person.talks], person.kinds.most_common(), len(pages))
    for n, chunk in enumerate(pages, 1):
        yield (person.page_path(n), key("person", about, n, fps(chunk)),
               lambda n=n: renderer.person_page(person, n))
