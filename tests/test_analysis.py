"""Analysis: normalisation keeps length, dictionary words stay whole, positions are ordinal."""

from __future__ import annotations

import pickle

import pytest

from casebook.content.vocabulary import load_vocabulary
from casebook.index.analysis import CaseTokenizer, Segmenter, get_segmenter, normalise

from .conftest import ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("快遞", "快递"),
        ("ＥＭＳ３倍", "ems3倍"),
        ("郵遞員把包裹放進櫃子裡", "邮递员把包裹放进柜子里"),
        ("投訴賠償", "投诉赔偿"),
        ("SF Express", "sf express"),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected
    assert len(normalise(text)) == len(text)


def test_normalise_keeps_length_when_a_character_would_expand():
    text = "㈱快遞ﬁ"  # NFKC turns ㈱ into (株) and ﬁ into fi: both must stay one character
    assert len(normalise(text)) == len(text)
    assert normalise(text)[1:3] == "快递"


@pytest.fixture(scope="module", params=["rjieba", "jieba"])
def segmenter(request) -> Segmenter:
    return get_segmenter(request.param, load_vocabulary(ROOT / "cases").words)


def test_every_dictionary_word_stays_one_token(segmenter):
    for word, _ in load_vocabulary(ROOT / "cases").words:
        tokens = [w.text for w in segmenter.words(normalise(word), search=False)]
        assert tokens == [normalise(word)], word


def test_search_mode_sub_words_share_the_parent_position(segmenter):
    words = segmenter.words(normalise("快递员把智能快递柜的件虚假签收了"))
    by_text = {w.text: w for w in words}
    assert by_text["快递柜"].sub and by_text["签收"].sub
    assert by_text["快递柜"].pos == by_text["智能快递柜"].pos
    assert by_text["签收"].pos == by_text["虚假签收"].pos == by_text["智能快递柜"].pos + 2
    parents = [w.pos for w in words if not w.sub]
    assert parents == list(range(len(parents)))


@pytest.mark.parametrize(
    ("text", "token"),
    [
        ("见TD-2023-004号案例", "td-2023-004"),
        ("依据第二十八条处理", "第二十八条"),
        ("运单SF1234567890已签收", "sf1234567890"),
        ("拨打12305申诉", "12305"),
    ],
)
def test_identifiers_stay_whole(segmenter, text, token):
    assert token in [w.text for w in segmenter.words(normalise(text))]


def test_stopwords_go_but_one_character_content_words_stay(segmenter):
    tokens = [w.text for w in segmenter.words(normalise("我的包裹在柜里丢了"), search=False)]
    assert "的" not in tokens and "了" not in tokens
    assert "丢" in tokens and "包裹" in tokens


def test_tokenizer_follows_the_whoosh_contract():
    tokenizer = CaseTokenizer("rjieba", (("智能快递柜", 2000),))
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in tokenizer("智能快遞櫃丢了", positions=True, chars=True)]
    assert ("智能快递柜", 0, 0, 5) in tokens
    assert ("丢", 1, 5, 6) in tokens
    query_tokens = [t.text for t in tokenizer("智能快遞櫃", mode="query")]
    assert query_tokens == ["智能快递柜"]


def test_tokenizer_pickles_without_its_segmenter():
    tokenizer = CaseTokenizer("rjieba", (("快递柜", 2000),))
    _ = tokenizer.segmenter
    data = pickle.dumps(tokenizer)
    assert len(data) < 500
    assert pickle.loads(data) == tokenizer


def test_day_counts_are_one_token_whichever_character(segmenter):
    assert [w.text for w in segmenter.words("超过7天未答复", search=False)] == [
        "超过",
        "7日",
        "未",
        "答复",
    ] or "7日" in [w.text for w in segmenter.words("超过7天未答复", search=False)]
    indexed = segmenter.words("应在7日内答复")
    assert ("7", True) in [(w.text, w.sub) for w in indexed] and ("7日", False) in [(w.text, w.sub) for w in indexed]


def test_segmenters_with_different_user_words_do_not_share_them():
    # The first rjieba segmenter in a process reuses the engine rjieba builds on import; any
    # later one must get an engine of its own, or one knowledge base's words leak into another.
    words = (("甲乙快递丙丁", 100000),)
    first = Segmenter("rjieba", words)
    second = Segmenter("rjieba", ())
    third = Segmenter("rjieba", words)
    text = normalise("甲乙快递丙丁")
    assert [w.text for w in first.words(text, search=False)] == ["甲乙快递丙丁"]
    assert "甲乙快递丙丁" not in [w.text for w in second.words(text, search=False)]
    assert [w.text for w in third.words(text, search=False)] == ["甲乙快递丙丁"]
