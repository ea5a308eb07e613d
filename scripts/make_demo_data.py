"""Render the sample event (scripts/demo_event/) into the payloads `backchannel demo` serves.

    python scripts/make_demo_data.py          # writes backchannel/demo/data/
    python scripts/make_demo_data.py --check  # fails if the committed files are out of date

The posts are written once, as people would write them (posts_day1.txt, posts_day2.txt);
this script turns them into each service's real formats: Mastodon Status JSON as each of
the two demo servers shows them (own ids, remote accts, boosts), Bluesky PostViews (facets
in UTF-8 byte offsets, embeds), RSS 2.0 and Atom feeds, and a pretalx schedule. Everything
is derived deterministically, so running it twice gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "demo_event"))

from blogs import FEEDS  # noqa: E402
from common import Item, rng  # noqa: E402
from people import DEMO_LOGIN, PEOPLE, SERVER_A, SERVER_B  # noqa: E402
from render_bluesky import render as render_bluesky  # noqa: E402
from render_feeds import atom, rss, schedule  # noqa: E402
from render_mastodon import render_server, split_handle, status_uri  # noqa: E402
from talks import EVENT  # noqa: E402

OUT = HERE.parent / "backchannel" / "demo" / "data"
SOURCES = [HERE / "demo_event" / "posts_day1.txt", HERE / "demo_event" / "posts_day2.txt"]
TZ = ZoneInfo(EVENT["timezone"])
FLAGS = {"delete", "edited", "raw", "sensitive", "unlisted"}
SEARCH = {"query": "restored backup", "kind": "takeaway"}  # the search `demo` suggests


def parse(paths: list[Path]) -> list[Item]:
    """Every post line of the source files, with its section's day and window."""
    items: list[Item] = []
    section = None
    for path in paths:
        for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path.name}:{number}"
            if line.startswith("@ "):
                day, window, name = line[2:].split()
                start, end = window.split("-")
                section = (int(day), start, end, name)
                continue
            if section is None:
                raise SystemExit(f"{where}: a post before the first section")
            head, sep, text = line.partition(" | ")
            if not sep:
                raise SystemExit(f"{where}: no ' | ' between the header and the text")
            author, nets, lang, kind, *options = shlex.split(head)
            opts = {}
            for opt in options:
                key, eq, value = opt.partition("=")
                if not eq and key not in FLAGS:
                    raise SystemExit(f"{where}: unknown flag {key!r}")
                opts[key] = value if eq else True
            if author not in PEOPLE or nets not in ("m", "b", "mb") or kind not in "tqrso":
                raise SystemExit(f"{where}: bad header {head!r}")
            items.append(Item(n=len(items), author=author, nets=nets, lang=lang, kind=kind,
                              text=text.replace("\\n", "\n"), section=section[3], day=section[0],
                              opts=opts, window=section, line=f"{where}: {line[:60]}"))
    return items


def local(day: int, hhmm: str) -> datetime:
    d = date.fromisoformat(EVENT["days"][day - 1])
    return datetime.combine(d, datetime.strptime(hhmm, "%H:%M").time(), TZ)


def schedule_times(items: list[Item]) -> None:
    """Spread each section's posts over its window, in order; replies follow their parent."""
    by_label = {i.label: i for i in items if i.label}
    sections: dict[tuple, list[Item]] = {}
    for item in items:
        sections.setdefault(item.window, []).append(item)
    for (day, start, end, _), members in sections.items():
        t0, t1 = local(day, start), local(day, end)
        step = (t1 - t0) / len(members)
        for k, item in enumerate(members):
            r = rng(item, "time")
            if "at" in item.opts:
                when = local(day, item.opts["at"]) + timedelta(seconds=r.randrange(60))
            else:
                when = t0 + step * (k + 0.5) + step * (r.random() - 0.5) * 0.7
            item.when["m"] = when.replace(microsecond=r.randrange(0, 999) * 1000)
    for item in items:
        for key, attr in (("re", "parent"), ("quote", "quoted")):
            if key in item.opts:
                target = by_label.get(item.opts[key])
                if target is None:
                    raise SystemExit(f"{item.line}: no post with id={item.opts[key]}")
                if key == "re" and set(item.nets) - set(target.nets):
                    raise SystemExit(f"{item.line}: a reply on a network its parent {target.label} is not on")
                setattr(item, attr, target)
        if item.parent is not None and item.when["m"] <= item.parent.when["m"]:
            item.when["m"] = item.parent.when["m"] + timedelta(minutes=2 + rng(item, "reply").random() * 6)
        # A cross-posting app sends the Bluesky copy a few seconds after the Mastodon one.
        item.when["b"] = item.when["m"] + timedelta(seconds=(3 + rng(item, "x").random() * 30) if "m" in item.nets else 0)


def assign_servers(items: list[Item]) -> None:
    """Which of the two demo servers show each Mastodon post (its home, and who follows whom)."""
    for item in items:
        if "m" not in item.nets:
            continue
        if item.parent is not None and item.parent.servers:
            item.servers = set(item.parent.servers)  # a reply travels to where its thread is
            continue
        if "on" in item.opts:
            item.servers = {{"a": SERVER_A, "b": SERVER_B}[c] for c in item.opts["on"]}
            continue
        p = PEOPLE[item.author]
        home = split_handle(p["m"])[1]
        r = rng(item, "servers").random()
        if home == SERVER_A:
            item.servers = {SERVER_A} | ({SERVER_B} if r < 0.35 else set())
        elif home == SERVER_B:
            item.servers = {SERVER_B} | ({SERVER_A} if r < 0.45 else set())
        elif p.get("teacher"):
            item.servers = [{SERVER_A}, {SERVER_B}, {SERVER_A, SERVER_B}][0 if r < 0.2 else 1 if r < 0.6 else 2]
        else:
            item.servers = [{SERVER_A}, {SERVER_B}, {SERVER_A, SERVER_B}][0 if r < 0.45 else 1 if r < 0.7 else 2]


def dump_list(values: list) -> str:
    """A JSON list with one element per line: compact, and diffs stay readable."""
    return "[\n" + ",\n".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values) + "\n]\n"


def build() -> dict[str, str]:
    """Every output file name → its text."""
    items = parse(SOURCES)
    schedule_times(items)
    assign_servers(items)
    files: dict[str, str] = {}
    masto = [i for i in items if "m" in i.nets]
    servers = []
    for name, domain, title in (("mastodon-a.json", SERVER_A, "Haven"), ("mastodon-b.json", SERVER_B, "Chalk Social")):
        files[name] = dump_list(render_server(masto, domain))
        servers.append({"file": name, "domain": domain, "title": title})
    accounts, views, bsky_uris = render_bluesky(items)
    files["bluesky.json"] = ('{"accounts": ' + json.dumps(accounts, ensure_ascii=False) + ',\n"posts": '
                             + dump_list(views).rstrip("\n") + "}\n")
    feeds = []
    for feed in FEEDS:
        name = f"feeds/{feed['key']}.xml"
        files[name] = rss(feed) if feed["format"] == "rss" else atom(feed)
        feeds.append({"file": name, "path": feed["path"], "all": feed["all"], "title": feed["title"],
                      "content_type": "application/rss+xml" if feed["format"] == "rss" else "application/atom+xml"})
    files["schedule.json"] = json.dumps(schedule(), ensure_ascii=False, indent=1) + "\n"
    deleted_m = sorted(status_uri(i) for i in masto if "delete" in i.opts)
    manifest = {
        "event": {k: EVENT[k] for k in ("name", "hashtags", "keywords", "timezone", "days", "venue")},
        "mastodon": servers,
        "bluesky": {"file": "bluesky.json", "login": DEMO_LOGIN},
        "feeds": feeds,
        "schedule": "schedule.json",
        "delete_after_first_poll": {
            "mastodon": deleted_m,
            "bluesky": sorted(bsky_uris[i.n] for i in items if "b" in i.nets and "delete" in i.opts),
        },
        "search": SEARCH,
        "as_written": stats(items),
    }
    files["event.json"] = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    return files


def stats(items: list[Item]) -> dict:
    """Counts of the posts as written (before consent, deletion and dedup)."""
    kinds = {"t": "takeaway", "q": "question", "r": "resource", "s": "shoutout", "o": "other"}
    by = {"network": Counter(), "lang": Counter(), "kind": Counter()}
    for item in items:
        for net in item.nets:
            by["network"]["mastodon" if net == "m" else "bluesky"] += 1
            by["lang"][item.lang] += 1
            by["kind"][kinds[item.kind]] += 1
    entries = [e for f in FEEDS for e in f["entries"]]
    by["network"]["rss"] = len(entries)
    return {k: dict(v.most_common()) for k, v in by.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Fail if the files in data/ are out of date.")
    args = parser.parse_args()
    files = build()
    stale = [n for n, text in files.items() if not (OUT / n).exists() or (OUT / n).read_text("utf-8") != text]
    if args.check:
        for name in stale:
            print(f"out of date: {OUT / name}", file=sys.stderr)
        return 1 if stale else 0
    for name, text in files.items():
        (OUT / name).parent.mkdir(parents=True, exist_ok=True)
        (OUT / name).write_text(text, "utf-8")
    print(f"wrote {len(files)} files to {OUT} ({len(stale)} changed)")
    print(json.dumps(json.loads(files["event.json"])["as_written"], ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
