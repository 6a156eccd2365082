"""Tests for the privacy scan: which text is flagged as personal data, where, and what it says."""

import pytest

from casebook.content.privacy import Finding, count_exemptions, scan_text

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_id_check(body: str) -> str:
    """Append the GB 11643 MOD 11-2 check character to a 17-digit body."""
    total = sum(int(digit) * weight for digit, weight in zip(body, ID_WEIGHTS))
    return body + "10X98765432"[total % 11]


def passes_luhn(digits: str) -> bool:
    """Tell whether digits pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def with_luhn_check(partial: str) -> str:
    """Append the Luhn check digit to partial."""
    return next(partial + d for d in "0123456789" if passes_luhn(partial + d))


def make_id(birth: str = "19900307", *, check: str | None = None, luhn: bool = False) -> str:
    """Build a fictional ID with a valid check character, choosing its Luhn result too."""
    for sequence in range(1000):
        number = with_id_check(f"110101{birth}{sequence:03d}")
        if check is not None and number[-1] == check:
            return number
        if check is None and number[-1] != "X" and passes_luhn(number) == luhn:
            return number
    raise AssertionError("no such ID")


def break_id(number: str, *, luhn: bool) -> str:
    """Replace an ID's check character with a wrong digit, choosing the Luhn result."""
    for digit in "0123456789":
        broken = number[:-1] + digit
        if digit != number[-1] and passes_luhn(broken) == luhn:
            return broken
    raise AssertionError("no such digit")


def break_luhn(number: str) -> str:
    """Change the last digit so the number fails the Luhn check."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def group(digits: str, sep: str = " ") -> str:
    """Write digits in groups of four."""
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


VALID_ID = make_id()
CARD_16 = with_luhn_check("622848001234567")
CARD_19 = with_luhn_check("622202000012345678")


def test_helpers_match_published_examples() -> None:
    # The example number printed in GB 11643 itself, and the textbook Luhn example.
    assert with_id_check("11010519491231002") == "11010519491231002X"
    assert passes_luhn("79927398713")
    assert not passes_luhn("79927398710")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # mobile numbers
        ("联系电话13812345678，请回电", "mobile"),
        ("电话：138-1234-5678", "mobile"),
        ("电话：138 1234 5678", "mobile"),
        ("手机+86 19912345678", "mobile"),
        ("手机号码１３８１２３４５６７８", "mobile"),
        ("电话138****5678", None),
        ("号码12812345678", None),
        ("号码1381234567", None),
        ("号码138123456789", "waybill"),
        # resident ID numbers
        (f"身份证号{VALID_ID}", "id_number"),
        (f"身份证号{make_id(luhn=True)}", "id_number"),
        (f"身份证号{make_id(check='X')}", "id_number"),
        (f"身份证号{make_id(check='X').lower()}", "id_number"),
        (f"身份证号{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]}", "id_number"),
        (f"身份证号{break_id(VALID_ID, luhn=False)}", "waybill"),
        (f"身份证号{break_id(VALID_ID, luhn=True)}", "bank_card"),
        (f"身份证号{make_id('19901307')}", "waybill"),
        (f"身份证号{make_id('18991231')}", "waybill"),
        # bank cards
        (f"退款至银行卡{CARD_16}", "bank_card"),
        (f"退款至银行卡{CARD_19}", "bank_card"),
        (f"退款至银行卡 {group(CARD_16)}", "bank_card"),
        (f"退款至银行卡 {group(CARD_19, '-')}", "bank_card"),
        (f"退款至银行卡{break_luhn(CARD_16)}", "waybill"),
        # waybills
        ("运单号SF1234567890123", "waybill"),
        ("运单号 YT1234567890123 已签收", "waybill"),
        ("运单号JT0001234567890", "waybill"),
        ("运单号sf1234567890123", "waybill"),
        ("京东单号JDV012345678901", "waybill"),
        ("中通ZTO123456789012", "waybill"),
        ("邮件号EA123456789CN", "waybill"),
        ("运单号773012345678901", "waybill"),
        ("运单号123456789012", "waybill"),
        ("单号12345678901234567890", "waybill"),
        ("运单号SF12345", None),
        ("邮件号EA12345678CN", None),
        # case ids, dates, amounts, articles, service numbers
        ("参见案例 SF-2023-001 和 TD-2023-004", None),
        ("date: 2023-06-18", None),
        ("2023年6月18日签收，20230618录入", None),
        ("企业赔偿3000元，保价1,200元", None),
        ("《快递暂行条例》(2018) 第二十七条，GB/T 27917.3-2011", None),
        ("拨打12305电话，经12345转办", None),
        ("邮政客服11183、顺丰95338", None),
        ("客服热线400-820-8198或4008208198", None),
        # addresses
        ("住在杭州市西湖区文三路12号", "address"),
        ("送到中山街88号", "address"),
        ("桂花巷3号门口", "address"),
        ("长乐路100弄5号", "address"),
        ("世纪大道100号", "address"),
        ("文三路十二号", "address"),
        ("文三路１２号", "address"),
        ("小区3栋2单元501室", "address"),
        ("放在5号楼下", "address"),
        ("送至1201室", "address"),
        ("2幢门卫", "address"),
        ("用户住在杭州市西湖区", None),
        ("浙江省杭州市", None),
        ("快递员在路上耽搁，一路颠簸，放在马路边", None),
        ("三室一厅，3室2厅", None),
        ("6月12号送达", None),
        # names
        ("王晓明先生投诉", "name"),
        ("欧阳娜娜女士", "name"),
        ("陈静小姐", "name"),
        ("陳大明先生", "name"),
        ("收件人：张伟", "name"),
        ("寄件人:李娜", "name"),
        ("姓名：赵敏", "name"),
        ("用户王女士投诉", None),
        ("李先生、欧阳先生、夏侯女士", None),
        ("快递员张某", None),
        ("某女士", None),
        ("收件人：王女士", None),
        ("收件人：夏侯先生", None),
        ("收件人：张某", None),
        ("浙江李先生", None),
        ("江苏王女士反映", None),
        ("企业向王女士道歉", None),
        ("李老先生", None),
    ],
)
def test_scan_text_flags_kind(text: str, kind: str | None) -> None:
    assert [finding.kind for finding in scan_text(text)] == ([kind] if kind else [])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("电话：138-1234-5678。", "138-1234-5678"),
        ("手机+86 19912345678。", "+86 19912345678"),
        ("手机号码１３８１２３４５６７８。", "１３８１２３４５６７８"),
        ("运单号SF1234567890123。", "SF1234567890123"),
        ("住在杭州市西湖区文三路12号3栋2单元501室。", "文三路12号3栋2单元501室"),
        ("寄往杭州市延安路5号", "延安路5号"),
        ("上海长乐路100弄5号", "上海长乐路100弄5号"),
        ("收件人：张伟，电话138****5678", "张伟"),
        ("寄件人:欧阳娜娜", "欧阳娜娜"),
        ("联系王晓明先生。", "王晓明先生"),
    ],
)
def test_scan_text_reports_the_text_as_written(text: str, value: str) -> None:
    assert [finding.value for finding in scan_text(text)] == [value]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "13812345678",
            "unmasked mobile number '13812345678'; mask it as 138****5678",
        ),
        (
            "139 8765 4321",
            "unmasked mobile number '139 8765 4321'; mask it as 139****4321",
        ),
        (
            VALID_ID,
            f"unmasked resident ID number '{VALID_ID}'; remove it (write 身份证号略)",
        ),
        (
            CARD_16,
            f"unmasked bank card number '{CARD_16}'; remove it (write 卡号略)",
        ),
        (
            "SF1234567890123",
            "unmasked waybill number 'SF1234567890123'; write 运单号略 instead",
        ),
        (
            "文三路12号",
            "street-level address '文三路12号'; give the place to district level only (e.g. 杭州市西湖区)",
        ),
        (
            "王晓明先生",
            "full personal name '王晓明先生'; write the surname and title only (e.g. 王先生)",
        ),
        (
            "收件人：张伟",
            "full personal name '张伟'; write the surname and a title only (e.g. 张女士 or 张先生)",
        ),
    ],
)
def test_scan_text_message_says_what_to_write(text: str, message: str) -> None:
    assert [finding.message for finding in scan_text(text)] == [message]


def test_scan_text_passes_seventeen_digits_and_a_wrong_x() -> None:
    body = with_luhn_check("1101011990030712")
    assert with_id_check(body) != body + "X"  # the X is wrong, and the digits alone pass Luhn
    assert scan_text(f"身份证号{body}X") == []


def test_scan_text_places_findings_by_line_and_character_column() -> None:
    text = "## 基本案情\n\n用户王女士称，电话13812345678无人接听。\n运单号SF1234567890123，寄往文三路12号。\n"
    found = [(f.line, f.col, f.kind, f.value) for f in scan_text(text, first_line=12)]
    assert found == [
        (14, 10, "mobile", "13812345678"),
        (15, 4, "waybill", "SF1234567890123"),
        (15, 22, "address", "文三路12号"),
    ]


def test_scan_text_ignores_carriage_returns_and_byte_order_mark() -> None:
    text = "\ufeff电话13812345678\r\n地址文三路12号\r\n"
    assert [(f.line, f.col) for f in scan_text(text)] == [(1, 3), (2, 3)]


def test_scan_text_sorts_findings_and_reports_each_span_once() -> None:
    id_and_card = make_id(luhn=True)
    text = f"王晓明先生，身份证{id_and_card}，卡号{CARD_16}，电话13812345678"
    found = [(f.col, f.kind) for f in scan_text(text)]
    assert found == [
        (1, "name"),
        (10, "id_number"),
        (31, "bank_card"),
        (50, "mobile"),
    ]
    assert all(isinstance(f, Finding) for f in scan_text(text))


def test_scan_text_skips_lines_with_a_reasoned_exemption() -> None:
    text = (
        "官方热线13812345678 <!-- privacy-ok: published carrier hotline -->\n"
        "电话13912345678\n"
        "电话13712345678 <!-- privacy-ok: -->\n"
        "电话13612345678 <!--privacy-ok:   -->\n"
    )
    found = [(f.line, f.value) for f in scan_text(text)]
    assert found == [(2, "13912345678"), (3, "13712345678"), (4, "13612345678")]


def test_exemption_covers_only_its_own_line() -> None:
    text = "<!-- privacy-ok: fictional sample -->\n电话13812345678"
    assert [(f.line, f.kind) for f in scan_text(text)] == [(2, "mobile")]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("电话13812345678 <!-- privacy-ok: fictional sample number -->", 1),
        ("<!-- privacy-ok: a --> 文三路12号 <!-- privacy-ok: b -->\n<!-- privacy-ok:x-->", 3),
        ("<!-- privacy-ok: -->\n<!--privacy-ok:   -->", 0),
        ("<!-- privacy-ok: reviewed -->\n<!-- privacy-ok: -->\n<!-- todo: privacy -->", 1),
        ("<!-- privacy-ok: reason\n-->", 0),
    ],
)
def test_count_exemptions_counts_markers_with_a_reason(text: str, count: int) -> None:
    assert count_exemptions(text) == count


def test_preposition_before_a_masked_name_is_not_a_full_name():
    assert scan_text("网点负责人向冉女士道歉。") == []
    assert [f.value for f in scan_text("网点负责人向王晓明女士道歉。")] == ["王晓明女士"]
