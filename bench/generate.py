"""Generate a synthetic knowledge base of N cases by recombining the shipped sample cases.

Run from the repository root:

    .venv/bin/python bench/generate.py --n 20000 [--seed 1] --out bench/out/kb-20000

The output is a self-contained case tree: `taxonomy.yaml` and `vocabulary/` copied from the
source tree, the source manuals copied once, and N case files spread over the category folders
the taxonomy names. Every generated case has

- a unique id `<CODE>-<year>-<NNNNN>` (the serial counts per code and year);
- front matter drawn from the samples' distributions: category, outcome, service, channel,
  region, insured and year as the samples have them; the subcategory, tags, title and summary
  from samples of the same category; the amount from a sample with the same outcome, jittered;
  `related` only to earlier generated ids (or omitted);
- the four body sections, each of 2-6 sentences (split on 。！？) drawn from the same section of
  the samples, mostly of the same category, trimmed so the body is about 1.5-2 KB like the
  samples' bodies.

The same source tree and seed give byte-identical output; `cases()` yields an unbounded,
deterministic stream, so the first N of a larger run are the cases of a smaller one.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casebook.content.loader import load_tree  # noqa: E402
from casebook.content.model import CASE_SECTIONS, Case  # noqa: E402
from casebook.content.taxonomy import TAXONOMY_FILE, Taxonomy, load_taxonomy  # noqa: E402
from casebook.content.tree import find_files  # noqa: E402
from casebook.errors import display_path  # noqa: E402

DEFAULT_SOURCE = ROOT / "cases"
SECTIONS = tuple(CASE_SECTIONS)  # 基本案情, 处理过程, 处理结果, 案例评析
SENTENCE = re.compile(r"[^。！？]+[。！？]+[”’」』）)]*|[^。！？]+$")
CLAUSE = re.compile(r"[，；]")
SAME_CATEGORY = 0.7  # share of body sentences taken from samples of the same category
SENTENCE_COUNTS = (2, 3, 4, 5, 6)
SENTENCE_WEIGHTS = (3, 4, 3, 2, 1)
BODY_BYTES = (1500, 2000)  # the samples' bodies are 1.4-2.1 KB
RELATED_SHARE = 0.3  # half the samples relate to one other case; fewer here, to earlier ids only
# YAML plain scalars must not contain these; anything that does is written JSON-quoted.
_YAML_SPECIAL = re.compile(
    r"[:#\[\]{},&*!|>'\"%@`\\]|^[-?\s]|\s$|^(?:y|n|yes|no|true|false|on|off|null|~)$|^[-+.\d]", re.I
)


@dataclass
class Samples:
    """The shipped cases, cut into the pieces generated cases are built from."""

    taxonomy: Taxonomy
    cases: list[Case]
    manuals: list[Path]
    sentences: dict[str, list[str]] = field(default_factory=dict)  # section -> all its sentences
    by_category: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (category, section) -> sentences


def split_sentences(text: str) -> list[str]:
    """Split Chinese prose after 。！？ (keeping closing quotes with their sentence)."""
    return [s.strip() for s in SENTENCE.findall(text.replace("\n", "")) if s.strip()]


def load_samples(source: Path = DEFAULT_SOURCE) -> Samples:
    """Load and cut up the sample cases of a source tree (which must check clean)."""
    taxonomy = load_taxonomy(source)
    loaded = load_tree(source, taxonomy)
    errors = [p for p in loaded.problems if p.is_error]
    if errors:
        raise SystemExit("the source tree has errors:\n" + "\n".join(map(str, errors)))
    cases = [c for c in loaded.cases if c.type == "case"]
    real = {display_path(p): p for p in find_files(source)}
    samples = Samples(taxonomy, cases, [real[c.path] for c in loaded.cases if c.type == "manual"])
    for case in cases:
        for section in SECTIONS:
            pieces = split_sentences(case.section_text(section))
            samples.sentences.setdefault(section, []).extend(pieces)
            samples.by_category.setdefault((case.category, section), []).extend(pieces)
    return samples


def cases(samples: Samples, seed: int) -> Iterator[tuple[str, str]]:
    """Yield (path relative to the tree, file text) for an unbounded stream of cases."""
    import random

    rng = random.Random(seed)
    cases_ = samples.cases
    folders = {t.name: (t.code, t.dir) for t in samples.taxonomy.categories}
    same_category = {name: [c for c in cases_ if c.category == name] for name in folders}
    same_outcome = {o.name: [c for c in cases_ if c.outcome == o.name] for o in samples.taxonomy.outcomes}
    pools = {
        "category": [c.category for c in cases_],
        "outcome": [c.outcome for c in cases_],
        "service": [c.service for c in cases_],
        "channel": [c.channel for c in cases_],
        "region": [c.region for c in cases_],
        "insured": [c.insured for c in cases_],
        "year": [c.date[:4] for c in cases_],
        "legal": [basis for c in cases_ for basis in c.legal_basis],  # weighted by use
        "legal_count": [len(c.legal_basis) for c in cases_],
    }
    serials: Counter = Counter()
    ids_by_category: dict[str, list[str]] = {name: [] for name in folders}
    while True:
        category = rng.choice(pools["category"])
        outcome = rng.choice(pools["outcome"])
        year = rng.choice(pools["year"])
        code, folder = folders[category]
        serials[(code, year)] += 1
        case_id = f"{code}-{year}-{serials[(code, year)]:05d}"
        kin = same_category[category] or cases_
        first, second = rng.choice(kin), rng.choice(kin)
        peer = rng.choice(same_outcome[outcome] or cases_)
        fields = {
            "id": case_id,
            "title": _title(rng, first, second),
            "type": "case",
            "category": category,
            "subcategory": rng.choice(kin).subcategory,
            "service": rng.choice(pools["service"]),
            "outcome": outcome,
            "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "region": rng.choice(pools["region"]),
            "channel": rng.choice(pools["channel"]),
            "amount": _amount(rng, peer.amount),
            "insured": rng.choice(pools["insured"]),
            "legal_basis": _distinct(rng, pools["legal"], rng.choice(pools["legal_count"])),
            "tags": _tags(rng, kin),
            "summary": _summary(rng, first, peer),
            "related": _related(rng, ids_by_category[category]),
        }
        ids_by_category[category].append(case_id)
        text = _front_matter(fields) + "\n" + _body(rng, samples, category)
        yield f"{folder}/{case_id}.md", text


def _title(rng, first: Case, second: Case) -> str:
    head = CLAUSE.split(first.title)[0]
    tail = CLAUSE.split(second.title)[1:] or CLAUSE.split(second.title)
    return "，".join([head, *tail[: rng.randint(1, 2)]])


def _summary(rng, first: Case, peer: Case) -> str | None:
    if not first.summary or not peer.summary:
        return first.summary or peer.summary
    head = re.split(r"[；。]", first.summary)[0]
    tail = [p for p in re.split(r"[；。]", peer.summary) if p][-1]
    return head + "；" + tail + "。" if head != tail else head + "。"


def _amount(rng, sample: float | None) -> float | int | None:
    if sample is None:
        return None
    value = round(sample * rng.uniform(0.5, 1.5))
    return max(value, 1)


def _distinct(rng, pool: list[str], count: int) -> list[str]:
    out: list[str] = []
    for _ in range(count * 3):
        if len(out) == count:
            break
        item = rng.choice(pool)
        if item not in out:
            out.append(item)
    return out


def _tags(rng, kin: list[Case]) -> list[str]:
    pool = [tag for case in kin for tag in case.tags]
    return _distinct(rng, pool, rng.randint(3, 7)) if pool else []


def _related(rng, earlier: list[str]) -> list[str]:
    if not earlier or rng.random() >= RELATED_SHARE:
        return []
    window = earlier[-500:]  # recent cases of the same category, like an editor would cite
    return _distinct(rng, window, rng.randint(1, 2))


def _body(rng, samples: Samples, category: str) -> str:
    chosen: list[list[str]] = []
    for section in SECTIONS:
        own = samples.by_category.get((category, section)) or samples.sentences[section]
        count = rng.choices(SENTENCE_COUNTS, SENTENCE_WEIGHTS)[0]
        picked: list[str] = []
        while len(picked) < count:
            pool = own if rng.random() < SAME_CATEGORY else samples.sentences[section]
            sentence = rng.choice(pool)
            if sentence not in picked or len(set(pool)) <= count:
                picked.append(sentence)
        chosen.append(picked)
    target = rng.randint(*BODY_BYTES)
    while _size(chosen) > target:
        longest = max(range(len(chosen)), key=lambda i: (len(chosen[i]), -i))
        if len(chosen[longest]) <= 2:
            break
        chosen[longest].pop()
    return "\n".join(f"## {section}\n\n{''.join(s)}\n" for section, s in zip(SECTIONS, chosen))


def _size(chosen: list[list[str]]) -> int:
    return sum(len(s.encode("utf-8")) for section in chosen for s in section) + 60


def _front_matter(fields: dict) -> str:
    lines = ["---"]
    for name, value in fields.items():
        if value is None or value == [] or value == "":
            continue
        if isinstance(value, bool):
            lines.append(f"{name}: {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{name}: {value}")
        elif name == "legal_basis":
            lines.append(f"{name}:")
            lines.extend(f"  - {_scalar(item)}" for item in value)
        elif isinstance(value, list):
            lines.append(f"{name}: [{', '.join(_scalar(item) for item in value)}]")
        elif name == "date":
            lines.append(f"{name}: {value}")
        else:
            lines.append(f"{name}: {_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _scalar(value: str) -> str:
    """Write text as a YAML plain scalar when that is safe, else double-quoted (JSON is YAML)."""
    value = str(value)
    return json.dumps(value, ensure_ascii=False) if _YAML_SPECIAL.search(value) else value


def write_tree(out: Path, n: int, seed: int, source: Path = DEFAULT_SOURCE, samples: Samples | None = None) -> dict:
    """Write a tree of n generated cases plus the source manuals; return a summary."""
    started = time.perf_counter()
    samples = samples or load_samples(source)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copy2(source / TAXONOMY_FILE, out / TAXONOMY_FILE)
    shutil.copytree(source / "vocabulary", out / "vocabulary")
    for term in samples.taxonomy.categories:
        (out / term.dir).mkdir(exist_ok=True)
    total_bytes = 0
    stream = cases(samples, seed)
    for _ in range(n):
        rel, text = next(stream)
        data = text.encode("utf-8")
        (out / rel).write_bytes(data)
        total_bytes += len(data)
    for manual in samples.manuals:
        target = out / manual.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(manual, target)
    return {
        "cases": n,
        "manuals": len(samples.manuals),
        "seed": seed,
        "bytes": total_bytes,
        "mean_case_bytes": round(total_bytes / max(n, 1)),
        "seconds": round(time.perf_counter() - started, 2),
    }


def extra_cases(samples: Samples, seed: int, skip: int, count: int) -> list[tuple[str, str]]:
    """Return cases number skip+1 .. skip+count of the stream: new ids that relate only to earlier ones."""
    stream = cases(samples, seed)
    for _ in range(skip):
        next(stream)
    return [next(stream) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, required=True, help="number of cases to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the tree to (replaced)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="sample tree (default: cases/)")
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("--n must be zero or more")
    summary = write_tree(args.out, args.n, args.seed, args.source)
    print(
        f"wrote {summary['cases']} cases and {summary['manuals']} manuals to {args.out} "
        f"({summary['bytes'] / 1e6:.1f} MB, {summary['mean_case_bytes']} bytes per case) in {summary['seconds']:.1f}s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
