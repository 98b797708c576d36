"""Lesson Markdown to safe HTML: markdown-it-py renders, nh3 keeps only harmless tags and URLs."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {"p", "br", "hr", "h2", "h3", "h4", "strong", "em", "ul", "ol", "li", "blockquote", "a", "code",
                "pre", "table", "thead", "tbody", "tr", "th", "td", "img"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"},
                      "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# The page title is the caller's <h1>: a lesson's own headings start at <h2> and stop at <h4>.
HEADING_TAGS = {"h1": "h2", "h5": "h4", "h6": "h4"}


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Raw HTML in lessons is escaped by markdown-it ("html": False) and anything left is cleaned by nh3.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def _only_local_images(tag: str, attribute: str, value: str) -> str | None:
    """Images come from this site only (no tracking pixels, no data spent on other servers)."""
    if tag == "img" and attribute == "src" and (not value.startswith("/") or value.startswith("//")):
        return None
    return value


def _html(text: str) -> str:
    parser = _parser()
    env: dict = {}
    tokens = parser.parse(text or "", env)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_TAGS.get(token.tag, token.tag)
    return parser.renderer.render(tokens, parser.options, env)


@lru_cache(maxsize=1024)
def render_markdown(text: str) -> Markup:
    """Lesson body as HTML safe to put in a page: no scripts, no event handlers, no javascript: links.

    Cached by the text itself (a pure function): rendering was a quarter of a lesson page's time.
    """
    clean = nh3.clean(_html(text), tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES,
                      attribute_filter=_only_local_images, link_rel="noopener noreferrer nofollow",
                      set_tag_attribute_values={"img": {"loading": "lazy"}})
    return Markup(clean)  # noqa: S704 - cleaned by nh3 just above  # nosec B704
