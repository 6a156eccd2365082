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
