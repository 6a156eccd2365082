"""The detectors of personal data: patterns for numbers, addresses and names, most specific first.

Each detector takes a line of text, already folded (ASCII digits and letters), and yields the
spans it claims. `privacy` runs them in the order of `DETECTORS` and turns hits into findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Hit:
    """A span one detector claimed in a line, with what to do about it."""

    start: int
    end: int
    kind: str
    advice: str


LABELS = {
    "id_number": "unmasked resident ID number",
    "bank_card": "unmasked bank card number",
    "mobile": "unmasked mobile number",
    "waybill": "unmasked waybill number",
    "address": "street-level address",
    "name": "full personal name",
}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9Xx]")

_PREFIXED_WAYBILL = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:(?i:SF|YT|JT|ZTO|YD|STO|DPK|JD[VX]?)[0-9]{10,15}"
    r"|[A-Z]{2}[0-9]{9}[A-Z]{2})"  # UPU S10, as on EMS and international mail
    r"(?![0-9A-Za-z])"
)
_ID_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|[0-9]{6}(?P<sep>[ -])[0-9]{8}(?P=sep)[0-9]{3}[0-9Xx])(?![0-9])")
_BANK_CARD = re.compile(
    r"(?<![0-9])(?:[0-9]{16,19}"
    r"|[0-9]{4}(?P<sep>[ -])[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}(?:(?P=sep)[0-9]{1,3})?)"
    r"(?![0-9A-Za-z])"  # 17 digits and an X is an ID with a wrong check character, not a card
)
_MOBILE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9][0-9](?P<sep>[ -]?)[0-9]{4}(?P=sep)[0-9]{4})(?![0-9])"
)
# Letters count as part of a run here, so order numbers and hashes are not taken for waybills.
_BARE_WAYBILL = re.compile(r"(?<![0-9A-Za-z])[0-9]{12,20}(?![0-9A-Za-z])")

_HAN = "\u3400-\u4dbf\u4e00-\u9fff"
# Road names stop at district words and prepositions, so the value is 文三路12号 rather than
# the whole 住在杭州市西湖区文三路12号.
_ROAD_CHAR = rf"(?![省市区區县縣旗镇鎮乡鄉村在于於住址至到往送寄是的了和与與])[{_HAN}]"
_HOUSE_NUMBER = r"(?:[0-9]+(?:-[0-9]+)?|[一二三四五六七八九十百零〇]+)[号號弄]"
# A room needs three digits: 3室2厅 describes a flat's layout, not where someone lives.
_UNIT = r"(?:[0-9]{1,4}[A-Za-z]?(?:号楼|號樓|栋|棟|幢|单元|單元)|[0-9]{3,5}室)"
_ADDRESS = re.compile(
    rf"(?:{_ROAD_CHAR}){{1,8}}(?:大街|大道|路|街|巷|弄|胡同){_HOUSE_NUMBER}(?:[0-9]+[号號])?"
    rf"(?:[ ,]?{_UNIT})*"
    rf"|{_UNIT}(?: ?{_UNIT})*"
)

# Common single surnames, simplified and traditional; 文 and 安 are left out because they end
# too many words (中文, 西安) that come right before a 王女士.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶"
    "程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛"
    "郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖施洪辛柯庄樊葛牛殷"
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓鄧馮蕭葉蔣蘇呂盧鍾譚陸賈韋鄒賀顧龔萬錢嚴湯喬賴閻"
)
_COMPOUND_SURNAMES = (
    "欧阳|歐陽|司马|司馬|诸葛|諸葛|上官|东方|東方|慕容|令狐|皇甫|尉迟|尉遲|公孙|公孫|夏侯|司徒"
    "|长孙|長孫|宇文|轩辕|軒轅|端木"
)
_PREPOSITION_SURNAMES = "向于於"
_TITLE = "先生|女士|小姐"
_SURNAME = rf"(?P<surname>{_COMPOUND_SURNAMES}|(?!{_COMPOUND_SURNAMES})[{_SURNAMES}])"
# 某 and 老 make 张某先生 and 李老先生, which name nobody.
_GIVEN_CHAR = rf"(?!{_TITLE}|[某老的了在是和与與及位名个個些们們姓])[{_HAN}]"
_TITLED_NAME = re.compile(rf"{_SURNAME}(?P<given>(?:{_GIVEN_CHAR}){{1,2}})(?P<title>{_TITLE})")
_LABELLED_NAME = re.compile(
    r"(?:收件人|收货人|收貨人|寄件人|发件人|發件人|联系人|聯繫人|聯絡人|姓名|投诉人|投訴人|申诉人|申訴人)"
    rf" *: *(?P<name>{_SURNAME}(?:{_GIVEN_CHAR}){{1,2}})"
)


def find_prefixed_waybills(line: str) -> Iterator[Hit]:
    """Yield waybill numbers that carry a carrier prefix or the S10 shape."""
    for match in _PREFIXED_WAYBILL.finditer(line):
        yield Hit(match.start(), match.end(), "waybill", "write 运单号略 instead")


def find_id_numbers(line: str) -> Iterator[Hit]:
    """Yield resident ID numbers whose birth date and check character are valid."""
    for match in _ID_NUMBER.finditer(line):
        if _is_id_number(_strip_separators(match[0])):
            yield Hit(match.start(), match.end(), "id_number", "remove it (write 身份证号略)")


def find_bank_cards(line: str) -> Iterator[Hit]:
    """Yield card numbers that pass the Luhn check."""
    for match in _BANK_CARD.finditer(line):
        digits = _strip_separators(match[0])
        # Valid ID numbers are masked before this runs, so a Luhn pass here means a card.
        if _passes_luhn(digits):
            yield Hit(match.start(), match.end(), "bank_card", "remove it (write 卡号略)")


def find_mobiles(line: str) -> Iterator[Hit]:
    """Yield mainland mobile numbers, with or without separators and country code."""
    for match in _MOBILE.finditer(line):
        digits = _strip_separators(match["number"])
        advice = f"mask it as {digits[:3]}****{digits[-4:]}"
        yield Hit(match.start(), match.end(), "mobile", advice)


def find_bare_waybills(line: str) -> Iterator[Hit]:
    """Yield long digit runs left over once IDs, cards and mobiles are claimed."""
    for match in _BARE_WAYBILL.finditer(line):
        yield Hit(match.start(), match.end(), "waybill", "write 运单号略 instead")


def find_addresses(line: str) -> Iterator[Hit]:
    """Yield house numbers on a road and building, unit or room numbers."""
    for match in _ADDRESS.finditer(line):
        advice = "give the place to district level only (e.g. 杭州市西湖区)"
        yield Hit(match.start(), match.end(), "address", advice)


def find_labelled_names(line: str) -> Iterator[Hit]:
    """Yield full names written after a label such as 收件人 or 姓名."""
    for match in _LABELLED_NAME.finditer(line):
        surname = match["surname"]
        advice = f"write the surname and a title only (e.g. {surname}女士 or {surname}先生)"
        yield Hit(match.start("name"), match.end("name"), "name", advice)


def find_titled_names(line: str) -> Iterator[Hit]:
    """Yield full names written before 先生, 女士 or 小姐."""
    for match in _TITLED_NAME.finditer(line):
        # In 江苏王女士 or 向王女士 the last "given" character is the surname of a plain
        # 王女士, and the characters before it are a place or a preposition.
        if match["given"][-1] in _SURNAMES:
            continue
        # 向 and 于 are surnames but far more often prepositions: 向冉女士道歉 names 冉女士.
        if match["surname"] in _PREPOSITION_SURNAMES and len(match["given"]) == 1:
            continue
        advice = f"write the surname and title only (e.g. {match['surname']}{match['title']})"
        yield Hit(match.start(), match.end(), "name", advice)


def _strip_separators(number: str) -> str:
    """Return number without the spaces and dashes that group its digits."""
    return number.replace(" ", "").replace("-", "")


def _is_id_number(candidate: str) -> bool:
    """Tell whether candidate is an 18-character GB 11643 resident ID number."""
    if not _ID_SHAPE.fullmatch(candidate):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(candidate, _ID_WEIGHTS))
    if _ID_CHECK_CHARS[total % 11] != candidate[-1].upper():
        return False
    return _is_birth_date(candidate[6:14])


def _is_birth_date(digits: str) -> bool:
    """Tell whether YYYYMMDD digits are a real date from 1900 to 2099."""
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:])
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _passes_luhn(digits: str) -> bool:
    """Tell whether a digit string passes the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


# Order is priority: a span claimed by one detector is masked before the next one runs.
# Carrier prefixes come first because they make a number unambiguous.
DETECTORS: tuple[Callable[[str], Iterator[Hit]], ...] = (
    find_prefixed_waybills,
    find_id_numbers,
    find_bank_cards,
    find_mobiles,
    find_bare_waybills,
    find_addresses,
    find_labelled_names,
    find_titled_names,
)
