"""How often two people agree on which talk a post is about, and how the matcher compares.

    python benchmarks/talk_agreement.py tests/data/talks/heldout3

A set's `labels.jsonl` holds the first person's labels (whoever wrote the set); a second
person, who saw the programme and the posts but not those labels, wrote
`labels.second.jsonl` (`id`, `talk`, `sure`, and `alt` — a second choice — where not sure).
Prints the agreement between the two, and the matcher's agreement with each, per
programme format; on the posts both people agree on, the matcher's accuracy is the figure
no judgement call can excuse.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.talk_accuracy import aliases, load_set, programmes  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402
from backchannel.talks.programme import load_schedule  # noqa: E402


def read_labels(path: Path) -> dict[str, dict]:
    rows = {}
    for number, line in enumerate(path.open(encoding="utf-8"), 1):
        if line.strip():
            try:
                row = json.loads(line)
                rows[row["id"]] = row
            except (ValueError, KeyError) as exc:
                raise SystemExit(f"{path}:{number}: not a label object ({exc})")
    return rows


def share(pairs: list[tuple[object, object]]) -> str:
    if not pairs:
        return "–"
    same = sum(1 for a, b in pairs if a == b)
    return f"{same / len(pairs):.1%} ({same}/{len(pairs)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--second", type=Path, help="the second person's labels (default: labels.second.jsonl)")
    args = parser.parse_args()
    second_path = args.second or args.folder / "labels.second.jsonl"
    if not second_path.exists():
        raise SystemExit(f"{second_path}: no second labels")
    posts, first = load_set(args.folder)
    second = read_labels(second_path)
    alias = aliases(args.folder)

    def norm(value):
        return alias.get(value, value) if value else None

    ids = [p.id for p in posts if p.id in first and p.id in second]
    a = {i: norm(first[i].get("talk")) for i in ids}
    b = {i: norm(second[i].get("talk")) for i in ids}
    sure = {i for i in ids if second[i].get("sure", True)}
    agreed = [i for i in ids if a[i] == b[i]]
    print(f"talk labels on {args.folder}: {len(ids)} posts labelled by both people")
    print()
    print("| comparison | all posts | posts the second person was sure of |")
    print("|---|---|---|")
    print(f"| first person vs second | {share([(a[i], b[i]) for i in ids])} | "
          f"{share([(a[i], b[i]) for i in ids if i in sure])} |")
    either = [i for i in ids if a[i] in (b[i], norm(second[i].get('alt')))]
    print(f"| first person vs second's first or second choice | {len(either) / len(ids):.1%} ({len(either)}/{len(ids)}) | |")
    print()
    print("| programme | matcher vs first person | matcher vs second person | matcher on posts both agree on |")
    print("|---|---|---|---|")
    by_id = {p.id: p for p in posts}
    for path in programmes(args.folder):
        schedule = load_schedule(path, strict=False)
        matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
        got = {i: norm(matcher.match(by_id[i])[0]) for i in ids}
        print(f"| {path.name} | {share([(got[i], a[i]) for i in ids])} | {share([(got[i], b[i]) for i in ids])} | "
              f"{share([(got[i], a[i]) for i in agreed])} |")


if __name__ == "__main__":
    main()
