"""backchannel: a conference's backchannel, collected, searchable, and turned into a digest."""

__version__ = "0.1.0"
