"""Griffe extension: Sphinx roles in qopt's docstrings (``:class:`~qopt.x.Y```, ``:func:`f```)
become Markdown code spans (``Y``, ``f``) in the API reference."""

from __future__ import annotations

import re

import griffe

ROLE = re.compile(r":(?:mod|class|func|meth|attr|data|obj|exc|const):`(~?)([^`]+)`")


def markdown_roles(text: str) -> str:
    """``:role:`~a.b``` -> ```b```; ``:role:`a.b``` -> ```a.b```."""
    return ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)


class SphinxRoles(griffe.Extension):
    """Rewrites the roles of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_roles(obj.docstring.value)
