"""`backchannel import` reads other tools' exports: twarc (v1.1 and v2), a Twitter archive's
tweets.js, TAGS CSV, a Mastodon outbox.json and a Bluesky repository CAR.

The twarc2 files are real third-party output (shared/corpora/twarc2, from DocNow/twarc-csv);
the other fixtures are written from each format's documentation (tests/fixtures/imports) and
the CAR files are encoded here with libipld, the atproto SDK's codec (tests/car_writer.py).
"""

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.importers import sniff
from car_writer import Repo, cid_of

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
TWARC2 = Path(__file__).resolve().parents[1].parent.parent / "shared" / "corpora" / "twarc2"
if not TWARC2.exists():
    TWARC2 = Path("/work/shared/corpora/twarc2")
needs_corpus = pytest.mark.skipif(not TWARC2.exists(), reason="shared/corpora/twarc2 is not here")


def run(tmp_path, *args, input=None):
    return CliRunner().invoke(cli, ["import", *map(str, args), "--data-dir", str(tmp_path / "data")], input=input)


def exported(tmp_path) -> list[dict]:
    out = CliRunner().invoke(cli, ["export", "--data-dir", str(tmp_path / "data")]).output
    return [json.loads(line) for line in out.splitlines()]


def by_url(posts, fragment):
    found = [p for p in posts if fragment in (p["url"] or "")]
    assert len(found) == 1, [p["url"] for p in posts]
    return found[0]


# --- format detection -------------------------------------------------------------------------

@pytest.mark.parametrize("path, expected", [
    ("twarc1.jsonl", "twarc1"),
    ("twitter-archive/data/tweets.js", "tweets-js"),
    ("tags.csv", "tags-csv"),
    ("mastodon-export/outbox.json", "outbox"),
])
def test_each_fixture_is_told_by_its_content(path, expected):
    assert sniff((FIXTURES / path).read_bytes()[:65536]) == expected


@needs_corpus
@pytest.mark.parametrize("name", ["noflat.jsonl", "flat.jsonl", "withheld.jsonl", "streaming_output_with_error.jsonl"])
def test_twarc2_files_are_told_even_when_the_first_line_is_longer_than_the_sniffed_head(name):
    assert sniff((TWARC2 / name).read_bytes()[:65536]) == "twarc2"


def test_a_file_of_unknown_shape_is_refused_with_the_formats_named(tmp_path):
    (tmp_path / "x.txt").write_text("hello\nworld\n")
    result = run(tmp_path, tmp_path / "x.txt")
    assert result.exit_code == 2 and "cannot tell the file's format; pass --format" in result.output
    assert "Traceback" not in result.output


def test_format_overrides_detection(tmp_path):
    result = run(tmp_path, FIXTURES / "twarc1.jsonl", "--format", "twarc2")
    assert result.exit_code in (1, 2) and "Imported 0 new posts" in result.output


# --- twarc2 (real output) ---------------------------------------------------------------------

@needs_corpus
def test_twarc2_responses_keep_originals_of_retweets_and_skip_withheld_by_reason(tmp_path):
    result = run(tmp_path, TWARC2 / "withheld.jsonl")
    assert result.exit_code == 0, result.output
    assert "Imported 163 new posts" in result.output
    assert "Left out 38: retweet of a tweet not in the file" in result.output
    assert "Left out 12: account withheld" in result.output
    assert "Left out 1: tweet withheld" in result.output
    posts = exported(tmp_path)
    assert all(p["source"] == "twitter" and not p["text"].startswith("RT @") for p in posts)
    assert not any("1388424788171841537" in (p["url"] or "") for p in posts)  # withheld in IN


@needs_corpus
def test_a_broken_line_in_a_stream_capture_is_named_and_the_rest_kept(tmp_path):
    result = run(tmp_path, TWARC2 / "streaming_output_with_error.jsonl")
    assert result.exit_code == 1
    assert "streaming_output_with_error.jsonl:8: not valid JSON" in result.output
    assert "Imported 7 new posts" in result.output


@needs_corpus
def test_flattened_and_response_forms_give_the_same_posts(tmp_path):
    run(tmp_path / "a", TWARC2 / "noflat.jsonl")
    run(tmp_path / "b", TWARC2 / "flat.jsonl")
    a, b = exported(tmp_path / "a"), exported(tmp_path / "b")
    assert len(a) == 83
    # the same tweets, the same way: text, quotes (also inside retweets), media, replies, counts
    assert sorted(a, key=lambda p: p["id"]) == sorted(b, key=lambda p: p["id"])
    assert sum("<blockquote>" in p["html"] for p in a) >= 10


@needs_corpus
def test_twarc2_media_entities_and_code_point_offsets(tmp_path):
    run(tmp_path, TWARC2 / "media_tweet.jsonl")
    (post,) = exported(tmp_path)
    assert post["text"] == "She's GOING with it! \U0001F40D"  # the t.co link to the video is not text
    (video,) = post["media"]
    assert video["type"] == "video" and video["url"].endswith("1280x720/WiZrNZKT2lMzK5zA.mp4?tag=12")
    assert post["metrics"] == {"likes": 93, "reposts": 13, "replies": 3, "quotes": 7}
    assert post["url"] == "https://twitter.com/IgorBrigadir/status/1558553189766631429"


@needs_corpus
def test_an_edited_tweet_is_one_post_that_the_edit_replaces(tmp_path):
    run(tmp_path, TWARC2 / "edited_before.jsonl")
    before = exported(tmp_path)
    result = run(tmp_path, TWARC2 / "edited_after.jsonl")
    after = exported(tmp_path)
    assert "1 updated" in result.output
    assert len(before) == len(after) == 1 and before[0]["id"] == after[0]["id"]


# --- twarc v1.1 -------------------------------------------------------------------------------

def test_twarc1_full_text_retweets_quotes_media_and_consent(tmp_path):
    result = run(tmp_path, FIXTURES / "twarc1.jsonl")
    assert result.exit_code == 1  # one broken line
    assert "twarc1.jsonl:7: not valid JSON" in result.output
    for reason in ("stream notice", "protected account (not public)", "tweet withheld",
                   "account opted out (#nobot/#noindex in bio)"):
        assert f"Left out 1: {reason}" in result.output
    posts = exported(tmp_path)
    assert len(posts) == 3
    talk = by_url(posts, "/ada_l/status/1172820311744544768")
    # the truncated streaming text is replaced by extended_tweet.full_text, t.co links expanded,
    # the picture's link taken out of the text, &amp; unescaped once
    assert talk["text"].endswith("keep a latency budget per query. Slides: https://speakerdeck.example/bo/planner-tuning")
    assert "& keep" in talk["text"] and "t.co" not in talk["text"]
    assert talk["links"] == ["https://speakerdeck.example/bo/planner-tuning"]
    assert talk["media"][0]["alt"] == "Slide: a latency budget table, p50 and p99 per query type"
    assert talk["tags"] == ["pyconex"]
    # the retweet stored its original, with the counts it carried (fresher than the stream's)
    assert talk["metrics"]["reposts"] == 9 and talk["metrics"]["likes"] == 31
    quote = by_url(posts, "/bo_dev/status/1172829000000000002")
    assert quote["reply_to"] == "https://twitter.com/ada_l/status/1172820311744544768"
    assert "<blockquote>" in quote["html"] and "measure before you tune" in quote["html"]
    assert "\U0001F40D\u2014which tool" in quote["text"] and "measure before" not in quote["text"]
    assert "<script" not in json.dumps(posts) and quote["author"]["name"] == "Bo"
    dinner = by_url(posts, "/bo_dev/status/1172600000000000007")
    assert dinner["sensitive"] is True
    assert dinner["media"][0]["url"].endswith("1280x720/x.mp4")  # the highest-bitrate MP4


# --- Twitter archive (tweets.js) ----------------------------------------------------------------

def test_tweets_js_takes_its_author_from_account_js_and_keeps_the_last_edit(tmp_path):
    result = run(tmp_path, FIXTURES / "twitter-archive" / "data" / "tweets.js")
    assert result.exit_code == 0, result.output
    assert "Left out 1: earlier version of an edited tweet" in result.output
    assert "Left out 1: retweet (the archive keeps no copy of the original)" in result.output
    posts = exported(tmp_path)
    assert len(posts) == 4
    assert {p["author"]["handle"] for p in posts} == {"ada_l"}
    assert "ada@example.org" not in json.dumps(posts)
    edited = [p for p in posts if p["edited_at"]][0]
    assert edited["text"].endswith("2 TB tables?")
    assert (edited["created_at"], edited["edited_at"]) == ("2022-10-19T13:02:00Z", "2022-10-19T13:05:00Z")
    thanks = [p for p in posts if p["text"].startswith("Thanks")][0]
    assert thanks["metrics"]["likes"] == 12  # "12" in the archive
    assert "<3" in thanks["text"] and thanks["links"] == ["https://pyconex.example/thanks"]


def test_tweets_js_without_account_js_says_where_to_import_from(tmp_path):
    shutil.copy(FIXTURES / "twitter-archive" / "data" / "tweets.js", tmp_path / "tweets.js")
    result = run(tmp_path, tmp_path / "tweets.js")
    assert result.exit_code == 2 and "account.js is not beside it" in result.output


def test_a_protected_archive_imports_nothing(tmp_path):
    shutil.copytree(FIXTURES / "twitter-archive", tmp_path / "archive")
    data = tmp_path / "archive" / "data"
    (data / "protected-history.js").write_text(
        'window.YTD.protected_history.part0 = [{"protectedHistory": {"protectedAt": "2023-01-02T10:00:00.000Z", "action": "Protect"}}]')
    result = run(tmp_path, data / "tweets.js")
    assert "Imported 0 new posts" in result.output and "protected account (not public)" in result.output


# --- TAGS CSV -----------------------------------------------------------------------------------

def test_tags_csv_rows_with_spreadsheet_mangled_ids_and_bad_rows(tmp_path):
    result = run(tmp_path, FIXTURES / "tags.csv")
    assert result.exit_code == 1
    assert "tags.csv:6: no usable tweet id in id_str or status_url" in result.output
    assert "tags.csv:7: created_at is not a time: 'yesterday'" in result.output
    assert "Left out 1: retweet (the sheet keeps no copy of the original)" in result.output
    posts = exported(tmp_path)
    eve = by_url(posts, "/eve_r/status/1172830000000000009")  # id from status_url, not 1.17283E+18
    assert eve["text"] == "Question for #PyConEx folks:\nwhere are the workshop notes? https://t.co/NoTeS00000"
    assert eve["tags"] == ["pyconex"]
    ada = by_url(posts, "/ada_l/status/1172820311744544768")
    assert ada["links"] == ["https://speakerdeck.example/bo/planner-tuning"]


def test_the_same_tweet_from_tags_and_twarc_is_one_post(tmp_path):
    run(tmp_path, FIXTURES / "tags.csv")
    result = run(tmp_path, FIXTURES / "twarc1.jsonl")
    assert "1 updated" in result.output or "Imported 2 new posts" in result.output
    urls = [p["url"] for p in exported(tmp_path)]
    assert urls.count("https://twitter.com/ada_l/status/1172820311744544768") == 1


# --- Mastodon outbox.json -----------------------------------------------------------------------

def test_outbox_keeps_public_creates_and_counts_boosts_and_other_visibilities(tmp_path):
    result = run(tmp_path, FIXTURES / "mastodon-export" / "outbox.json")
    assert result.exit_code == 1
    assert "outbox.json: item 8:" in result.output and "created_at" in result.output
    assert "Left out 3: not public" in result.output
    assert "Left out 1: boost (the export has only the boosted post's address)" in result.output
    posts = exported(tmp_path)
    assert len(posts) == 4 and {p["author"]["handle"] for p in posts} == {"ada@social.example"}
    slide = by_url(posts, "/@ada/113200000000000002")
    assert slide["sensitive"] and slide["content_warning"] == "eye strain: bright slide"
    assert slide["edited_at"] == "2026-09-01T10:34:00Z"
    # media inside the archive (a relative path) cannot be linked; web media can
    assert [m["alt"] for m in slide["media"]] == ["The speaker on stage"]
    assert "<script" not in slide["html"]
    first = by_url(posts, "/@ada/113200000000000001")
    assert "@bo@other.example" in first["text"] and first["tags"] == ["pyconex"]
    assert first["id"].startswith("mastodon-")  # the same id the Mastodon collector gives


def test_outbox_consent_flags_travel_with_the_posts(tmp_path):
    """Not indexable (Mastodon's default): imported and shown, kept out of in-browser search."""
    shutil.copytree(FIXTURES / "mastodon-export", tmp_path / "export")
    actor = json.loads((tmp_path / "export" / "actor.json").read_text())
    actor["indexable"], actor["discoverable"] = False, True
    (tmp_path / "export" / "actor.json").write_text(json.dumps(actor))
    result = run(tmp_path, tmp_path / "export" / "outbox.json")
    assert "Imported 4 new posts" in result.output
    posts = exported(tmp_path)
    assert {(p["consent"]["indexable"], p["consent"]["discoverable"]) for p in posts} == {(False, True)}


def test_outbox_of_an_account_that_opted_out_imports_nothing(tmp_path):
    shutil.copytree(FIXTURES / "mastodon-export", tmp_path / "export")
    actor = json.loads((tmp_path / "export" / "actor.json").read_text())
    actor["summary"] = "<p>Please leave me out: #nobackchannel</p>"
    (tmp_path / "export" / "actor.json").write_text(json.dumps(actor))
    result = run(tmp_path, tmp_path / "export" / "outbox.json")
    assert "Imported 0 new posts" in result.output and "opted out (#nobackchannel)" in result.output


def test_an_outbox_cut_off_part_way_keeps_the_items_before_the_break(tmp_path):
    whole = (FIXTURES / "mastodon-export" / "outbox.json").read_bytes()
    cut = whole[: whole.index(b'"id": "https://social.example/users/ada/statuses/1132' + b'00000000000007')]
    (tmp_path / "outbox.json").write_bytes(cut)
    result = run(tmp_path, tmp_path / "outbox.json")
    assert result.exit_code == 1 and "the JSON breaks here" in result.output
    assert "Imported 2 new posts" in result.output


# --- Bluesky repository CAR ---------------------------------------------------------------------

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"


def bluesky_repo(profile_labels=()) -> Repo:
    repo = Repo(DID)
    text = "Café talk \U0001F4AC on #PyConEx: https://slides.example/x by @bo"
    data = text.encode()
    tag_at = data.index(b"#PyConEx")
    link_at = data.index(b"https://slides.example/x")
    repo.put("app.bsky.actor.profile", "self", {"$type": "app.bsky.actor.profile", "displayName": "Ada",
             **({"labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": v} for v in profile_labels]}}
                if profile_labels else {})})
    blob = cid_of(b"picture bytes")
    repo.put("app.bsky.feed.post", "3l4qyrvkxcm2a", {
        "$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-09-01T10:00:00.000Z", "langs": ["en"],
        "facets": [
            {"index": {"byteStart": tag_at, "byteEnd": tag_at + 8}, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "PyConEx"}]},
            {"index": {"byteStart": link_at, "byteEnd": link_at + 24}, "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://slides.example/x"}]},
        ],
        "embed": {"$type": "app.bsky.embed.images", "images": [
            {"alt": "The p99 slide", "image": {"$type": "blob", "ref": blob, "mimeType": "image/jpeg", "size": 4000}}]},
    })
    repo.put("app.bsky.feed.post", "3l4qyzzzzzz2b", {
        "$type": "app.bsky.feed.post", "text": "nsfw test", "createdAt": "2026-09-01T11:00:00.000Z",
        "labels": {"$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "porn"}]}})
    repo.put("app.bsky.feed.post", "3l4qz3333332c", {
        "$type": "app.bsky.feed.post", "text": "Replying with a quote", "createdAt": "2026-09-01T12:00:00.000Z",
        "reply": {"root": {"uri": f"at://{DID}/app.bsky.feed.post/3l4qyrvkxcm2a", "cid": "bafyreia"},
                  "parent": {"uri": f"at://{DID}/app.bsky.feed.post/3l4qyrvkxcm2a", "cid": "bafyreia"}},
        "embed": {"$type": "app.bsky.embed.record", "record": {"uri": "at://did:plc:other/app.bsky.feed.post/3kaaaaaaaaa2a", "cid": "bafyreib"}}})
    for i in range(3):
        repo.put("app.bsky.feed.like", f"3l4r{i}aaaaaa2a", {"$type": "app.bsky.feed.like", "createdAt": "2026-09-01T10:00:00.000Z",
                 "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/3kaaaaaaaaa2a", "cid": "bafyreib"}})
    repo.put("app.bsky.feed.repost", "3l4s0aaaaaa2a", {"$type": "app.bsky.feed.repost", "createdAt": "2026-09-01T10:00:00.000Z",
             "subject": {"uri": "at://did:plc:other/app.bsky.feed.post/3kaaaaaaaaa2a", "cid": "bafyreib"}})
    repo.put("app.bsky.graph.follow", "3l4t0aaaaaa2a", {"$type": "app.bsky.graph.follow", "subject": "did:plc:other",
             "createdAt": "2026-09-01T10:00:00.000Z"})
    return repo


@pytest.mark.parametrize("records_first", [True, False])
def test_bluesky_car_posts_facets_embeds_and_other_collections(tmp_path, records_first):
    (tmp_path / "repo.car").write_bytes(bluesky_repo().car(records_first=records_first))
    from atproto_core.car import CAR
    CAR.from_bytes((tmp_path / "repo.car").read_bytes())  # the SDK reads the same file
    result = run(tmp_path, tmp_path / "repo.car")
    assert result.exit_code == 0, result.output
    assert "Left out 3: app.bsky.feed.like record (not a post)" in result.output
    assert "Left out 1: repost (the repository has only the reposted post's address)" in result.output
    assert "Left out 1: app.bsky.graph.follow record (not a post)" in result.output
    assert "Left out 1: labelled adult content by its author" in result.output
    posts = exported(tmp_path)
    assert len(posts) == 2
    talk = by_url(posts, "/post/3l4qyrvkxcm2a")
    assert talk["url"] == f"https://bsky.app/profile/{DID}/post/3l4qyrvkxcm2a"
    assert talk["author"] == {"handle": DID, "name": "Ada", "url": f"https://bsky.app/profile/{DID}"}
    assert '<a href="https://slides.example/x"' in talk["html"] and ">#PyConEx</a>" in talk["html"]
    assert talk["tags"] == ["pyconex"] and talk["links"] == ["https://slides.example/x"]
    (image,) = talk["media"]
    assert image["alt"] == "The p99 slide"
    assert image["url"].startswith(f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/bafkrei") is False
    assert image["url"].startswith(f"https://cdn.bsky.app/img/feed_fullsize/plain/{DID}/bafy")
    reply = by_url(posts, "/post/3l4qz3333332c")
    assert reply["reply_to"] == talk["url"]
    assert "https://bsky.app/profile/did:plc:other/post/3kaaaaaaaaa2a" in reply["links"]


def test_a_profile_labelled_no_unauthenticated_keeps_every_post_out(tmp_path):
    (tmp_path / "repo.car").write_bytes(bluesky_repo(profile_labels=["!no-unauthenticated"]).car())
    result = run(tmp_path, tmp_path / "repo.car")
    assert "Imported 0 new posts" in result.output
    assert "Left out 2: author asked not to be shown to logged-out people" in result.output


def test_a_car_from_standard_input_and_a_truncated_one(tmp_path):
    data = bluesky_repo().car(records_first=False)
    result = CliRunner().invoke(cli, ["import", "-", "--data-dir", str(tmp_path / "data")], input=data)
    assert "Imported 2 new posts" in result.output, result.output
    cut = tmp_path / "cut.car"
    cut.write_bytes(data[:-20])
    result = run(tmp_path / "again", cut)
    assert result.exit_code in (1, 2) and "cut.car: block" in result.output and "ends inside block" in result.output


def test_a_corrupt_block_is_named_and_the_others_kept(tmp_path):
    repo = bluesky_repo()
    repo.extra.append((cid_of(b"\xff\xff"), b"\xff\xff"))
    (tmp_path / "repo.car").write_bytes(repo.car())
    result = run(tmp_path, tmp_path / "repo.car")
    assert result.exit_code == 1 and "not DAG-CBOR" in result.output
    assert "Imported 2 new posts" in result.output


# --- --event and the digest ---------------------------------------------------------------------

def write_config(tmp_path, start="2022-10-19", end="2022-10-19"):
    path = tmp_path / "backchannel.toml"
    path.write_text(f'[event]\nname = "PyConEx 2022"\nhashtags = ["pyconex"]\ntimezone = "Europe/Berlin"\n'
                    f'start = {start}\nend = {end}\n[digest]\noutput = "site"\n')
    return path


def test_event_keeps_only_the_events_posts_from_a_whole_history(tmp_path):
    config = write_config(tmp_path)
    result = run(tmp_path, FIXTURES / "twitter-archive" / "data" / "tweets.js", "--event", "--config", config)
    assert result.exit_code == 0, result.output
    assert "Left out 2: outside the event (hashtags or dates)" in result.output
    posts = exported(tmp_path)
    assert len(posts) == 2 and all("pyconex" in p["tags"] for p in posts)


def test_event_needs_a_config(tmp_path):
    result = run(tmp_path, FIXTURES / "tags.csv", "--event", "--config", tmp_path / "missing.toml")
    assert result.exit_code == 2 and "config file not found" in result.output


def test_a_past_events_archive_becomes_a_digest(tmp_path):
    config = write_config(tmp_path, start="2019-09-13", end="2019-09-15")
    assert run(tmp_path, FIXTURES / "twarc1.jsonl", "--event", "--config", config).exit_code == 1
    result = CliRunner().invoke(cli, ["build", "--config", str(config), "--data-dir", str(tmp_path / "data"), "--no-search"])
    assert result.exit_code == 0, result.output
    index = (tmp_path / "site" / "index.html").read_text()
    assert "PyConEx 2022" in index
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("*.html"))
    assert "measure before you tune the planner" in pages and "speakerdeck.example/bo/planner-tuning" in pages


# --- archives as downloaded ---------------------------------------------------------------------

def test_a_twitter_archive_zip_is_read_in_place_with_every_tweets_part(tmp_path):
    import zipfile
    data = FIXTURES / "twitter-archive" / "data"
    extra = [{"tweet": {"id_str": "1582800000000000001", "id": "1582800000000000001", "full_text": "Part two #PyConEx",
                        "created_at": "Thu Oct 20 09:00:00 +0000 2022", "entities": {"hashtags": []}, "lang": "en",
                        "favorite_count": "1", "retweet_count": "0"}}]
    with zipfile.ZipFile(tmp_path / "twitter-2022-10-21-ab12.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(FIXTURES / "twitter-archive" / "data" / "account.js", "data/account.js")
        z.write(data / "tweets.js", "data/tweets.js")
        z.writestr("data/tweets-part1.js", "window.YTD.tweets.part1 = " + json.dumps(extra))
        z.writestr("Your archive.html", "<html></html>")
    result = run(tmp_path, tmp_path / "twitter-2022-10-21-ab12.zip")
    assert result.exit_code == 0, result.output
    assert "Imported 5 new posts" in result.output
    assert any(p["text"] == "Part two #PyConEx" for p in exported(tmp_path))


def test_a_mastodon_export_tar_gz_from_standard_input(tmp_path):
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in ("outbox.json", "actor.json"):
            tar.add(FIXTURES / "mastodon-export" / name, name)
    result = CliRunner().invoke(cli, ["import", "-", "--data-dir", str(tmp_path / "data")], input=buf.getvalue())
    assert "Imported 4 new posts" in result.output
    assert {p["author"]["name"] for p in exported(tmp_path)} == {"Ada :python:"}  # from actor.json in the archive


def test_a_zip_that_is_not_a_twitter_archive_says_so(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as z:
        z.writestr("a.txt", "hello")
    result = run(tmp_path, tmp_path / "photos.zip")
    assert result.exit_code == 2 and "no data/tweets.js in this .zip" in result.output


def test_json_lines_of_no_known_shape_are_read_as_post_jsonl_and_each_line_named(tmp_path):
    (tmp_path / "x.jsonl").write_text('{"id": "a", "text": "no source or time"}\n{"id": "b"}\n')
    result = run(tmp_path, tmp_path / "x.jsonl")
    assert result.exit_code == 2
    assert "x.jsonl:1: missing field 'source'" in result.output and "x.jsonl:2:" in result.output


def test_a_file_named_jsonl_whose_first_line_looks_like_a_twitter_archive_keeps_its_other_lines(tmp_path):
    good = {"id": "g1", "source": "mastodon", "url": "https://m.example/@a/1", "author": {"handle": "@a@m.example"},
            "created_at": "2026-11-01T10:00:00Z", "text": "the other lines are posts"}
    (tmp_path / "x.jsonl").write_text("window.YTD.tweets.part0 = junk\n" + json.dumps(good) + "\n")
    result = run(tmp_path, tmp_path / "x.jsonl")
    assert result.exit_code == 1, result.output
    assert "x.jsonl:1: not valid JSON" in result.output and "Imported 1 new posts" in result.output


@needs_corpus
def test_twarc2_long_tweets_use_note_tweet_and_gone_tweets_are_counted(tmp_path):
    response = json.loads((TWARC2 / "media_tweet.jsonl").read_text().splitlines()[0])
    tweet = response["data"][0]
    long_text = "A long post from the #PyConEx keynote. " * 10 + "More: https://t.co/LoNgLiNk00"
    start = long_text.index("https://t.co/")
    tweet["note_tweet"] = {"text": long_text, "entities": {
        "urls": [{"start": start, "end": start + 23, "url": "https://t.co/LoNgLiNk00", "expanded_url": "https://keynote.example/notes"}],
        "hashtags": [{"start": 21, "end": 29, "tag": "PyConEx"}]}}
    response["errors"] = [{"value": "1400000000000000000", "detail": "Could not find tweet with ids: [1400000000000000000].",
                           "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                           "resource_id": "1400000000000000000", "type": "https://api.twitter.com/2/problems/resource-not-found"}]
    (tmp_path / "long.jsonl").write_text(json.dumps(response) + "\n")
    result = run(tmp_path, tmp_path / "long.jsonl")
    assert "Left out 1: deleted or unavailable (reported by the API)" in result.output
    (post,) = exported(tmp_path)
    assert post["text"].startswith("A long post from the #PyConEx keynote.") and len(post["text"]) > 400
    assert post["links"] == ["https://keynote.example/notes"] and "pyconex" in post["tags"]


def test_hostile_tweets_become_inert(tmp_path):
    text = 'Look <img src=x onerror=alert(1)> @x"onmouseover=alert(2) https://t.co/EvIl000000'
    tweet = {"id_str": "1172820311744599999", "created_at": "Sat Sep 14 09:41:07 +0000 2019", "full_text": text,
             "user": {"screen_name": "<b>mallory</b>", "name": "<script>alert(3)</script>Mallory", "protected": False},
             "entities": {"user_mentions": [{"screen_name": 'x"onmouseover=alert(2)', "indices": [35, 58]}],
                          "urls": [{"url": "https://t.co/EvIl000000", "expanded_url": "javascript:alert(4)", "indices": [59, 82]}]},
             "extended_entities": {"media": [{"type": "photo", "media_url_https": "javascript:alert(5)", "url": "https://t.co/x"}]}}
    (tmp_path / "evil.jsonl").write_text(json.dumps(tweet) + "\n")
    assert run(tmp_path, tmp_path / "evil.jsonl").exit_code == 0
    (post,) = exported(tmp_path)
    assert "javascript:" not in json.dumps(post) and "<img" not in post["html"] and "<script" not in post["html"]
    assert not re.search(r"<[^>]*\son\w+\s*=", post["html"]) and post["media"] == []
    assert "<" not in post["author"]["name"]


@needs_corpus
def test_a_gzipped_twarc_file_is_read_as_it_is(tmp_path):
    import gzip
    (tmp_path / "stream.jsonl.gz").write_bytes(gzip.compress((TWARC2 / "streaming_output_with_error.jsonl").read_bytes()))
    result = run(tmp_path, tmp_path / "stream.jsonl.gz")
    assert result.exit_code == 1 and "Imported 7 new posts" in result.output
    assert "stream.jsonl.gz:8: not valid JSON" in result.output


def test_progress_reports_bytes_read_of_the_file(tmp_path):
    from backchannel.config import Config
    from backchannel.importer import import_file
    from backchannel.pipeline import open_writer

    first = json.loads((FIXTURES / "twarc1.jsonl").read_text().splitlines()[0])
    with (tmp_path / "many.jsonl").open("w") as fh:
        for i in range(4500):
            first["id_str"] = str(1172820311744544768 + i)
            fh.write(json.dumps(first) + "\n")
    size = (tmp_path / "many.jsonl").stat().st_size
    seen = []
    with open_writer(Config(path=None, data_dir=tmp_path / "data")) as writer, (tmp_path / "many.jsonl").open("rb") as fh:
        report = import_file(fh, writer, progress=lambda r: seen.append((r.bytes_read, r.bytes_total)))
    assert report.added == 4500 and report.format == "twarc1"
    assert len(seen) >= 2 and all(total == size for _, total in seen)
    assert [b for b, _ in seen] == sorted(b for b, _ in seen) and 0 < seen[0][0] < size
    assert report.bytes_read == size


def test_a_jsonl_file_whose_first_line_is_broken_is_still_read_line_by_line(tmp_path):
    """Found by the fuzz test: a garbage first line must not hide the good lines after it."""
    good = {"id": "p1", "source": "import", "created_at": "2026-09-01T10:00:00Z", "text": "kept"}
    (tmp_path / "in.jsonl").write_bytes(b"g\x8aj\n" + json.dumps(good).encode() + b"\n")
    result = run(tmp_path, tmp_path / "in.jsonl")
    assert result.exit_code == 1 and "in.jsonl:1:" in result.output
    assert [p["text"] for p in exported(tmp_path)] == ["kept"]
