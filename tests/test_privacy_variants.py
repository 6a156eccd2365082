"""Personal data written to slip past the guard: split, spaced, dotted, wide, in other digits,
across lines; in a case, a pack's trainer notes, any text file of the tree, and the search log."""

from __future__ import annotations

from pathlib import Path

import pytest

from casebook.content.privacy import scan_text, scrub
from casebook.packs.pack import load_pack

from .test_privacy import make_id

ID = make_id()  # fictional: a made-up birth date and sequence with a valid check character
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# (as written, as the message quotes it: line breaks and invisible characters escaped)
MOBILES = [
    ("138\u200b1234\u200b5678", "138\\u200b1234\\u200b5678"),  # zero-width spaces
    ("138.1234.5678", "138.1234.5678"),
    ("1 3 8 1 2 3 4 5 6 7 8", "1 3 8 1 2 3 4 5 6 7 8"),
    ("138–1234–5678", "138–1234–5678"),  # en dashes
    ("１３８１２３４５６７８", "１３８１２３４５６７８"),  # full-width
    ("١٣٨١٢٣٤٥٦٧٨", "١٣٨١٢٣٤٥٦٧٨"),  # Arabic-Indic
    ("1381234\n5678", "1381234\\n5678"),  # broken across a line
]
IDS = [
    (f"{ID[:6]}.{ID[6:14]}.{ID[14:]}", f"{ID[:6]}.{ID[6:14]}.{ID[14:]}"),
    (ID.translate(ARABIC), ID.translate(ARABIC)),
    (f"{ID[:9]}\u200d{ID[9:]}", f"{ID[:9]}\\u200d{ID[9:]}"),
    (" ".join(ID), " ".join(ID)),
    (f"{ID[:10]}\n{ID[10:]}", f"{ID[:10]}\\n{ID[10:]}"),
]
MOBILE_MESSAGE = "privacy: unmasked mobile number '{}'; mask it as 138****5678"
ID_MESSAGE = "privacy: unmasked resident ID number '{}'; remove it (write 身份证号略)"
VARIANTS = [(w, MOBILE_MESSAGE.format(q)) for w, q in MOBILES] + [(w, ID_MESSAGE.format(q)) for w, q in IDS]


@pytest.mark.parametrize(("written", "message"), VARIANTS)
def test_a_disguised_number_in_a_case_fails_check(written, message, cases_dir, runner, monkeypatch):
    from casebook.cli.main import cli

    monkeypatch.chdir(cases_dir.parent)
    case = Path("cases/cases/TD-2023-001.md")
    lines = case.read_text(encoding="utf-8").split("\n")
    case.write_text("\n".join([*lines, f"用户留下的号码：{written}。"]), encoding="utf-8")
    result = runner.invoke(cli, ["--cases", "cases", "check"])
    assert f"cases/cases/TD-2023-001.md:{len(lines) + 1}:9: {message}" in result.output.splitlines()
    assert result.exit_code == 1


@pytest.mark.parametrize(("written", "message"), VARIANTS)
def test_a_disguised_number_in_trainer_notes_refuses_the_pack(written, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("packs").mkdir()
    notes = written.replace("\n", "\n      ")  # a folded YAML line keeps the number's two halves apart
    Path("packs/p.yaml").write_text(
        f"title: 培训\ncases:\n  - id: TD-2023-001\n    notes: >-\n      可联系{notes}\n", encoding="utf-8"
    )
    pack, problems = load_pack(Path("packs/p.yaml"), {"TD-2023-001"})
    assert pack is None
    # The message quotes the YAML as written: the indent after a line break too.
    quoted = message.replace("\\n", "\\n      ")
    assert [str(p) for p in problems] == [f"packs/p.yaml:5:10: {quoted}"]


def test_plain_numbers_next_to_a_mobile_still_find_it():
    assert [f.value for f in scan_text("退款 50 13812345678 元")] == ["13812345678"]


@pytest.mark.parametrize(
    "text",
    [
        "2024-03-01 13:00 受理，金额 100 200 300 400 500 元",
        "客服热线 400-820-8198，拨打 12305 或 12345",
        "第1381234页\n\n5678行",  # a blank line ends a number
        "编号 ١٢٣٠٥",  # 12305 in Arabic-Indic digits is still a service number
    ],
)
def test_numbers_that_are_not_personal_data_stay_clean(text):
    assert scan_text(text) == []


def test_every_text_file_of_the_tree_is_scanned(cases_dir, runner, monkeypatch):
    from casebook.cli.main import cli

    monkeypatch.chdir(cases_dir.parent)
    Path("cases/notes.txt").write_text("待核实：用户电话 139 8765 4321\n", encoding="utf-8")
    Path("cases/export.csv").write_bytes("姓名,电话\n王女士,13712345678\n".encode("gb18030"))
    Path("cases/photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0" + b"13812345678")
    result = runner.invoke(cli, ["--cases", "cases", "check"])
    lines = result.output.splitlines()
    assert "cases/notes.txt:1:10: privacy: unmasked mobile number '139 8765 4321'; mask it as 139****4321" in lines
    assert "cases/export.csv:2:5: privacy: unmasked mobile number '13712345678'; mask it as 137****5678" in lines
    assert not any("photo.png" in line for line in lines)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("丢件 电话138.1234.5678", "丢件 电话＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("电话١٣٨١٢٣٤٥٦٧٨ 没收到", "电话＊＊＊＊＊＊＊＊＊＊＊ 没收到"),
        ("电话138\u200b1234\u200b5678", "电话＊＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("电话1381234\n5678", "电话＊＊＊＊＊＊＊＊＊＊＊＊"),
        ("浙江省杭州市 快递柜 没同意", "浙江省杭州市 快递柜 没同意"),
    ],
)
def test_scrub_masks_what_scan_finds_one_star_per_character(text, scrubbed):
    assert scrub(text) == scrubbed
