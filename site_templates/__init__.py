"""Jinja2 templates and static assets of the digest (package data)."""
