"""The case record and the one declaration of its front-matter fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# The four sections of a case body, with the index field each one feeds.
CASE_SECTIONS = {
    "基本案情": "facts",
    "处理过程": "process",
    "处理结果": "result",
    "案例评析": "analysis",
}


@dataclass(frozen=True)
class FieldSpec:
    """One front-matter field: its name, value kind, whether required, and its meaning."""

    name: str
    kind: str  # text | id | date | number | bool | list | idlist | choice
    required: str  # "always", "case" (required for cases only) or "no"
    help: str
    choices: str | None = None  # the taxonomy list the value must come from
    label: str = ""  # Chinese label for the site and the handouts


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", "id", "always", "unique, stable; letters, digits and dashes", label="编号"),
    FieldSpec("title", "text", "always", "problem and key plot point, in Chinese", label="标题"),
    FieldSpec("type", "choice", "no", "`case` (default) or `manual`", "types", label="类型"),
    FieldSpec("category", "choice", "case", "one of the taxonomy's categories", "categories", label="类别"),
    FieldSpec("subcategory", "text", "no", "free text, e.g. 虚假签收", label="细分原因"),
    FieldSpec("service", "choice", "no", "快递服务 or 邮政服务", "services", label="业务"),
    FieldSpec("outcome", "choice", "case", "one of the taxonomy's outcomes", "outcomes", label="处理结果"),
    FieldSpec("date", "date", "case", "YYYY-MM-DD, when the appeal was closed", label="结案日期"),
    FieldSpec("region", "text", "no", "province and city, e.g. 浙江省杭州市", label="地区"),
    FieldSpec("channel", "text", "no", "12305电话, 申诉网站, 微信公众号, 书信, 12345转办 …", label="申诉渠道"),
    FieldSpec("amount", "number", "no", "yuan paid to the user", label="金额（元）"),
    FieldSpec("insured", "bool", "no", "true/false: whether the item was insured (保价)", label="保价"),
    FieldSpec("legal_basis", "list", "no", "list of 《law》(edition) article", label="法律依据"),
    FieldSpec("tags", "list", "no", "list of keywords", label="标签"),
    FieldSpec("summary", "text", "no", "one or two sentences", label="摘要"),
    FieldSpec("related", "idlist", "no", "list of other case ids", label="相关案例"),
)

FIELDS_BY_NAME = {spec.name: spec for spec in FIELDS}
TYPES = ("case", "manual")


@dataclass(frozen=True)
class Section:
    """A `##` section of a body: its heading, stable anchor, text and first line."""

    title: str
    anchor: str
    text: str
    line: int


@dataclass
class Case:
    """A validated case or manual, as read from one file."""

    id: str
    title: str
    path: str
    type: str = "case"
    category: str | None = None
    subcategory: str | None = None
    service: str | None = None
    outcome: str | None = None
    date: str | None = None
    region: str | None = None
    channel: str | None = None
    amount: float | None = None
    insured: bool | None = None
    legal_basis: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    related: list[str] = field(default_factory=list)
    body: str = ""
    sections: list[Section] = field(default_factory=list)
    digest: str = ""
    lines: dict[str, int] = field(default_factory=dict, repr=False)  # field name -> line

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    @property
    def province(self) -> str | None:
        return province_of(self.region)

    def section_text(self, title: str) -> str:
        """Return the text of the section with this heading, or ''."""
        for section in self.sections:
            if section.title == title:
                return section.text
        return ""

    def front_matter(self) -> dict:
        """Return the declared fields that carry a value, in declaration order."""
        out = {}
        for spec in FIELDS:
            value = getattr(self, spec.name)
            if value not in (None, [], ""):
                out[spec.name] = value
        return out


_PROVINCE = re.compile(r"^(.{2,8}?(?:省|自治区|特别行政区)|北京市|上海市|天津市|重庆市)")


def province_of(region: str | None) -> str | None:
    """Return the province-level part of a region such as 浙江省杭州市."""
    if not region:
        return None
    match = _PROVINCE.match(region)
    return match.group(1) if match else region


def anchor_for(title: str) -> str:
    """Return a stable URL fragment for a section heading."""
    return re.sub(r"[\s#?&/\\'\"<>%]+", "-", title.strip()).strip("-") or "section"
