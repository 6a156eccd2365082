"""The site's error messages in Chinese.

The library's messages stay in English for the command line and the JSON API (they name
the parameter and the value received); a page a user sees says the same in Chinese.
"""

from __future__ import annotations

import re

from casebook.errors import NotFoundError, QueryError

PARAM_LABELS = {
    "q": "关键词",
    "within": "结果中检索",
    "page": "页码",
    "per_page": "每页条数",
    "sort": "排序方式",
    "match": "匹配方式",
    "year_from": "起始年份",
    "year_to": "截止年份",
    "amount_min": "最低金额",
    "amount_max": "最高金额",
    "category": "类别",
    "outcome": "处理结果",
    "type": "类型",
    "service": "业务",
    "province": "省份",
    "channel": "申诉渠道",
    "insured": "保价",
    "id": "案例编号",
    "format": "格式",
}
EXPECTED = {
    "page": "从 1 开始的整数",
    "per_page": "1 到 100 之间的整数",
    "sort": "相关度、日期或金额排序之一",
    "match": "auto、any 或 all",
    "year_from": "四位年份，例如 2023",
    "year_to": "四位年份，例如 2023",
    "amount_min": "以元计的金额，例如 500",
    "amount_max": "以元计的金额，例如 500",
    "type": "案例（case）或手册（manual）",
    "format": "html、docx 或 offline",
}
HTTP_MESSAGES = {
    400: "请求有误，请检查网址或表单。",
    404: "没有这个页面。请检查网址，或从首页检索。",
    405: "不支持这种请求方式。",
    413: "提交的内容太大。",
    500: "服务器内部错误，请稍后再试。",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_RECEIVED = re.compile(r"received: '?(?P<value>.*?)'?$")
_CHOICES = re.compile(r"expected one of \((?P<choices>[^)]*)\)")
_UNKNOWN_ID = re.compile(r"no (?:case|case or manual) has the id '?(?P<id>[^']*)'?")


def query_message(exc: QueryError) -> str:
    """Return a bad parameter's message in Chinese: which one, what was received, what is expected."""
    text = str(exc)
    label = PARAM_LABELS.get(exc.param or "", "参数")
    if _CJK.search(text):  # the site's own messages: name the parameter in Chinese too
        name, sep, rest = text.partition("：")
        return f"{PARAM_LABELS[name]} {text}" if sep and name == exc.param and name in PARAM_LABELS else text
    if exc.param == "id":
        unknown = _UNKNOWN_ID.search(text)
        return f"没有编号为“{unknown['id']}”的案例。" if unknown else "请选择 1 到 200 个案例。"
    received = _RECEIVED.search(text)
    choices = _CHOICES.search(text)
    expected = "、".join(choices["choices"].split(", ")) if choices else EXPECTED.get(exc.param or "", "")
    out = f"{label}有误"
    if received:
        out += f"：收到的是“{received['value']}”"
    if expected:
        out += f"，应为{'以下之一：' if choices else ''}{expected}"
    return out + "。"


def not_found_message(exc: NotFoundError) -> str:
    """Return a missing case's message in Chinese."""
    unknown = _UNKNOWN_ID.search(str(exc))
    return f"没有编号为“{unknown['id']}”的案例或手册。" if unknown else HTTP_MESSAGES[404]


def http_message(status: int, description: str | None) -> str:
    """Return an HTTP error's message: our own Chinese description, or a Chinese stock one."""
    if description and _CJK.search(description):
        return description
    return HTTP_MESSAGES.get(status) or ("请求有误。" if status < 500 else HTTP_MESSAGES[500])
