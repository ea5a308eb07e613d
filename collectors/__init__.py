"""Collectors fetch and normalise posts from one kind of source. See `backchannel.collectors.base`."""
