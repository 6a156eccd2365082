"""A pasted complaint read for its key terms, to be searched as more-like-this.

A handler often pastes the complainant's paragraph whole. Matching most of its forty words
finds nothing; matching any of them finds everything. Like Lucene's MoreLikeThis, the
paragraph is cut into words, the complainant's filler is dropped, and the words that are
frequent in the paragraph but rare in the knowledge base (tf × idf against the index) stand
for it.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from casebook.content.vocabulary import Vocabulary
from casebook.index.analysis import STOPWORDS, Segmenter, normalise
from casebook.search.syntax import Clause

PARAGRAPH_CHARS = 30  # a query at least this long (without syntax) is read as a paragraph
PARAGRAPH_WORDS = 8  # … or one of at least this many words
MAX_KEY_TERMS = 12
COMMON_SHARE = 0.5  # a word in more than this share of the documents says little

# How complainants talk around the facts: pronouns, time words, verbs of narration, softeners.
# Domain words (快递, 签收, 赔偿) are never here: idf decides how much they weigh.
FILLER = frozenset(
    """
    我 我们 你 您 他 他们 她 她们 它 咱 咱们 人家 大家 本人 自己 对方 这边 那边 这里 那里 这样 那样 这么 那么
    就是 结果 然后 而且 可是 不过 只是 还是 或者 于是 所以 因此 其实 反正 简直 真的 实在 特别 非常 十分 太 挺 好像
    一直 一下 一点 一些 有点 有些 总是 经常 终于 居然 竟然 根本 完全 当时 当天 后来 之后 之前 以后 以前 现在 今天
    昨天 前天 明天 上午 下午 晚上 早上 中午 号 月 日 年 天 小时 分钟 时候 时间 期间 最后 最近 刚才 马上 立刻
    说 问 讲 告诉 表示 称 觉得 认为 知道 希望 想 想要 需要 应该 必须 只能 只好 能 会 可能 肯定 一定 还有 没什么
    东西 事情 事 情况 问题 这件 那件 这种 那种 一次 多次 几次 好几 好多 很多 所有 任何 其他 另外 各种 怎样
    麻烦 谢谢 您好 你好 请 帮忙 帮 一下子 弄 搞 办 去 来 到底 究竟 为啥 咋 呢 嘛 啦 哦 哈 唉 呃 嗯
    上周 下周 本周 这周 上个月 这个月 星期 周末 不管 直接 公司 人员 那个 这个 一个 两个 几个 回来 出去 回去
    还要 还得 还是 网上 线上 先付 去取 拿到 收到了 买的 买了 发现 看到 打开 出来 起来 下来 过来 过去 不了 不到 没法
    这是 那是 块钱 我要 这笔 那笔 一看 干脆 里面 外面 好好 好几 几句 就让 一个多 太少 太多 一样 这次 那次 上次 下次 每次
    """.split()
)
# Spans of time (两天, 三个月, 10小时) narrate, they do not identify a precedent: 7日 and 30日 as
# time limits are kept, since the identifier rule makes them one token ending in 日.
_DURATION = re.compile(r"^[一二三四五六七八九十两几半多\d]+(?:天|周|个月|月|年|小时|分钟|个小时)$")
# Counts and pointers (一箱, 三十, 两双, 第三次, 这箱, 半个) say how many or which, not what.
_QUANTITY = re.compile(
    r"^(?:[第这那每哪]?[一二三四五六七八九十两几半百千万零〇\d]+|[这那每哪])[个只件箱双次块元斤份包袋盒台条张把趟回遍天号分毛角钱]*$"
)
VOCABULARY_BOOST = 2.0  # a word editors listed (user dictionary, synonym group) is a domain word
# How common a word is in general Chinese writing (its idf over jieba's general corpus, from
# common_words.txt) says whether it narrates (才能, 重新, 附近) or names a subject (翡翠, 牛排).
# A word rarer than GENERAL_IDF_FULL there keeps its weight; commoner words weigh less, down
# to GENERAL_WEIGHT_FLOOR. This, not a minimum document frequency, keeps narration out: the
# one case that mentions 翡翠 is exactly the precedent a paragraph about a jade bangle wants.
GENERAL_IDF_FULL = 8.0
GENERAL_IDF_ZERO = 4.0
GENERAL_WEIGHT_FLOOR = 0.25
ONE_CHARACTER_WEIGHT = 0.5  # one character carries less meaning than a word, even when rare
COMMON_WORDS = Path(__file__).with_name("common_words.txt")


@dataclass(frozen=True)
class KeyTerm:
    """A word that stands for a paragraph, with its weight (1.0 for the strongest)."""

    word: str
    weight: float


@functools.lru_cache(maxsize=1)
def _general_idf() -> dict[str, float]:
    out = {}
    with COMMON_WORDS.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip() and not line.startswith("#"):
                word, _, idf = line.rstrip("\n").rpartition(" ")
                out[word] = float(idf)
    return out


def generality_weight(word: str) -> float:
    """Return how much a word outside the vocabulary weighs, by how rare it is in general writing."""
    if len(word) == 1:
        return ONE_CHARACTER_WEIGHT
    idf = _general_idf().get(word)
    if idf is None:
        return 1.0  # not in jieba's general corpus: a rare or specialised word
    share = (idf - GENERAL_IDF_ZERO) / (GENERAL_IDF_FULL - GENERAL_IDF_ZERO)
    return min(1.0, max(GENERAL_WEIGHT_FLOOR, share))


@functools.lru_cache(maxsize=4)
def domain_words(vocabulary: Vocabulary) -> frozenset[str]:
    """Return the vocabulary's words and synonyms, normalised: the knowledge base's own terms."""
    words = {normalise(w) for w, _ in vocabulary.words} | {normalise(m) for g in vocabulary.groups for m in g}
    return frozenset(words)


def is_paragraph(text: str, clauses: list[Clause], words: int) -> bool:
    """Say whether a query reads as a pasted paragraph rather than typed keywords."""
    if any(c.phrase or c.scope or c.negated or c.required for c in clauses):
        return False  # query syntax is typed on purpose: honour it word for word
    compact = "".join(text.split())
    return len(compact) >= PARAGRAPH_CHARS or words >= PARAGRAPH_WORDS


def key_terms(
    text: str,
    segmenter: Segmenter,
    document_frequency: Callable[[str], int],
    documents: int,
    domain: frozenset[str] = frozenset(),
) -> tuple[list[KeyTerm], list[str]]:
    """Return the paragraph's key terms, strongest first, and the words no document holds.

    `domain` holds the vocabulary's words (normalised), which weigh more than other words.
    """
    counts: dict[str, int] = {}
    for word in segmenter.words(normalise(text), search=False):
        if word.text in STOPWORDS or word.text in FILLER or _DURATION.match(word.text):
            continue
        if _QUANTITY.match(word.text) and word.text not in domain:
            continue  # a sum or a count (15, 300, 一箱) is not what a precedent is about; 12305 is listed
        if len(word.text) == 1 and word.text not in domain:
            continue  # 放, 打: one character outside the vocabulary is narration, 丢 and 柜 are listed
        counts[word.text] = counts.get(word.text, 0) + 1
        if word.text not in domain and len(word.text) <= 3:
            # 碎成, 丢在: the segmenter glued a listed one-character word (碎, 丢) to narration.
            for char in dict.fromkeys(word.text):
                if char in domain:
                    counts[char] = counts.get(char, 0) + 1
    scored: list[tuple[float, str]] = []
    unknown: list[str] = []
    for word, tf in counts.items():
        df = document_frequency(word)
        if not df:
            unknown.append(word)
            continue
        if documents > 20 and df > COMMON_SHARE * documents:
            continue
        idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
        if word in domain:
            idf *= VOCABULARY_BOOST * (ONE_CHARACTER_WEIGHT if len(word) == 1 else 1.0)
        else:
            idf *= generality_weight(word)
        scored.append(((1 + math.log(tf)) * idf, word))
    scored.sort(key=lambda item: (-item[0], item[1]))
    top = scored[:MAX_KEY_TERMS]
    best = top[0][0] if top else 1.0
    return [KeyTerm(word, round(max(0.3, value / best), 3)) for value, word in top], unknown
