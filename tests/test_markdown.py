"""One sanitising policy for Markdown, on the site and in handouts; handouts only drop links."""

from __future__ import annotations

from casebook.content.markdown import render_markdown

TEXT = "## 基本案情\n\n用户<script>alert(1)</script>称[链接](https://example.com)和[坏](javascript:alert(2))，<u>下划线</u><img src=x>"


def test_the_site_keeps_safe_links_and_section_anchors():
    assert render_markdown(TEXT) == (
        '<h2 id="基本案情">基本案情</h2>\n'
        '<p>用户称<a href="https://example.com" rel="noopener noreferrer nofollow">链接</a>'
        '和<a rel="noopener noreferrer nofollow">坏</a>，<u>下划线</u></p>'
    )


def test_a_handout_gets_the_same_html_without_any_link():
    assert render_markdown(TEXT, links=False) == '<h2 id="基本案情">基本案情</h2>\n<p>用户称链接和坏，<u>下划线</u></p>'


def test_site_and_handouts_render_through_the_one_function():
    import casebook.packs.handout as handout
    import casebook.web.cases as cases

    assert cases.render_markdown is render_markdown
    assert handout.render_markdown is render_markdown
    assert not hasattr(handout, "ALLOWED_TAGS")


def test_text_markdown_cannot_render_in_time_is_shown_as_written():
    # 50,000 nested brackets did not finish in 30 s; lists 500 levels deep raised RecursionError
    # (a 500 on the case page, a crash in pack build). Both now come back escaped, at once.
    import time

    started = time.monotonic()
    brackets = render_markdown("[" * 50_000 + "<b>x</b>" + "]" * 50_000)
    lists = render_markdown("".join("  " * level + "- 层\n" for level in range(2_000)), links=False)
    assert time.monotonic() - started < 5  # generous: it takes milliseconds
    assert brackets.startswith("<pre>[[[") and "&lt;b&gt;x&lt;/b&gt;" in brackets
    assert lists.startswith("<pre>- 层\n  - 层\n")


def test_ordinary_links_and_lists_still_render():
    text = "见[案例](https://example.com/cases/TD-2021-001)。\n\n- 一\n    - 二\n        - 三\n"
    html = render_markdown(text)
    assert '<a href="https://example.com/cases/TD-2021-001"' in html and html.count("<ul>") == 3
