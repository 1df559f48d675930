r"""MkDocs hook: pages written for GitHub's Markdown render the same with Python-Markdown.

- Physics notation such as ``<H>``, ``<C>/C*`` or ``|F><F|`` stays visible: Python-Markdown
  passes ``<H>`` through as an (unknown) HTML tag, so the browser hides it. Outside code blocks
  and code spans, a ``<`` that opens anything but a real HTML tag, a comment or an autolink is
  written as ``&lt;``.
- A pipe in a code span of a table row is written ``\|`` for GitHub, which shows ``|``;
  Python-Markdown already keeps pipes inside code spans in their cell and would show the
  backslash, so it is dropped there.
"""

from __future__ import annotations

import re

#: HTML elements a page may really use
HTML_TAGS = frozenset((
    "a", "abbr", "article", "aside", "b", "blockquote", "br", "caption", "center", "cite",
    "code", "col", "colgroup", "dd", "del", "details", "div", "dl", "dt", "em", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "iframe", "img",
    "input", "ins", "kbd", "label", "li", "main", "mark", "nav", "ol", "p", "picture", "pre",
    "q", "s", "samp", "script", "section", "small", "source", "span", "strong", "style", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "u", "ul", "var", "video",
    "wbr",
))

OPEN = re.compile(r"<(?=/?([A-Za-z][^\s>/]*))")
FENCE = re.compile(r"(^(?P<f>```|~~~).*?^(?P=f)[^\n]*$)", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?:.|\n)*?(?<!`)\1(?!`)")


def _escape_text(text: str) -> str:
    def one(m: re.Match) -> str:
        word = m[1]
        if word.lower() in HTML_TAGS or re.match(r"(https?|mailto|ftp):", word):
            return m[0]
        return "&lt;"

    return OPEN.sub(one, text)


def _outside(pattern: re.Pattern, text: str, change) -> str:
    """``text`` with ``change`` applied to the parts between matches of ``pattern``."""
    out, pos = [], 0
    for m in pattern.finditer(text):
        out += [change(text[pos:m.start()]), m[0]]
        pos = m.end()
    out.append(change(text[pos:]))
    return "".join(out)


def _table_pipes(text: str) -> str:
    """``\\|`` inside the code spans of table rows (lines starting with ``|``) as ``|``."""
    def row(line: str) -> str:
        if not line.lstrip().startswith("|"):
            return line
        return CODE_SPAN.sub(lambda m: m[0].replace("\\|", "|"), line)

    return "\n".join(row(line) for line in text.split("\n"))


def escape(markdown: str) -> str:
    """``markdown`` with pseudo-tags outside code written as ``&lt;...`` and GitHub's escaped
    pipes in the code spans of table rows unescaped."""
    return _outside(FENCE, markdown,
                    lambda text: _table_pipes(_outside(CODE_SPAN, text, _escape_text)))


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    """MkDocs event: escape the page's pseudo-tags (Markdown pages only, not notebooks)."""
    if not page.file.src_uri.endswith(".md"):
        return markdown
    return escape(markdown)
