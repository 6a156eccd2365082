"""Case and pack Markdown to HTML, sanitised with one allow-list for the site and the handouts.

Python-Markdown passes raw HTML through, so everything it writes is cleaned by nh3 before a
page or a handout holds it. Section headings get the same anchors as the index (`anchor_for`),
so a search hit can link to its section.
"""

from __future__ import annotations

import html as html_lib
import re

import markdown
import nh3
from markdown.extensions.toc import TocExtension

from casebook.content.model import anchor_for

ALLOWED_TAGS = frozenset(
    """p br hr h2 h3 h4 h5 h6 ul ol li strong em b i u del sup sub code pre blockquote
    table thead tbody tr th td dl dt dd a""".split()
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "h2": {"id"}, "h3": {"id"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# Python-Markdown's link patterns take time quadratic in the brackets of one paragraph (2,000
# took 1 s, 50,000 did not finish) and its lists recurse once per level (500 levels raise
# RecursionError). No case needs fifty brackets in a paragraph or lists 16 levels deep;
# text that has them is shown as it is written, escaped, instead.
MAX_BRACKETS_PER_BLOCK = 50
MAX_INDENT = 64
_INDENT = re.compile(r"^[ \t>]*", re.MULTILINE)


def render_markdown(text: str, links: bool = True) -> str:
    """Return sanitised HTML for Markdown; with links=False a link keeps its text but no URL."""
    if _pathological(text):
        return _as_written(text)
    # A Markdown instance keeps state between conversions and is not thread-safe: one per call.
    renderer = markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            TocExtension(slugify=lambda value, _sep: anchor_for(value), toc_depth="2-3"),
        ],
        output_format="html",
    )
    try:
        html = renderer.convert(text)
    except RecursionError:
        return _as_written(text)
    if links:
        return nh3.clean(
            html,
            tags=set(ALLOWED_TAGS),
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes=set(URL_SCHEMES),
            link_rel=LINK_REL,
            strip_comments=True,
        )
    # Printed handouts carry no URL at all: nothing a reader could follow or a printer fetch.
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS - {"a"}),
        attributes={tag: names for tag, names in ALLOWED_ATTRIBUTES.items() if tag != "a"},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def _pathological(text: str) -> bool:
    """Say whether Markdown would take too long or too deep to render this text."""
    if any(block.count("[") > MAX_BRACKETS_PER_BLOCK for block in text.split("\n\n")):
        return True
    return any(len(match[0].expandtabs(4)) > MAX_INDENT for match in _INDENT.finditer(text))


def _as_written(text: str) -> str:
    """Return text escaped in a <pre>, as the fallback for what Markdown cannot render safely."""
    return f"<pre>{html_lib.escape(text)}</pre>"
