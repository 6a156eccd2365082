"""Start a new case or manual from a template, with the next free id in its series."""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path

import yaml

from casebook.content.model import CASE_SECTIONS, FIELDS, FIELDS_BY_NAME, ID_PATTERN
from casebook.content.taxonomy import Taxonomy, Term
from casebook.errors import ConfigError

MANUAL_CODE = "SC"
MANUAL_DIR = "manuals"
TITLE_PLACEHOLDER = "（请填写标题）"
OUTCOME_PLACEHOLDER = "（请选择处理结果）"

# Every placeholder the templates write has this shape, so editors (and a check rule, if one
# is wanted) can find the ones still left: grep -rn '（请' cases/
PLACEHOLDER = re.compile(r"（请(?:填写|选择)[^）\n]*）")

# What each field means, for editors reading a template. FIELDS' help is English (it feeds
# messages); the template is read by editors, so it speaks Chinese. A test keeps this in step
# with FIELDS. The allowed values of choice fields are appended from the taxonomy.
FIELD_HINTS = {
    "id": "唯一编号，只用字母、数字和连字符；已自动分配，发布后不要再改",
    "title": "问题加关键情节，如：未经同意投放智能快件箱后丢失，企业全额赔偿",
    "type": "case 表示案例，manual 表示处理手册",
    "category": "一级类别",
    "subcategory": "细分原因，自由填写，如 虚假签收、中转或运输延误",
    "service": "业务类型",
    "outcome": "处理结果",
    "date": "申诉办结日期 YYYY-MM-DD（已预填今天，请改为实际办结日期）",
    "region": "省市，如 浙江省杭州市；最多写到区县",
    "channel": "申诉渠道，如 12305电话、申诉网站、微信公众号、书信、12345转办",
    "amount": "支付给用户的金额（元），只写数字，如 260 或 99.5",
    "insured": "是否保价：true 或 false",
    "legal_basis": "法律依据列表，写明版本年份和条款，如 [《快递暂行条例》(2018) 第二十七条]",
    "tags": "关键词列表，如 [智能快件箱, 丢失]",
    "summary": "一两句话概括案情和处理结果",
    "related": "相关案例编号列表，如 [TD-2023-001]",
}

SECTION_PROMPTS = {
    "基本案情": "（请填写：用户（只写姓氏加先生或女士）、地区（写到区县）、何时寄递了什么、出了什么问题、用户有何诉求。）",
    "处理过程": "（请填写：用户何时向企业投诉、企业如何答复，何时向申诉中心申诉，转办、核查和调解的经过。）",
    "处理结果": "（请填写：最终结果，赔偿、补偿或退费的金额及计算依据，用户是否接受。）",
    "案例评析": "（请填写：适用的法规（写明版本年份和条款）、责任如何认定、处理人员可借鉴之处。）",
}

MANUAL_FIELDS = ("id", "title", "type", "date", "tags", "summary", "related")
MANUAL_HINTS = {
    "title": "手册标题，如 申诉受理与转办流程",
    "date": "修订日期 YYYY-MM-DD（已预填今天）",
    "summary": "一两句话概括本手册的内容",
    "related": "相关案例或手册编号列表，如 [SC-001]",
}
MANUAL_SECTIONS = {
    "适用范围": "（请填写：本节适用于哪类申诉、哪个环节。每一节都应能单独阅读，检索结果会直接落到节上。）",
    "操作步骤": "（请填写：按顺序列出处理步骤、时限和需要核对的材料。）",
    "注意事项": "（请填写：常见错误、易混淆的情形和答复用语要求。）",
}


def new_case(
    cases_dir: Path,
    taxonomy: Taxonomy,
    category: str | None,
    title: str | None = None,
    manual: bool = False,
    today: date | None = None,
) -> Path:
    """Write a new case (or manual) file from the template and return its path.

    The case gets the next id in its category's series, `<code>-<year>-<NNN>`, in
    `cases/<dir>/`; a manual gets the next `SC-NNN` in `cases/manuals/`. Numbers continue
    after the highest id in use, counting file names and `id:` lines alike, and never
    fill gaps: a gap is usually a withdrawn case whose id may still be cited.

    Every field of FIELDS is written in declaration order with a `# 必填：…` or `# 可选：…`
    comment; optional ones are left empty, which check accepts. id, type, category and
    date (today) are filled in. The title is the one given, or `（请填写标题）`, which
    passes check. The outcome cannot be known when a case is started, and any real value
    would be a guess that passes check and gets published unnoticed, so it is the marked
    placeholder `（请选择处理结果）`: check then reports exactly one error for a fresh case,
    at the outcome's line and column, listing the allowed outcomes; the pre-commit hook
    keeps the unfinished case out of the repository until the editor picks one. All four
    body sections are present (no warnings), each with a `（请填写：…）` prompt. A fresh
    manual passes check with no problems.

    Raise ConfigError for a missing or unknown category, or a category whose taxonomy
    entry lacks the `code` or `dir` a new case needs.
    """
    cases_dir = Path(cases_dir)
    if not cases_dir.is_dir():
        raise ConfigError(f"cases directory not found: {cases_dir}")
    today = today or date.today()
    title = " ".join((title or "").split()) or TITLE_PLACEHOLDER
    if manual:
        if category:
            raise ConfigError("a manual has no category: leave out the category for a new manual")
        case_id = next_id(cases_dir, MANUAL_CODE)
        path = cases_dir / MANUAL_DIR / f"{case_id}.md"
        text = _manual_text(case_id, title, taxonomy, today)
    else:
        term = find_category(taxonomy, category)
        case_id = next_id(cases_dir, term.code, today.year)
        path = cases_dir / term.dir / f"{case_id}.md"
        text = _case_text(case_id, title, term, taxonomy, today)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as out:
            out.write(text)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; run the command again for the next id") from None
    return path


def find_category(taxonomy: Taxonomy, category: str | None) -> Term:
    """Return the taxonomy category named by its name, id code or folder; raise ConfigError."""
    names = taxonomy.choices("categories")
    if not category or not category.strip():
        raise ConfigError(f"a new case needs a category: one of ({', '.join(names)})")
    wanted = category.strip()
    term = next(
        (t for t in taxonomy.categories if wanted in (t.name, t.dir) or (t.code and wanted.upper() == t.code.upper())),
        None,
    )
    if term is None:
        by_key = {t.name: t.name for t in taxonomy.categories} | {t.code: t.name for t in taxonomy.categories if t.code}
        near = difflib.get_close_matches(wanted, by_key, n=1, cutoff=0.3)
        hint = f"; did you mean '{by_key[near[0]]}'?" if near else ""
        raise ConfigError(f"category: expected one of ({', '.join(names)}) but received: '{wanted}'{hint}")
    for key, example in (("code", "code: YW"), ("dir", "dir: delay")):
        if not getattr(term, key):
            raise ConfigError(
                f"category '{term.name}' has no '{key}' in taxonomy.yaml; add one (e.g. {example}) to start new cases in it"
            )
    if not ID_PATTERN.match(term.code):
        raise ConfigError(f"category '{term.name}': code must be letters and digits but received: '{term.code}'")
    return term


def next_id(cases_dir: Path, code: str, year: int | None = None) -> str:
    """Return the next free id `<code>-<year>-<NNN>` (or `<code>-<NNN>` without a year)."""
    prefix = f"{code}-{year}-" if year is not None else f"{code}-"
    series = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = [int(m.group(1)) for m in map(series.fullmatch, existing_ids(cases_dir)) if m]
    return f"{prefix}{max(numbers, default=0) + 1:03d}"


def existing_ids(cases_dir: Path) -> set[str]:
    """Return every id in use under the cases directory: file names and `id:` lines."""
    ids: set[str] = set()
    for path in cases_dir.rglob("*.md"):
        ids.add(path.stem)
        found = _front_matter_id(path)
        if found:
            ids.add(found)
    return ids


_ID_LINE = re.compile(r"""id:[ \t]*(["']?)([A-Za-z0-9][A-Za-z0-9-]*)\1[ \t]*(?:#.*)?""")


def _front_matter_id(path: Path) -> str | None:
    """Return the `id:` of a file's front matter, read leniently: broken files still hold ids."""
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None
    for line in lines[1:]:
        if line.rstrip() in ("---", "..."):
            break
        match = _ID_LINE.fullmatch(line.rstrip())
        if match:
            return match.group(2)
    return None


def find_placeholders(text: str) -> list[tuple[int, int, str]]:
    """Return (line, column, text) of every template placeholder still left in a file."""
    return [
        (number, match.start() + 1, match.group())
        for number, line in enumerate(text.split("\n"), start=1)
        for match in PLACEHOLDER.finditer(line)
    ]


def _case_text(case_id: str, title: str, term: Term, taxonomy: Taxonomy, today: date) -> str:
    """Return the text of a new case file."""
    values = {
        "id": case_id,
        "title": title,
        "type": "case",
        "category": term.name,
        "outcome": OUTCOME_PLACEHOLDER,
        "date": today.isoformat(),
    }
    lines = ["---"]
    lines += [_field_line(spec.name, values.get(spec.name), taxonomy, "case") for spec in FIELDS]
    lines += ["---", ""]
    for section in CASE_SECTIONS:
        lines += [f"## {section}", "", SECTION_PROMPTS[section], ""]
    return "\n".join(lines)


def _manual_text(case_id: str, title: str, taxonomy: Taxonomy, today: date) -> str:
    """Return the text of a new manual file."""
    values = {"id": case_id, "title": title, "type": "manual", "date": today.isoformat()}
    lines = ["---"]
    lines += [_field_line(name, values.get(name), taxonomy, "manual") for name in MANUAL_FIELDS]
    lines += ["---", ""]
    for section, prompt in MANUAL_SECTIONS.items():
        lines += [f"## {section}", "", prompt, ""]
    return "\n".join(lines)


def _field_line(name: str, value: str | None, taxonomy: Taxonomy, kind: str) -> str:
    """Return one front-matter line: the value (or nothing) and a comment saying what it is."""
    spec = FIELDS_BY_NAME[name]
    needed = spec.required == "always" or spec.required == kind
    hint = (MANUAL_HINTS if kind == "manual" else {}).get(name, FIELD_HINTS[name])
    if spec.choices:
        hint += "，取值：" + "、".join(taxonomy.choices(spec.choices))
    comment = f"# {'必填' if needed else '可选'}：{hint}"
    if value is None:
        return f"{name}:  {comment}"
    return f"{name}: {_scalar(value)}  {comment}"


def _scalar(value: str) -> str:
    """Return value as a YAML scalar on one line, quoted only when YAML needs it."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value  # dates stay text: Casebook's loader does not resolve timestamps
    dumped = yaml.safe_dump(value, allow_unicode=True, width=float("inf"))
    return dumped.removesuffix("\n...\n").removesuffix("\n")
