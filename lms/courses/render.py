"""Lesson Markdown to safe HTML: markdown-it-py renders, nh3 keeps only harmless tags and URLs."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code",
                "pre", "table", "thead", "tbody", "tr", "th", "td", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML in lessons is escaped by markdown-it ("html": False) and anything left is cleaned by nh3.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> Markup:
    """Lesson body as HTML safe to put in a page: no scripts, no event handlers, no javascript: links."""
    html = _parser().render(text or "")
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow")
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above
