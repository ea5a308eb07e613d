"""A Twitter archive's `data/tweets.js`: `window.YTD.tweets.part0 = [ {"tweet": {…}}, … ]`.

The tweets are in the v1.1 shape with numbers written as strings (`"favorite_count": "3"`,
`"indices": ["0", "9"]`) and no `user`: the author is the archive's owner, read from
`account.js` beside it (only the username and display name; never the e-mail address).
When `protected-history.js` says the account was protected last, nothing is imported.
Retweets (`RT @…`) carry only a cut copy of the original and no id of it, so they are
left out and counted. Older archives (2019) lack the `{"tweet": …}` wrapper; both are read.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator

from backchannel.errors import InputError
from backchannel.importers.item import Item
from backchannel.importers.containers import Sibling, folder_sibling
from backchannel.importers.jsonarray import items, skip_assignment
from backchannel.importers.twarc1 import parse
from backchannel.importers.twitter import to_post


def read(stream: BinaryIO, name: str, sibling: Sibling | None = None) -> Iterator[Item]:
    owner = _owner(sibling or folder_sibling(name), name)
    try:
        skip_assignment(stream)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None
    protected = owner.pop("protected")
    for index, value, problem in items(stream, "item"):
        if problem:
            yield Item(index, problem=problem)
            continue
        tweet = value.get("tweet", value) if isinstance(value, dict) else None
        if not isinstance(tweet, dict):
            yield Item(index, problem="an item must hold a tweet object")
            continue
        if protected:
            yield Item(index, skip="protected account (not public)")
            continue
        text = tweet.get("full_text") or tweet.get("text") or ""
        if isinstance(text, str) and text.startswith("RT @"):
            yield Item(index, skip="retweet (the archive keeps no copy of the original)")
            continue
        try:
            parsed, skip = parse({**tweet, "user": owner})
        except (ValueError, TypeError, KeyError) as exc:
            yield Item(index, problem=str(exc))
            continue
        if skip:
            yield Item(index, skip=skip)
            continue
        versions = _versions(tweet)
        if versions and versions[-1] != parsed.id and parsed.id in versions:
            # The archive holds every version; the last one is the tweet as it stayed.
            yield Item(index, skip="earlier version of an edited tweet")
            continue
        if versions:
            parsed.first_id = versions[0]
        post, uri = to_post(parsed)
        yield Item(index, post=post, raw=tweet, uri=uri)


def _owner(sibling: Sibling | None, name: str) -> dict:
    """The archive owner from account.js (and whether protected-history.js says protected)."""
    account = _js(sibling, "account.js", name)
    if not account:
        raise InputError(f"{name}: account.js is not beside it: tweets.js names no author, so "
                         "import the archive's .zip, or tweets.js where it lies in the archive's data/ folder")
    info = account[0].get("account", {}) if isinstance(account[0], dict) else {}
    username = info.get("username")
    if not isinstance(username, str) or not username:
        raise InputError(f"{name}: account.js beside it has no username")
    history = _js(sibling, "protected-history.js", name) or []
    actions = [h.get("protectedHistory", {}).get("action") for h in history if isinstance(h, dict)]
    return {"screen_name": username, "name": info.get("accountDisplayName") or username,
            "protected": bool(actions) and actions[-1] == "Protect"}


def _js(sibling: Sibling | None, filename: str, name: str) -> Any:
    """A small `window.YTD.x.part0 = [...]` file beside tweets.js (account.js and the like), or None."""
    data = sibling(filename) if sibling else None
    if data is None:
        return None
    _, _, body = data.decode("utf-8-sig", "replace").partition("=")
    try:
        value = json.loads(body)
    except ValueError:
        raise InputError(f"{name}: {filename} beside it is not a Twitter archive data file") from None
    return value if isinstance(value, list) and value else None


def _versions(tweet: dict) -> list[str]:
    """The ids of every version of a tweet, first to last (`edit_info`), or []."""
    info = tweet.get("edit_info") if isinstance(tweet.get("edit_info"), dict) else {}
    for part in (info.get("initial"), (info.get("edit") or {}).get("editControlInitial")):
        ids = part.get("editTweetIds") if isinstance(part, dict) else None
        if isinstance(ids, list) and ids and all(str(i).isdigit() for i in ids):
            return [str(i) for i in ids]
    return []
