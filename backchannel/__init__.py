"""backchannel: a conference's backchannel, collected, searchable, and turned into a digest."""

from pathlib import Path

__version__ = "0.1.0"

# In a checkout, `collectors/` and `site_templates/` sit beside this folder; the wheel installs
# them inside it (pyproject's package-dir). Let `backchannel.collectors` and
# `backchannel.site_templates` resolve in both: only when they are not already in here.
_checkout = Path(__file__).resolve().parent.parent
if not (Path(__file__).parent / "collectors").exists() and (_checkout / "collectors" / "base.py").exists():
    __path__.append(str(_checkout))  # noqa: F821 - a package's module search path
