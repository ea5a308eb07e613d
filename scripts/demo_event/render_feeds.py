"""The blogs as RSS 2.0 / Atom XML, and the programme as a pretalx (frab-compatible) JSON export."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from people import PEOPLE
from talks import EVENT, TALKS

NS = uuid.UUID("6a1f5a7e-2b1c-4c55-9d0e-6b65747465c0")


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value)


def rss(feed: dict) -> str:
    items = []
    for e in feed["entries"]:
        cats = "".join(f"<category>{escape(c)}</category>" for c in e.get("categories", []))
        items.append(
            "  <item>\n"
            f"    <title>{escape(e['title'])}</title>\n"
            f"    <link>{escape(e['link'])}</link>\n"
            f"    <guid isPermaLink=\"false\">{escape(e['id'])}</guid>\n"
            f"    <pubDate>{format_datetime(_t(e['published']))}</pubDate>\n"
            f"    <dc:creator>{escape(feed['author'])}</dc:creator>\n"
            f"    {cats}\n"
            f"    <description>{escape(e['html'][:300])}</description>\n"
            f"    <content:encoded><![CDATA[{e['html']}]]></content:encoded>\n"
            "  </item>")
    last = max(_t(e["published"]) for e in feed["entries"])
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n'
            "<channel>\n"
            f"  <title>{escape(feed['title'])}</title>\n"
            f"  <link>{escape(feed['link'])}</link>\n"
            f"  <description>{escape(feed['description'])}</description>\n"
            f"  <language>{feed['lang']}</language>\n"
            f"  <lastBuildDate>{format_datetime(last)}</lastBuildDate>\n"
            "  <generator>https://wordpress.org/?v=6.6.2</generator>\n"
            + "\n".join(items) + "\n</channel>\n</rss>\n")


def atom(feed: dict) -> str:
    entries = []
    for e in feed["entries"]:
        cats = "".join(f"<category term={quoteattr(c)}/>" for c in e.get("categories", []))
        lang = f" xml:lang=\"{e['lang']}\"" if e.get("lang") else ""
        entries.append(
            f"  <entry{lang}>\n"
            f"    <id>{escape(e['id'])}</id>\n"
            f"    <title>{escape(e['title'])}</title>\n"
            f"    <link rel=\"alternate\" type=\"text/html\" href={quoteattr(e['link'])}/>\n"
            f"    <published>{e['published']}</published>\n"
            f"    <updated>{e['published']}</updated>\n"
            f"    <author><name>{escape(feed['author'])}</name></author>\n"
            f"    {cats}\n"
            f"    <content type=\"html\">{escape(e['html'])}</content>\n"
            "  </entry>")
    last = max(e["published"] for e in feed["entries"])
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{feed["lang"]}">\n'
            f"  <id>{escape(feed['link'])}</id>\n"
            f"  <title>{escape(feed['title'])}</title>\n"
            f"  <subtitle>{escape(feed['description'])}</subtitle>\n"
            f"  <link rel=\"alternate\" href={quoteattr(feed['link'])}/>\n"
            f"  <updated>{last}</updated>\n"
            + "\n".join(entries) + "\n</feed>\n")


def bio(key: str) -> str:
    p = PEOPLE[key]
    lines = [p.get("note", "")]
    if p.get("m"):
        lines.append(f"Mastodon: @{p['m']}")
    if p.get("b"):
        lines.append(f"Bluesky: @{p['b']}")
    return "\n".join(lines)


def person_json(key: str) -> dict:
    code = "SPK" + uuid.uuid5(NS, key).hex[:5].upper()
    return {"code": code, "name": PEOPLE[key]["name"], "public_name": PEOPLE[key]["name"], "avatar": None,
            "biography": bio(key), "guid": str(uuid.uuid5(NS, "person:" + key)),
            "url": f"https://pretalx.kettlecode.example/2026/speaker/{code}/", "answers": []}


def talk_json(t: dict, tz: ZoneInfo, number: int) -> dict:
    day = date.fromisoformat(EVENT["days"][t["day"] - 1])
    start = datetime.combine(day, datetime.strptime(t["start"], "%H:%M").time(), tz)
    code = uuid.uuid5(NS, t["key"]).hex[:6].upper()
    url = f"https://pretalx.kettlecode.example/2026/talk/{code}/"
    handles = ", ".join("@" + (PEOPLE[s].get("m") or PEOPLE[s].get("b")) for s in t["speakers"])
    description = f"{t['abstract']}\n\nHashtag: #{t['tag']}\nSpeakers: {handles}"
    return {
        "guid": str(uuid.uuid5(NS, "talk:" + t["key"])), "code": code, "id": number, "logo": None,
        "date": start.isoformat(), "start": t["start"], "duration": f"00:{t['minutes']:02d}",
        "room": t["room"], "slug": f"kettlecode-2026-{code.lower()}", "url": url, "title": t["title"],
        "subtitle": "", "track": t["track"], "type": t.get("kind", "Talk"), "language": "en",
        "abstract": t["abstract"], "description": description, "recording_license": "CC BY 4.0",
        "do_not_record": False, "persons": [person_json(s) for s in t["speakers"]],
        "links": [], "feedback_url": url + "feedback/", "origin_url": url, "attachments": [], "answers": [],
    }


def schedule() -> dict:
    tz = ZoneInfo(EVENT["timezone"])
    rooms = sorted({t["room"] for t in TALKS}, key=lambda r: (r != "Boiler Hall", r))
    days = []
    for index, day in enumerate(EVENT["days"], 1):
        d = date.fromisoformat(day)
        by_room = {room: [] for room in rooms}
        for number, t in enumerate(TALKS, 1):
            if t["day"] == index:
                by_room[t["room"]].append(talk_json(t, tz, number))
        days.append({"index": index, "date": day,
                     "day_start": datetime.combine(d, datetime.min.time(), tz).replace(hour=4).isoformat(),
                     "day_end": (datetime.combine(d, datetime.min.time(), tz) + timedelta(hours=27, minutes=59)).isoformat(),
                     "rooms": by_room})
    tracks = sorted({t["track"] for t in TALKS})
    return {
        "$schema": "https://c3voc.de/schedule/schema.json",
        "generator": {"name": "pretalx", "version": "2025.1.0"},
        "schedule": {
            "url": "https://pretalx.kettlecode.example/2026/schedule/", "version": "1.4",
            "base_url": "https://pretalx.kettlecode.example/2026/",
            "conference": {
                "acronym": EVENT["acronym"], "title": EVENT["name"], "start": EVENT["days"][0],
                "end": EVENT["days"][-1], "daysCount": len(EVENT["days"]), "timeslot_duration": "00:05",
                "time_zone_name": EVENT["timezone"], "colors": {"primary": "#c0392b"},
                "rooms": [{"name": r, "slug": r.lower().replace(" ", "-"), "guid": str(uuid.uuid5(NS, "room:" + r)),
                           "description": None, "capacity": 320 if r == "Boiler Hall" else 90} for r in rooms],
                "tracks": [{"name": t, "slug": t.lower().replace(" & ", "-").replace(" ", "-"),
                            "color": "#555555"} for t in tracks],
                "days": days,
            },
        },
    }
