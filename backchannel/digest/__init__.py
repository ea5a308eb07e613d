"""The digest: the archive rendered into a static, searchable site.

    from backchannel.digest import build
    report = build(config)  # load → group → rank → render → copy static → search index
    print(report.summary())

`build` (in `builder`) is the one entry point; `model` loads and groups the posts, `ranking`
and `keypoints` rank and merge them, `pages`, `feeds`, `chart` and `writer` render and
write, `search_index` writes the in-browser search index.
"""

from backchannel.digest.builder import BuildReport, build

__all__ = ["BuildReport", "build"]
