"""The command line: exit codes, message lines, JSON output, and help for every command."""

from __future__ import annotations

import json

import pytest

from casebook.cli.main import cli


def invoke(runner, *args, input=None):
    return runner.invoke(cli, list(args), input=input, obj={}, catch_exceptions=False)


def test_check_passes_on_a_clean_tree(runner, kb_dir, tmp_path):
    result = invoke(runner, "--cases", str(kb_dir), "--index", str(tmp_path / "i"), "check")
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1] == "11 files, 0 errors, 0 warnings"  # 9 cases, taxonomy, 1 pack


def test_check_reports_every_problem_and_fails(runner, cases_dir, tmp_path):
    (cases_dir / "cases" / "bad.md").write_text(
        "---\nid: BAD-1\ntitle: 坏\ncategory: 延迟\noutcome: 赔偿\ndate: 2023-1-2\n---\n\n## 基本案情\n",
        encoding="utf-8",
    )
    result = invoke(runner, "--cases", str(cases_dir), "--index", str(tmp_path / "i"), "check")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any(
        l.endswith(
            "bad.md:4:11: category: expected one of (延误, 丢失短少, 损毁, 投递服务, 收寄服务, 违规收费, 代收货款, 其他) but received: '延迟'; did you mean '延误'?"
        )
        for l in lines
    )
    assert any(l.endswith("bad.md:6:7: date: expected a date YYYY-MM-DD but received: '2023-1-2'") for l in lines)
    assert lines[-1] == "11 files, 2 errors, 3 warnings"


def test_check_strict_fails_on_warnings(runner, cases_dir, tmp_path):
    path = cases_dir / "cases" / "SJ-2019-001.md"
    path.write_text(path.read_text(encoding="utf-8").replace("tags:", "reviewer: 某编辑\ntags:"), encoding="utf-8")
    args = ["--cases", str(cases_dir), "--index", str(tmp_path / "i"), "check"]
    assert invoke(runner, *args).exit_code == 0
    assert invoke(runner, *args, "--strict").exit_code == 1


def test_index_then_search_json(runner, kb_dir, tmp_path):
    base = ["--cases", str(kb_dir), "--index", str(tmp_path / "i")]
    built = invoke(runner, *base, "index")
    assert built.exit_code == 0
    assert built.output.startswith(
        "index full build (no index yet): 9 added, 0 updated, 0 removed, 0 unchanged, 0 skipped with errors; 12 documents"
    )
    result = invoke(runner, *base, "search", "驿站", "--json")
    data = json.loads(result.output)
    assert data["total"] == 1 and data["hits"][0]["id"] == "TD-2022-002"
    filtered = json.loads(
        invoke(runner, *base, "search", "", "--category", "延误", "--category", "损毁", "--json").output
    )
    assert sorted(h["id"] for h in filtered["hits"]) == ["SH-2020-001", "YW-2021-001"]


def test_batch_search_prints_one_json_line_per_query(runner, kb_dir, tmp_path):
    base = ["--cases", str(kb_dir), "--index", str(tmp_path / "i")]
    result = invoke(runner, *base, "search", "-", "--json", "--limit", "2", input="快递柜\n驿站\n不存在的东西\n")
    lines = result.output.strip().splitlines()
    assert [json.loads(l)["query"] for l in lines] == ["快递柜", "驿站", "不存在的东西"]
    assert [json.loads(l)["total"] for l in lines] == [2, 1, 0]


def test_search_text_output_marks_matches(runner, kb_dir, tmp_path):
    result = invoke(runner, "--cases", str(kb_dir), "--index", str(tmp_path / "i"), "search", "虚假签收")
    assert result.output.splitlines()[0] == "1 条结果：虚假签收"
    assert "【虚假签收】" in result.output


def test_search_bad_parameter_is_a_usage_error(runner, kb_dir, tmp_path):
    result = runner.invoke(
        cli, ["--cases", str(kb_dir), "--index", str(tmp_path / "i"), "search", "x", "--year-from", "20"], obj={}
    )
    assert result.exit_code == 2
    assert "year_from: expected a year such as 2023 but received: 20" in result.output


def test_analyze_marks_dictionary_words(runner, kb_dir, tmp_path):
    result = invoke(runner, "--cases", str(kb_dir), "--index", str(tmp_path / "i"), "analyze", "智能快遞櫃虚假签收")
    assert "normalised: 智能快递柜虚假签收" in result.output
    assert "智能快递柜*" in result.output and "(sub-word)" in result.output


def test_missing_cases_directory_is_a_clear_error(runner, tmp_path):
    result = runner.invoke(cli, ["--cases", str(tmp_path / "nope"), "check"], obj={})
    assert result.exit_code == 1
    assert "cases directory not found" in result.output


def test_environment_variables_point_at_the_tree(runner, kb_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEBOOK_CASES", str(kb_dir))
    monkeypatch.setenv("CASEBOOK_INDEX", str(tmp_path / "env-index"))
    assert invoke(runner, "index").exit_code == 0
    assert (tmp_path / "env-index" / "CURRENT").is_file()


def _commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if hasattr(command, "commands"):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=" ".join)
def test_every_command_has_help(runner, path):
    result = invoke(runner, *path, "--help")
    assert result.exit_code == 0
    command = dict(_commands(cli))[path]
    assert command.help and command.help.strip()


def test_index_skips_bad_files_and_strict_fails(runner, cases_dir, tmp_path):
    (cases_dir / "cases" / "bad.md").write_text("---\nid: [\n---\n", encoding="utf-8")
    base = ["--cases", str(cases_dir), "--index", str(tmp_path / "i"), "index"]
    built = invoke(runner, *base)
    assert built.exit_code == 0
    assert "bad.md:3:1: YAML syntax error" in built.output  # the flow sequence never closes
    assert "9 added, 0 updated, 0 removed, 0 unchanged, 1 skipped with errors" in built.output
    assert invoke(runner, *base, "--strict").exit_code == 1


def test_check_counts_reviewed_privacy_exceptions(runner, cases_dir, tmp_path):
    path = cases_dir / "cases" / "SJ-2019-001.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\n快递员留下的电话 13812345678 <!-- privacy-ok: 虚构的示例号码 -->\n另一行 13912345678\n",
        encoding="utf-8",
    )
    result = invoke(runner, "--cases", str(cases_dir), "--index", str(tmp_path / "i"), "check")
    lines = result.output.strip().splitlines()
    assert result.exit_code == 1
    assert any("SJ-2019-001.md:" in l and "privacy: unmasked mobile number '13912345678'" in l for l in lines)
    assert not any("13812345678" in l for l in lines)
    assert lines[-1] == "10 files, 1 errors, 0 warnings; 1 reviewed privacy exceptions in force"


def test_a_knowledge_base_without_a_taxonomy_is_one_error_line_not_a_traceback(tmp_path):
    import subprocess
    import sys

    (tmp_path / "cases").mkdir()
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from casebook.cli.main import main; main()",
            "--cases",
            str(tmp_path / "cases"),
            "--index",
            str(tmp_path / "index"),
            "search",
            "延误",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "taxonomy.yaml:1:1: taxonomy file not found" in done.stderr
