"""Names the whole project shares, declared once: sources, post kinds, secret variables.

Everything else imports them from here; `tests/test_names.py` fails when a second literal
copy of one of these sets (or a secret variable's name) appears anywhere in the package.
"""

# Where a post came from (`Post.source`). The first three are collected and have a
# `[sources.<name>]` table in the config; the others only arrive through `import`.
COLLECTED_SOURCES = ("mastodon", "bluesky", "rss")
SOURCES = COLLECTED_SOURCES + ("twitter", "import")  # twitter: only from past-event archives
SOURCE_LABELS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "rss": "Blog", "twitter": "Twitter",
                 "import": "Imported"}

# What a post says (`Post.kind`), as the classifier decides. Every kind but the last has
# its own page in the digest.
KINDS = ("takeaway", "question", "resource", "shoutout", "other")
KIND_TITLES = {"takeaway": "Takeaways", "question": "Questions", "resource": "Resources",
               "shoutout": "Shout-outs", "other": "Other"}  # a page's heading
KIND_LABELS = {"takeaway": "Takeaway", "question": "Question", "resource": "Resource",
               "shoutout": "Shout-out", "other": "Other"}  # one post's badge

# Secrets come from these environment variables only, never from the config file.
MASTODON_TOKEN = "BACKCHANNEL_MASTODON_TOKEN"  # a token, or `host=TOKEN` pairs for several servers
BLUESKY_HANDLE = "BACKCHANNEL_BLUESKY_HANDLE"  # public: not scrubbed from what is stored
BLUESKY_APP_PASSWORD = "BACKCHANNEL_BLUESKY_APP_PASSWORD"
SECRET_VARS = (MASTODON_TOKEN, BLUESKY_HANDLE, BLUESKY_APP_PASSWORD)


def one_of(names: tuple[str, ...]) -> str:
    """"a, b or c", for help texts and messages."""
    return f"{', '.join(names[:-1])} or {names[-1]}"
