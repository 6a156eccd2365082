"""Training packs on the site and on the command line, over the fixture knowledge base."""

from __future__ import annotations

import re

from casebook.cli.main import cli

from .conftest import FIXTURES


def test_packs_page_lists_packs_with_their_handouts(client):
    html = client.get("/packs/").get_data(as_text=True)
    assert '<a href="/packs/basics">末端投递入门</a>' in html
    assert "2 个案例" in html
    assert 'href="/packs/basics/trainee.html"' in html and 'href="/packs/basics/trainer.docx"' in html


def test_pack_page_and_handouts(client):
    html = client.get("/packs/basics").get_data(as_text=True)
    assert "讲师提示：重点讲&#34;未经同意&#34;的认定" in html or "讲师提示：重点讲&quot;未经同意&quot;的认定" in html
    assert "还没有构建过讲义" in html  # never built into packs/build
    trainee = client.get("/packs/basics/trainee.html").get_data(as_text=True)
    trainer = client.get("/packs/basics/trainer.html").get_data(as_text=True)
    assert "企业承认未征得同意，按购物凭证赔偿260元。" in trainer
    assert "企业承认未征得同意，按购物凭证赔偿260元。" not in trainee
    assert "企业能否以" in trainee and "重点讲" not in trainee
    docx = client.get("/packs/basics/trainer.docx")
    assert docx.data[:2] == b"PK" and "attachment" in docx.headers["Content-Disposition"]


def test_tray_builds_in_memory_in_the_chosen_order(client, casebook):
    before = sorted(p.name for p in (FIXTURES / "packs").iterdir())
    response = client.post(
        "/packs/tray",
        data={"id": ["TD-2022-002", "TD-2023-001"], "title": "临时包", "edition": "trainer", "format": "html"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.index("快递服务站代签后显示虚假签收") < html.index("未经同意投放智能快件箱后包裹丢失")
    assert "临时包" in html
    assert sorted(p.name for p in (FIXTURES / "packs").iterdir()) == before  # nothing written


def test_tray_rejects_bad_input_with_400(client):
    assert client.post("/packs/tray", data={}).status_code == 400
    assert client.post("/packs/tray", data={"id": "NOPE-1"}).status_code == 400
    assert client.post("/packs/tray", data={"id": "TD-2023-001", "format": "pdf"}).status_code == 400
    assert client.get("/packs/tray").status_code in (404, 405)  # no pack is called "tray"


def test_pack_cli_build_and_status(runner, tmp_path):
    base = ["--cases", str(FIXTURES / "kb"), "--index", str(tmp_path / "i"), "pack"]
    listed = runner.invoke(cli, [*base, "list"], obj={})
    assert "basics.yaml: 末端投递入门 — 2 cases" in listed.output
    built = runner.invoke(
        cli, [*base, "build", str(FIXTURES / "packs" / "basics.yaml"), "--out", str(tmp_path / "out")], obj={}
    )
    assert built.exit_code == 0, built.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == sorted(
        [
            "basics-学员版.html",
            "basics-学员版.docx",
            "basics-讲师版.html",
            "basics-讲师版.docx",
            "basics.manifest.json",
            "basics-离线版.html",
        ]
    )
    status = runner.invoke(
        cli, [*base, "status", str(FIXTURES / "packs" / "basics.yaml"), "--out", str(tmp_path / "out")], obj={}
    )
    assert status.exit_code == 0 and status.output.strip().splitlines()[-1] == "0 of 2 cases changed since the build"


def test_check_validates_packs(runner, cases_dir, tmp_path):
    packs = cases_dir.parent / "packs"
    packs.mkdir()
    (packs / "bad.yaml").write_text("title: 坏包\ncases:\n  - id: TD-2023-011\n", encoding="utf-8")
    result = runner.invoke(cli, ["--cases", str(cases_dir), "--index", str(tmp_path / "i"), "check"], obj={})
    assert result.exit_code == 1
    assert re.search(
        r"bad\.yaml:3:9: cases\[1\]\.id: no case has the id 'TD-2023-011'; did you mean 'TD-2023-001'\?", result.output
    ), result.output


def test_tray_sets_trainee_titles_notes_and_questions(client):
    form = {
        "id": ["TD-2022-002", "TD-2023-001"],
        "entry_title": ["", "快递柜投递后包裹不见了"],
        "entry_notes": ["", "先问是否同意"],
        "entry_questions": ["", "企业应否赔偿？\n依据是什么？"],
        "edition": "trainee",
        "format": "html",
    }
    trainee = client.post("/packs/tray", data=form).get_data(as_text=True)
    assert "快递柜投递后包裹不见了" in trainee and "未经同意投放智能快件箱后包裹丢失" not in trainee
    assert "依据是什么？" in trainee and "先问是否同意" not in trainee
    trainer = client.post("/packs/tray", data={**form, "edition": "trainer"}).get_data(as_text=True)
    assert "未经同意投放智能快件箱后包裹丢失" in trainer and "先问是否同意" in trainer


def test_pack_page_warns_when_the_trainee_version_would_name_the_outcome(cases_dir, tmp_path):
    from casebook.config import Settings
    from casebook.service import Casebook
    from casebook.web import create_app

    packs = cases_dir.parent / "packs"
    packs.mkdir()
    (packs / "p.yaml").write_text(
        "title: 破损\ncases:\n  - id: SH-2020-001\n  - id: TD-2023-001\n    title: 投柜后包裹丢了\n", encoding="utf-8"
    )
    book = Casebook(Settings(cases_dir=cases_dir, index_dir=tmp_path / "index"))
    try:
        html = (
            create_app(casebook=book, test_config={"TESTING": True})
            .test_client()
            .get("/packs/p")
            .get_data(as_text=True)
        )
    finally:
        book.close()
    assert html.count('class="warn"') == 1
    assert "学员版将沿用案例标题，其中含有处理结果“赔偿”" in html
    assert "学员版标题：投柜后包裹丢了" in html
