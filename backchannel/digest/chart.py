"""The activity chart: posts per hour, stacked by source, as numbers for an SVG template.

Drawn at build time (no JavaScript): this module only computes geometry and labels; the
`_chart.html` template turns it into SVG, so every label goes through autoescape.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Sequence
from zoneinfo import ZoneInfo

from backchannel.digest.model import Item
from backchannel.names import SOURCES as SOURCE_ORDER

WIDTH, HEIGHT = 960, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 14, 46
MAX_HOURLY = 24 * 14  # longer spans are drawn per day
MAX_DAILY = 400  # longer spans (an archive that is more than one event) are drawn per month
# On a phone (~330 px for the chart) the same bars are drawn in a narrower, taller box, with
# its text at PHONE_FONT units (style.css) and only the x labels that fit side by side.
PHONE_WIDTH, PHONE_HEIGHT, PHONE_FONT = 400, 250, 14
CHAR = 0.62  # width of a character, in font sizes (digits and short words of a sans-serif)


@dataclass
class Segment:
    source: str
    y: float
    height: float


@dataclass
class Bar:
    x: float
    width: float
    count: int
    label: str  # "Tue 1 Sep 10:00–11:00: 12 posts (mastodon 8, bluesky 4)"
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    summary: str  # the chart in one sentence, for screen readers
    bars: list[Bar]
    gridlines: list[tuple[float, str]]  # (y, label)
    labels: list[tuple[float, str, bool]]  # (x, text, is a day boundary)
    sources: list[tuple[str, int]]
    phone: Chart | None = None  # the same, drawn for a phone's width
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    base: int = HEIGHT - BOTTOM


def activity(items: Sequence[Item], tz: ZoneInfo, title: str = "Posts per hour") -> Chart | None:
    """Posts per hour (per day over long spans) in the event's time zone; None without posts."""
    if not items:
        return None
    first, last = items[0].local, items[-1].local
    hourly = (last - first) <= timedelta(hours=MAX_HOURLY)
    if (last.date() - first.date()).days > MAX_DAILY:
        return _monthly(items, first, last)
    if hourly:
        start = first.replace(minute=0, second=0, microsecond=0)
        slots = [start.replace(tzinfo=None) + timedelta(hours=h)
                 for h in range(int((last - start).total_seconds() // 3600) + 1)]
        key = lambda it: it.local.replace(minute=0, second=0, microsecond=0, tzinfo=None)  # noqa: E731
    else:
        title = "Posts per day"
        slots = [datetime.combine(first.date() + timedelta(days=d), time(0))
                 for d in range((last.date() - first.date()).days + 1)]
        key = lambda it: datetime.combine(it.local.date(), time(0))  # noqa: E731
    counts: dict[datetime, Counter] = {s: Counter() for s in slots}
    for it in items:
        counts[key(it)][it.post.source] += 1
    return _both(title, slots, counts, hourly, Counter(it.post.source for it in items))


def _monthly(items: Sequence[Item], first: datetime, last: datetime) -> Chart:
    """Posts per month: bars stay few whatever the span (1970 to 2105 is 1,632 months)."""
    def month(d: datetime) -> datetime:
        return datetime(d.year, d.month, 1)

    slots, m = [], month(first)
    while m <= month(last):
        slots.append(m)
        m = datetime(m.year + m.month // 12, m.month % 12 + 1, 1)
    counts: dict[datetime, Counter] = {s: Counter() for s in slots}
    for it in items:
        counts[month(it.local)][it.post.source] += 1
    return _both("Posts per month", slots, counts, None, Counter(it.post.source for it in items))


def _both(title: str, slots: list[datetime], counts: dict[datetime, Counter], hourly: bool | None,
          totals: Counter) -> Chart:
    """The chart for a wide screen, carrying the one for a phone (which shows the x labels
    that fit without overlapping)."""
    chart = _draw(title, slots, counts, hourly, totals)
    chart.phone = _draw(title, slots, counts, hourly, totals, PHONE_WIDTH, PHONE_HEIGHT)
    keep = fitting(chart.phone.labels, PHONE_WIDTH, PHONE_FONT)
    chart.phone.labels = [label for i, label in enumerate(chart.phone.labels) if i in keep]
    return chart


def _draw(title: str, slots: list[datetime], counts: dict[datetime, Counter], hourly: bool | None,
          totals: Counter, width: int = WIDTH, height: int = HEIGHT) -> Chart:
    top = nice_max(max(sum(c.values()) for c in counts.values()))
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    step = plot_w / len(slots)
    gap = 1.0 if step > 3 else 0.0
    order = [s for s in SOURCE_ORDER if s in totals] + sorted(set(totals) - set(SOURCE_ORDER))
    bars, labels = [], []
    for i, slot in enumerate(slots):
        c = counts[slot]
        n = sum(c.values())
        x = LEFT + i * step
        bar = Bar(round(x + gap / 2, 2), round(max(step - gap, 0.5), 2), n, _bar_label(slot, c, n, hourly))
        y = height - BOTTOM
        for source in order:
            if c[source]:
                h = c[source] / top * plot_h
                y -= h
                bar.segments.append(Segment(source, round(y, 2), round(h, 2)))
        bars.append(bar)
        labels += _x_labels(slot, x, hourly, len(slots), i == 0)
    gridlines = [(round(height - BOTTOM - v / top * plot_h, 2), f"{v:,}") for v in _ticks(top)]
    busiest = max(slots, key=lambda s: sum(counts[s].values()))
    unit = "month" if hourly is None else "hour" if hourly else "day"
    summary = (f"{title}, from {_when(slots[0], hourly)} to {_when(slots[-1], hourly)}. "
               f"Busiest {unit}: {_when(busiest, hourly)} with {sum(counts[busiest].values()):,} posts.")
    return Chart(title, summary, bars, gridlines, labels, [(s, totals[s]) for s in order],
                 width=width, height=height, right=width - RIGHT, base=height - BOTTOM)


def fitting(labels: list[tuple[float, str, bool]], width: int, font: int) -> frozenset[int]:
    """Indexes of the x labels that fit side by side at `font`: the days first, then the
    hours between them; none overlaps another or runs past the right edge."""
    def extent(i: int) -> tuple[float, float]:
        x, text, day = labels[i]
        w = len(text) * CHAR * font
        return (x + 4, x + 4 + w) if day else (x - w / 2, x + w / 2)

    gap = font / 2
    kept: list[tuple[float, float]] = []
    chosen = set()
    for i in sorted(range(len(labels)), key=lambda i: (not labels[i][2], labels[i][0])):
        left, right = extent(i)
        if right > width or any(left < r + gap and right + gap > l for l, r in kept):
            continue
        kept.append((left, right))
        chosen.add(i)
    return frozenset(chosen)


def nice_max(value: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at or above `value` (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** int(math.floor(math.log10(value)))
    for m in (1, 2, 5, 10):
        if m * magnitude >= value:
            return m * magnitude
    return 10 * magnitude


def _ticks(top: int) -> list[int]:
    return [top * k // 4 for k in range(0, 5) if (top * k) % 4 == 0] if top >= 4 else [0, top]


def _x_labels(slot: datetime, x: float, hourly: bool | None, n: int, first: bool) -> list[tuple[float, str, bool]]:
    if hourly is None:
        every = max(1, n // 12)
        return [(x, f"{slot:%b} {slot.year}", True)] if first or (slot.year * 12 + slot.month) % every == 0 else []
    if not hourly:
        every = max(1, n // 12)
        return [(x, f"{slot:%a} {slot.day} {slot:%b}", True)] if first or slot.toordinal() % every == 0 else []
    if slot.hour == 0 or first:
        return [(x, f"{slot:%a} {slot.day} {slot:%b}", True)]
    spacing = 3 if n <= 36 else 6 if n <= 96 else 12
    if n <= 192 and slot.hour % spacing == 0:
        return [(x, f"{slot:%H}:00", False)]
    return []


def _bar_label(slot: datetime, c: Counter, n: int, hourly: bool) -> str:
    parts = ", ".join(f"{s} {k}" for s, k in c.most_common())
    what = f"{n:,} post{'s' if n != 1 else ''}" + (f" ({parts})" if parts else "")
    if hourly is None:
        return f"{slot:%B} {slot.year}: {what}"
    if hourly:
        end = slot + timedelta(hours=1)
        return f"{slot:%a} {slot.day} {slot:%b} {slot:%H}:00–{end:%H}:00: {what}"
    return f"{slot:%a} {slot.day} {slot:%b}: {what}"


def _when(slot: datetime, hourly: bool | None) -> str:
    if hourly is None:
        return f"{slot:%B} {slot.year}"
    day = f"{slot:%a} {slot.day} {slot:%b}"
    return f"{day} {slot:%H}:00" if hourly else day
