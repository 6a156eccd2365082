"""Case and pack Markdown to HTML, sanitised with one allow-list for the site and the handouts.

Python-Markdown passes raw HTML through, so everything it writes is cleaned by nh3 before a
page or a handout holds it. Section headings get the same anchors as the index (`anchor_for`),
so a search hit can link to its section.
"""

from __future__ import annotations

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


def render_markdown(text: str, links: bool = True) -> str:
    """Return sanitised HTML for Markdown; with links=False a link keeps its text but no URL."""
    # A Markdown instance keeps state between conversions and is not thread-safe: one per call.
    renderer = markdown.Markdown(
        extensions=[
            "tables",
            "sane_lists",
            TocExtension(slugify=lambda value, _sep: anchor_for(value), toc_depth="2-3"),
        ],
        output_format="html",
    )
    html = renderer.convert(text)
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
