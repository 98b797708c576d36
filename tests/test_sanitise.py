"""Lesson Markdown can never run anything in a learner's browser, however it is written or encoded."""

import re
from html.parser import HTMLParser

import pytest
from flask import render_template_string
from sqlalchemy import select

from lms.courses.models import Lesson
from lms.courses.render import render_markdown
from lms.courses.variants import reading_of
from lms.extensions import db


@pytest.fixture
def client(app):
    """An anonymous visitor. pytest-flask's `client` keeps its last request context pushed, which makes every
    other client in the same test look anonymous too; this one keeps nothing between requests."""
    return app.test_client()

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](\tjavascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]: javascript:alert(1)\n\n[y][x]",
    "<javascript:alert(1)>",
    "[x](vbscript:msgbox(1))",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](/media/1 "x\\" onerror=\\"alert(1))',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '[x](http://example.com "\\"><script>alert(1)</script>")',
    '<a href="&#x6A;avascript:alert(1)">x</a>',
    "<details open ontoggle=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    '<base href="javascript:/">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "`<script>alert(1)</script>`",
    "```\n<script>alert(1)</script>\n```",
    '<div onmouseover="alert(1)">x</div>',
    "[x](&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116:alert(1))",
]
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "svg", "math", "style", "form", "base", "meta", "link",
                  "details", "input", "button"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Tags(HTMLParser):
    """Every tag and attribute of an HTML fragment, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_harmless(fragment: str, payload: str):
    assert not re.search(r"<\s*(script|iframe|object|embed|svg)", fragment, re.I), payload
    for raw_tag in re.findall(r"<[^>]*>", fragment):
        assert not re.search(r"\son\w+\s*=", raw_tag, re.I), (payload, raw_tag)
        assert not re.search(r"javascript:|data:text/html", raw_tag, re.I), (payload, raw_tag)
    for tag, attrs in Tags(fragment).tags:
        assert tag not in FORBIDDEN_TAGS, (payload, tag)
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", (payload, tag, name)
            cleaned = re.sub(r"[\x00-\x20]", "", value or "").lower()  # already unescaped by the parser
            assert not cleaned.startswith(BAD_SCHEMES), (payload, tag, name, value)


@pytest.fixture
def lesson_page(app, make_course):
    """Render a lesson with this body inside the full layout, as a learner would get it."""
    course = make_course(modules=1, lessons=1)

    def render(body: str) -> str:
        with app.test_request_context():
            lesson = db.session.scalar(select(Lesson).where(Lesson.id == course.lesson_ids[0]))
            lesson.body = body
            page = render_template_string('{% extends "base.html" %}{% block content %}<h1>{{ lesson.title }}</h1>'
                                          '{% include "courses/_lesson_body.html" %}{% endblock %}',
                                          lesson=lesson, course=lesson.course, reading=reading_of(lesson, "es"))
            db.session.rollback()
        return page

    return render


def lesson_text(page: str) -> str:
    """The rendered body only (nh3 allows no <div>, so the first </div> closes it)."""
    start = page.index('<div class="lesson-body"')
    return page[start:page.index("</div>", start)]


def test_at_least_fifteen_payloads_including_encoded_ones_are_checked():
    assert len(XSS_PAYLOADS) >= 15 and sum("&#" in p or "&colon;" in p for p in XSS_PAYLOADS) >= 4


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_survives_in_the_rendered_lesson(lesson_page, payload):
    page = lesson_page(f"Texto antes.\n\n{payload}\n\nTexto después.")
    assert_harmless(lesson_text(page), payload)
    assert "Texto antes." in page and "Texto después." in page


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_the_whole_lesson_page_runs_only_our_own_script_files(lesson_page, payload):
    page = lesson_page(payload)
    for tag, attrs in Tags(page).tags:
        names = dict(attrs)
        assert not any(name.startswith("on") or name == "style" for name in names), (payload, tag)
        if tag == "script":
            assert names.get("src", "").startswith("/static/js/"), payload
    assert all(not body.strip() for body in re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)), payload


def test_raw_html_is_shown_as_text_not_dropped_silently():
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render_markdown("<script>alert(1)</script>")


def test_safe_markdown_keeps_its_meaning():
    html = render_markdown("## Lo importante\n\n- **Línea 100**: [llama gratis](tel:100)\n\n"
                           "[gob.pe](https://www.gob.pe) | ![mapa](/media/4)")
    assert "<h2>Lo importante</h2>" in html and "<strong>Línea 100</strong>" in html
    assert '<a href="tel:100" rel="noopener noreferrer nofollow">llama gratis</a>' in html
    assert 'href="https://www.gob.pe"' in html
    assert '<img src="/media/4" alt="mapa" loading="lazy">' in html


def test_lesson_headings_start_below_the_page_title():
    html = render_markdown("# Uno\n\n## Dos\n\n###### Seis")
    assert "<h2>Uno</h2>" in html and "<h2>Dos</h2>" in html and "<h4>Seis</h4>" in html and "<h1" not in html


def test_images_from_other_sites_are_dropped_so_no_data_is_spent_elsewhere():
    for src in ("https://evil.example/pixel.png", "//evil.example/pixel.png", "http://x/y.gif"):
        html = render_markdown(f"![seguimiento]({src})")
        assert "evil" not in html and "http" not in html and 'alt="seguimiento"' in html
