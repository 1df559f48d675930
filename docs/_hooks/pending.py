"""MkDocs hook: pages that other owners are still writing.

The nav already lists them (so a page lands into its place without touching ``mkdocs.yml``).
Until a page in :data:`PENDING` exists, its nav entry is dropped and links to it are shown as
plain text, each noted at INFO level; every other missing page or broken link still fails the
strict build. Remove a name from :data:`PENDING` once its page has landed.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.pending")

#: page (relative to docs/) -> its owner
PENDING: dict[str, str] = {}

LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)#\s]+\.md)(?P<anchor>#[^)\s]*)?\)")


def missing(docs_dir: str | Path) -> list[str]:
    """The pending pages not written yet."""
    return [p for p in PENDING if not (Path(docs_dir) / p).is_file()]


def _prune(nav, gone: set[str]):
    out = []
    for entry in nav:
        if isinstance(entry, str):
            if entry not in gone:
                out.append(entry)
            continue
        (title, value), = entry.items()
        if isinstance(value, list):
            value = _prune(value, gone)
            if value:
                out.append({title: value})
        elif value not in gone:
            out.append(entry)
    return out


def on_config(config, **kwargs):
    """Drop the nav entries of pending pages that do not exist yet."""
    gone = set(missing(config["docs_dir"]))
    for page in sorted(gone):
        log.info("pending page %s (%s) not written yet: left out of the nav", page,
                 PENDING[page])
    if gone and config["nav"]:
        config["nav"] = _prune(config["nav"], gone)
    return config


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    """Links to pending pages that do not exist yet become plain text."""
    gone = set(missing(config["docs_dir"]))
    if not gone:
        return markdown
    base = posixpath.dirname(page.file.src_uri)

    def one(m: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(base, m["target"]))
        if target in gone:
            log.info("%s: link to pending page %s shown as text", page.file.src_uri, target)
            return m["text"]
        return m[0]

    return LINK.sub(one, markdown)
