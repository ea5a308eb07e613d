"""`backchannel demo`: a sample event served from 127.0.0.1 and collected by the real collectors.

The sample event is "Kettle & Code 2026", a fictional two-day conference about small tools
for small teams, classrooms and shops. Its payloads (`data/`) are rendered by
`scripts/make_demo_data.py`; `server.DemoServer` serves them speaking the Mastodon, Bluesky
and RSS/Atom APIs; `run.run_demo` points the collectors at it and builds the digest.
"""

from backchannel.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
