"""Training packs: validation, handouts (HTML and DOCX), the offline pack, and pack status."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from casebook.content.loader import load_tree
from casebook.content.taxonomy import load_taxonomy
from casebook.errors import NotFoundError
from casebook.packs.handout import TRAINEE, TRAINER, read_manifest
from casebook.packs.library import build_handouts
from casebook.packs.offline import build_offline
from casebook.packs.pack import check_packs, find_packs, load_pack
from casebook.packs.versions import case_versions, pack_status

from .conftest import ROOT

PACK = """\
title: 末端投递培训
audience: 新入职申诉处理人员
date: 2026-03-01
intro: 先读案情，再分组讨论。
cases:
  - id: TD-2023-001
    title: 包裹被放进智能快件箱后不见了
    notes: 重点讲"未经同意"的认定
    questions: [企业能否以"更方便"为由投柜？]
  - TD-2022-002
  - id: DS-2024-001
    questions:
      - 保价快件丢失按什么赔偿？
"""
PACK_IDS = ["TD-2023-001", "TD-2022-002", "DS-2024-001"]
HIDDEN = ("处理结果", "案例评析")


def load_cases(cases_dir: Path) -> dict:
    result = load_tree(cases_dir, load_taxonomy(cases_dir))
    assert not result.errors
    return {case.id: case for case in result.cases}


def write_pack(directory: Path, text: str, name: str = "pack.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def kb(cases_dir):
    """The fixture cases (a writable copy), loaded."""
    return load_cases(cases_dir)


@pytest.fixture
def pack(tmp_path, kb):
    pack, problems = load_pack(write_pack(tmp_path / "packs", PACK), set(kb))
    assert problems == []
    return pack


@pytest.fixture
def built(pack, kb, cases_dir, tmp_path) -> Path:
    """The pack's handouts, built into tmp_path/out."""
    out = tmp_path / "out"
    build_handouts(pack, kb, out, case_versions([kb[i] for i in pack.ids], cases_dir))
    return out


# --- validation -------------------------------------------------------------------------


def test_load_pack_reads_fields_and_entries_in_order(pack):
    assert (pack.title, pack.audience, pack.date, pack.stem) == (
        "末端投递培训",
        "新入职申诉处理人员",
        "2026-03-01",
        "pack",
    )
    assert pack.ids == PACK_IDS
    first, second, third = pack.entries
    assert first.title == "包裹被放进智能快件箱后不见了"
    assert first.notes == '重点讲"未经同意"的认定'
    assert first.questions == ('企业能否以"更方便"为由投柜？',)
    assert (second.title, second.notes, second.questions) == ("", "", ())  # the `- ID` shorthand
    assert third.questions == ("保价快件丢失按什么赔偿？",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "audience: 新入职申诉处理人员\n",
            [
                "packs/p.yaml:1:1: title: required field is missing (the pack's title, e.g. 末端投递类申诉处理培训)",
                "packs/p.yaml:1:1: cases: required field is missing (a list of entries such as '- id: TD-2021-001')",
            ],
        ),
        (
            "title: 培训\ncases: TD-2023-001\n",
            [
                "packs/p.yaml:2:8: cases: expected a list of entries such as '- id: TD-2021-001' but received text: 'TD-2023-001'"
            ],
        ),
        ("title: 培训\ncases: []\n", ["packs/p.yaml:2:8: cases: the list is empty; a pack needs at least one case"]),
        (
            "title: 培训\ndate: 2026-02-30\ncases: [TD-2023-001]\n",
            ["packs/p.yaml:2:7: date: not a real date: '2026-02-30'"],
        ),
        (
            "title: 培训\ncases:\n"
            "  - id: TD-2023-001\n"
            "    questions: 为什么？\n"
            "  - notes: 没有编号\n"
            "  - id: TD-2023-01\n"
            "  - id: TD-2023-001\n"
            "    note: 拼错的字段\n"
            "  - id: DS-2024-001\n"
            "    questions: [好问题, 3]\n",
            [
                "packs/p.yaml:4:16: cases[1].questions: expected a list such as [问题一, 问题二] but received text: '为什么？'",
                "packs/p.yaml:5:5: cases[2]: entry has no id (the case id, e.g. TD-2021-001)",
                "packs/p.yaml:6:9: cases[3].id: no case has the id 'TD-2023-01'; did you mean 'TD-2023-001'?",
                "packs/p.yaml:7:9: cases[4].id: 'TD-2023-001' is already entry 1 of this pack",
                "packs/p.yaml:8:5: warning: cases[4].note: unknown field; did you mean 'notes'?",
                "packs/p.yaml:10:22: cases[5].questions[2]: expected a question as text but received a number: 3",
            ],
        ),
        (
            "title: 培训\ncases: [TD-2023-001\n",
            [
                "packs/p.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence that starts on line 2"
            ],
        ),
        (
            "- TD-2023-001\n",
            [
                "packs/p.yaml:1:1: a pack must be a mapping of fields (title, audience, date, intro, cases) but received a sequence"
            ],
        ),
    ],
)
def test_pack_problems_name_the_place(text, expected, tmp_path, monkeypatch, kb):
    monkeypatch.chdir(tmp_path)
    pack, problems = load_pack(write_pack(Path("packs"), text, "p.yaml"), set(kb))
    assert pack is None
    assert [str(p) for p in problems] == expected


def test_a_warning_alone_keeps_the_pack(tmp_path, monkeypatch, kb):
    monkeypatch.chdir(tmp_path)
    pack, problems = load_pack(
        write_pack(Path("packs"), "title: 培训\naudiance: 学员\ncases: [TD-2023-001]\n", "p.yaml"), set(kb)
    )
    assert pack is not None and pack.ids == ["TD-2023-001"]
    assert [str(p) for p in problems] == [
        "packs/p.yaml:2:1: warning: audiance: unknown field; did you mean 'audience'?"
    ]


def test_a_trainee_title_that_names_the_outcome_is_a_warning(tmp_path, monkeypatch, kb):
    monkeypatch.chdir(tmp_path)
    text = "title: 培训\ncases:\n  - id: TD-2023-001\n    title: 快递柜投递丢件，企业按保价足额赔偿\n  - id: DS-2024-001\n    title: 送货上门收费\n"
    pack, problems = load_pack(write_pack(Path("packs"), text, "p.yaml"), set(kb))
    assert pack is not None and pack.entries[0].title == "快递柜投递丢件，企业按保价足额赔偿"
    assert [str(p) for p in problems] == [
        "packs/p.yaml:4:12: warning: cases[1].title: the trainee title names the outcome '赔偿'; trainees should not see it"
    ]


def test_check_packs_reports_every_pack(tmp_path, monkeypatch, kb):
    monkeypatch.chdir(tmp_path)
    write_pack(Path("packs"), "title: 甲\ncases: [TD-2023-001]\n", "a.yaml")
    write_pack(Path("packs"), "title: 乙\ncases: [XX-1]\n", "b.yml")
    write_pack(Path("packs"), "不是培训包", "notes.txt")
    assert [p.name for p in find_packs(Path("packs"))] == ["a.yaml", "b.yml"]
    assert [str(p) for p in check_packs(Path("packs"), set(kb))[1]] == [
        "packs/b.yml:2:9: cases[1].id: no case has the id 'XX-1'"
    ]
    assert find_packs(Path("no-such-dir")) == []


def test_shipped_packs_are_valid():
    cases = load_cases(ROOT / "cases")
    assert [p.name for p in find_packs(ROOT / "packs")] == ["compensation.yaml", "delivery-basics.yaml"]
    assert check_packs(ROOT / "packs", set(cases)) == (2, [])


# --- handouts ---------------------------------------------------------------------------


def html_of(built: Path, edition) -> str:
    return (built / f"pack-{edition.label}.html").read_text(encoding="utf-8")


def test_build_writes_both_editions_and_a_manifest(built):
    assert sorted(p.name for p in built.iterdir()) == [
        "pack-学员版.docx", "pack-学员版.html", "pack-讲师版.docx", "pack-讲师版.html", "pack.manifest.json",
    ]  # fmt: skip


def test_handouts_hold_the_pack_cases_in_order(built, kb):
    for edition in (TRAINEE, TRAINER):
        html = html_of(built, edition)
        assert re.findall(r'<article class="case" id="case-\d" data-case="([^"]+)"', html) == PACK_IDS
        toc = html[html.index('<nav class="toc"') : html.index("</nav>")]
        assert re.findall(r'href="#(case-\d)"', toc) == ["case-1", "case-2", "case-3"]
        assert html.count("版本：sha1:") == 3
        assert "案例数</dt><dd>3 个" in html
    trainer = html_of(built, TRAINER)
    assert [kb[i].title for i in PACK_IDS] == re.findall(r"<h2>(.+?)</h2>", trainer)[1:]  # after 目录


def test_trainee_version_hides_results_and_keeps_questions(built, kb):
    trainee, trainer = html_of(built, TRAINEE), html_of(built, TRAINER)
    for case_id in PACK_IDS:
        case = kb[case_id]
        for title in HIDDEN:
            text = case.section_text(title)
            assert text and text not in trainee and text in trainer
        assert case.summary not in trainee and case.summary in trainer
        assert case.section_text("基本案情") in trainee
    assert "<dt>处理结果</dt>" not in trainee and "<dt>金额（元）</dt>" not in trainee
    assert "<dt>处理结果</dt><dd>赔偿</dd>" in trainer and "<dt>金额（元）</dt><dd>260</dd>" in trainer
    assert "重点讲" not in trainee and "讲师提示" not in trainee  # the notes stay out
    assert "重点讲" in trainer
    # The pack's own title hides the case title, which may give the result away.
    assert "包裹被放进智能快件箱后不见了" in trainee and kb["TD-2023-001"].title not in trainee
    for question in ("企业能否以&#34;更方便&#34;为由投柜？", "保价快件丢失按什么赔偿？"):
        assert question in trainee and question in trainer


def test_case_markdown_is_sanitised_and_nothing_is_fetched(pack, kb, cases_dir, tmp_path):
    path = cases_dir / "cases" / "TD-2023-001.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "## 处理过程",
            '<script>alert("x")</script><img src="https://evil.example/a.png"> 见[官网](https://www.spb.gov.cn)'
            ' <a href="//cdn.example/x">链接</a> <style>@import url("http://x.example/a.css");</style>\n\n## 处理过程',
        ),
        encoding="utf-8",
    )
    cases = load_cases(cases_dir)
    versions = case_versions(cases.values(), cases_dir)
    out = tmp_path / "clean"
    build_handouts(pack, cases, out, versions)
    build_offline(pack, cases, out / "offline.html", versions)
    for html_path in out.glob("*.html"):
        html = html_path.read_text(encoding="utf-8")
        assert "见官网" in html and "链接" in html
        assert "http://" not in html and "https://" not in html
        assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//""", html, re.I)
        assert "@import" not in html and "url(" not in html and "<img" not in html and "<link" not in html
        assert "alert" not in html
        assert len(re.findall(r"<script", html)) == (2 if html_path.name == "offline.html" else 0)


def test_rebuilding_gives_byte_identical_files(pack, kb, cases_dir, tmp_path, monkeypatch):
    versions = case_versions(kb.values(), cases_dir)
    first = build_handouts(pack, kb, tmp_path / "a", versions)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 400 * 86400)  # zip entries would carry the clock
    second = build_handouts(pack, kb, tmp_path / "b", versions)
    build_offline(pack, kb, tmp_path / "a" / "offline.html", versions)
    build_offline(pack, kb, tmp_path / "b" / "offline.html", versions)
    for a, b in zip([*first, tmp_path / "a" / "offline.html"], [*second, tmp_path / "b" / "offline.html"]):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_manifest_records_the_versions_and_fingerprint(built, kb, cases_dir):
    manifest = read_manifest(built / "pack.manifest.json")
    assert manifest.versions == case_versions([kb[i] for i in PACK_IDS], cases_dir)
    assert list(manifest.versions) == PACK_IDS
    assert f'<meta name="casebook-fingerprint" content="{manifest.fingerprint}">' in html_of(built, TRAINEE)
    with pytest.raises(NotFoundError):
        read_manifest(built / "other.manifest.json")


def test_build_refuses_a_case_it_does_not_have(pack, kb, tmp_path):
    del kb["TD-2022-002"]
    with pytest.raises(NotFoundError, match="TD-2022-002"):
        build_handouts(pack, kb, tmp_path / "out", {i: "sha1:0" for i in PACK_IDS})


def test_docx_has_case_headings_chinese_fonts_and_a_fixed_date(built, kb):
    for edition in (TRAINEE, TRAINER):
        path = built / f"pack-{edition.label}.docx"
        document = docx.Document(str(path))
        headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
        titles = ["包裹被放进智能快件箱后不见了" if edition is TRAINEE else kb["TD-2023-001"].title]
        titles += [kb["TD-2022-002"].title, kb["DS-2024-001"].title]
        assert [p.text for p in headings] == [f"案例{n}　{t}" for n, t in enumerate(titles, start=1)]
        assert all(p.paragraph_format.page_break_before for p in headings)
        sections = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
        assert ("处理结果" in sections) is (edition is TRAINER)
        assert sections.count("讨论题") == 2
        for name, font in (("Normal", "宋体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
            fonts = document.styles[name].element.rPr.rFonts
            assert fonts.get(qn("w:eastAsia")) == font and fonts.get(qn("w:eastAsiaTheme")) is None
        text = "\n".join(p.text for p in document.paragraphs)
        for case_id in PACK_IDS:
            assert (kb[case_id].section_text("案例评析") in text) is (edition is TRAINER)
        assert document.core_properties.created == dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
        with zipfile.ZipFile(path) as archive:
            assert {info.date_time for info in archive.infolist()} == {(2026, 3, 1, 0, 0, 0)}


# --- the offline pack -------------------------------------------------------------------


OFFLINE_PACK = PACK + "  - YW-2021-001\n"


@pytest.fixture
def offline(tmp_path, kb, cases_dir) -> Path:
    pack, problems = load_pack(write_pack(tmp_path / "packs", OFFLINE_PACK), set(kb))
    assert not problems
    return build_offline(pack, kb, tmp_path / "offline" / "pack.html", case_versions(kb.values(), cases_dir))


def test_offline_pack_holds_every_case_and_the_search_script(offline, kb):
    html = offline.read_text(encoding="utf-8")
    assert re.findall(r'<article class="case" id="case-\d" data-case="([^"]+)"', html) == [*PACK_IDS, "YW-2021-001"]
    assert '<input id="q" type="search"' in html and 'addEventListener("input", run)' in html
    fold = re.search(r'<script type="application/json" id="fold-map">(.*?)</script>', html).group(1)
    assert '"誤":"误"' in fold  # traditional text finds simplified queries ...
    assert '"遞":"递"' in fold  # ... and simplified text traditional ones
    for case_id in [*PACK_IDS, "YW-2021-001"]:
        assert kb[case_id].section_text("案例评析") in html  # the trainer's version by default


def chromium() -> str:
    """Return a Chromium to drive, or skip (fail under CI, which installs one)."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium found")
        pytest.skip("no chromium installed")
    return path


def test_offline_search_filters_and_highlights_in_a_browser(offline):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium())
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(offline.as_uri())
            visible = "article.case:not([hidden])"

            page.fill("#q", "智能快件箱")
            assert page.locator(visible).evaluate_all("els => els.map(e => e.dataset.case)") == ["TD-2023-001"]
            assert page.text_content("#count") == "找到 1 个案例"
            assert page.locator(f"{visible} mark").first.text_content() == "智能快件箱"

            page.fill("#q", "延误 荔枝")  # simplified query, traditional case: 延誤, 荔枝
            assert page.locator(visible).evaluate_all("els => els.map(e => e.dataset.case)") == ["YW-2021-001"]
            assert "延誤" in page.locator(f"{visible} mark").all_text_contents()

            page.fill("#q", "快遞 签收")  # traditional query, simplified cases
            assert page.locator(visible).count() == 1

            page.fill("#q", "没有这种说法")
            assert page.locator(visible).count() == 0 and page.is_visible("#none")

            page.fill("#q", "")
            assert page.locator(visible).count() == 4 and page.locator("mark").count() == 0
            assert [u for u in requests if not u.startswith("file:")] == []
        finally:
            browser.close()


# --- versions and status ----------------------------------------------------------------


def test_status_reports_a_case_edited_since_the_build(pack, kb, cases_dir, built):
    manifest = read_manifest(built / "pack.manifest.json")
    path = cases_dir / "cases" / "TD-2022-002.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n补充：企业已对网点通报批评。\n", encoding="utf-8")
    cases = load_cases(cases_dir)
    lines = pack_status(pack, manifest.versions, case_versions(cases.values(), cases_dir), cases_dir, cases)
    assert [(line.id, line.state) for line in lines] == [
        ("TD-2023-001", "unchanged"), ("TD-2022-002", "changed"), ("DS-2024-001", "unchanged"),
    ]  # fmt: skip
    changed = lines[1]
    assert (
        changed.built.startswith("sha1:") and changed.current.startswith("sha1:") and changed.built != changed.current
    )
    assert (
        str(changed)
        == f"TD-2022-002: changed {changed.built} -> {changed.current} (content changed; no git history to diff)"
    )


def git(cwd: Path, *args: str) -> str:
    command = [
        "git",
        "-c",
        "user.name=Casebook Test",
        "-c",
        "user.email=test@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]
    return subprocess.run([*command, *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_git_versions_and_status_diff(pack, cases_dir, tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "cases")
    git(tmp_path, "commit", "-q", "-m", "Add cases")
    first = git(tmp_path, "rev-parse", "--short", "HEAD").strip()
    cases = load_cases(cases_dir)
    built = case_versions(cases.values(), cases_dir)
    assert {built[i] for i in PACK_IDS} == {first}

    path = cases_dir / "cases" / "DS-2024-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("十天后", "十五天后"), encoding="utf-8")
    dirty = case_versions(load_cases(cases_dir).values(), cases_dir)
    assert dirty["DS-2024-001"].startswith("sha1:") and dirty["TD-2023-001"] == first  # uncommitted: by content

    git(tmp_path, "commit", "-q", "-am", "Correct DS-2024-001")
    second = git(tmp_path, "rev-parse", "--short", "HEAD").strip()
    cases = load_cases(cases_dir)
    current = case_versions(cases.values(), cases_dir)
    assert current["DS-2024-001"] == second and current["TD-2023-001"] == first
    lines = {line.id: line for line in pack_status(pack, built, current, cases_dir, cases)}
    assert lines["DS-2024-001"].state == "changed" and lines["TD-2023-001"].state == "unchanged"
    assert "-孙先生寄出一部手机并保价3000元，十天后物流信息停止更新。" in lines["DS-2024-001"].diff
    assert "+孙先生寄出一部手机并保价3000元，十五天后物流信息停止更新。" in lines["DS-2024-001"].diff
    assert [line.state for line in pack_status(pack, {**built, "QT-2022-001": first}, current, cases_dir, cases)][
        -1
    ] == "dropped"


def test_an_invalid_pack_is_reported_as_invalid_not_missing(cases_dir, tmp_path):
    from casebook.config import Settings
    from casebook.service import Casebook
    from casebook.web import create_app

    write_pack(cases_dir.parent / "packs", "title: 培训\ncases: [NO-SUCH-1]\n", "broken.yaml")
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "ix"))
    client = create_app(casebook=book, test_config={"TESTING": True}).test_client()
    try:
        for url in ("/packs/broken", "/packs/broken/trainer.docx"):
            response = client.get(url)
            assert response.status_code == 404
            assert "培训包“broken”有错误，请用 casebook check 查看。" in response.get_data(as_text=True)
        assert "没有名为“absent”的培训包。" in client.get("/packs/absent/trainee.html").get_data(as_text=True)
    finally:
        book.close()
