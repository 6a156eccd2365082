"""Turn a case into the index documents that represent it."""

from __future__ import annotations

import json

from casebook.content.model import CASE_SECTIONS, Case
from casebook.index.analysis import SECTION_BREAK
from casebook.index.schema import SECTIONS


def to_documents(case: Case) -> list[dict]:
    """Return the index documents of a case (one) or a manual (the whole, then each section)."""
    meta = json.dumps(case.front_matter(), ensure_ascii=False)
    common = {
        "id": case.id,
        "type": case.type,
        "path": case.path,
        "title": case.title,
        "date": case.date or "",
        "year": case.year or 0,
        "region": case.region or "",
        "legal": ",".join(case.legal_basis),
        "tag": ",".join(case.tags),
        "related": ",".join(case.related),
        "amount": round(case.amount * 100) if case.amount is not None else -1,
    }
    for name in ("category", "outcome", "service", "province", "channel"):
        value = getattr(case, name)
        if value:
            common[name] = value
    if case.insured is not None:
        common["insured"] = "是" if case.insured else "否"
    whole = dict(common, key=case.id, meta=meta, body=case.body)
    if case.type == "case":
        whole.update(kind="case", summary=case.summary or "", tags=" ".join(case.tags + case.legal_basis))
        other = []
        for section in case.sections:
            field = CASE_SECTIONS.get(section.title)
            if field:
                whole[field] = (whole.get(field, "") + "\n" + section.text).strip()
            else:
                other.append(f"{section.title}\n{section.text}")
        if other:
            whole["content"] = "\n\n".join(other)
        whole["text"] = SECTION_BREAK.join(whole.get(name, "") for name in SECTIONS)
        return [whole]
    # A manual is found through its sections; the whole file is kept for its page.
    whole.update(kind="manual")
    docs = [whole]
    for section in case.sections:
        docs.append(
            dict(
                common,
                key=f"{case.id}#{section.anchor}",
                kind="section",
                section=section.title,
                anchor=section.anchor,
                summary=section.title,
                tags=" ".join(case.tags + case.legal_basis),
                content=section.text,
                text=SECTION_BREAK * SECTIONS.index("content") + section.text,
            )
        )
    return docs
