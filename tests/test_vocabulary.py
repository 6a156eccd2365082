"""The shipped search vocabulary: brands stay whole and apart, the public's words reach the cases' words."""

from __future__ import annotations

import shutil
from itertools import combinations

import pytest

from casebook.config import Settings
from casebook.content.vocabulary import load_vocabulary
from casebook.index.analysis import CaseTokenizer, get_segmenter, normalise
from casebook.search.concepts import analyse_query
from casebook.search.searcher import SearchRequest
from casebook.service import Casebook

from .conftest import ROOT

VOCABULARY = load_vocabulary(ROOT / "cases")

# Each brand family: the names that may share a synonym group. Nothing else may join them.
BRAND_FAMILIES = {
    "顺丰": {"顺丰", "顺丰速运"},
    "中通": {"中通"},
    "圆通": {"圆通"},
    "申通": {"申通"},
    "韵达": {"韵达"},
    "极兔": {"极兔"},
    "京东": {"京东", "京东物流"},
    "德邦": {"德邦", "德邦物流"},
    "EMS": {"EMS", "邮政EMS", "邮政速递", "中国邮政速递物流"},
    "中国邮政": {"中国邮政"},
    "菜鸟": {"菜鸟", "菜鸟驿站", "菜鸟裹裹"},
    "丰巢": {"丰巢", "丰巢柜"},
    "兔喜": {"兔喜", "兔喜生活"},
    "百世": {"百世", "百世汇通"},
    "拼多多": {"拼多多"},
    "淘宝": {"淘宝"},
    "天猫": {"天猫"},
    "抖音": {"抖音"},
    "天天快递": {"天天快递"},
    "宅急送": {"宅急送"},
    "跨越速运": {"跨越速运"},
    "妈妈驿站": {"妈妈驿站"},
    "速递易": {"速递易"},
    "闪送": {"闪送"},
}
BRAND_OF = {name: family for family, names in BRAND_FAMILIES.items() for name in names}
LOCKER_GROUP_HEAD = "智能快件箱"  # the one group a brand (丰巢) may share with generic words


@pytest.fixture(scope="module", params=["rjieba", "jieba"])
def tokenizer(request) -> CaseTokenizer:
    return CaseTokenizer(request.param, VOCABULARY.words, VOCABULARY.groups)


def query_words(tokenizer: CaseTokenizer, text: str) -> list[str]:
    return [w.text for w in tokenizer.segmenter.words(normalise(text), search=False)]


@pytest.mark.parametrize("brand", sorted(BRAND_OF))
def test_a_brand_is_one_token_alone_and_in_a_sentence(tokenizer, brand):
    assert query_words(tokenizer, brand) == [normalise(brand)]
    assert normalise(brand) in query_words(tokenizer, f"我在{brand}寄的快递被压扁了")


def test_a_brand_before_快递员_leaves_快递员_whole(tokenizer):
    # 中通快递 in the dictionary once turned this into 中通快递/员 and lost 快递员.
    assert query_words(tokenizer, "中通快递员态度差") == ["中通", "快递员", "态度差"]
    assert query_words(tokenizer, "京东快递员把包裹放门口") == ["京东", "快递员", "包裹", "放门口"]


def test_a_brand_inside_its_longer_name_is_indexed_as_a_sub_word(tokenizer):
    indexed = [(w.text, w.sub) for w in tokenizer.segmenter.words(normalise("顺丰速运的快递员"))]
    assert ("顺丰", True) in indexed and ("顺丰速运", False) in indexed


def test_顺丰_is_not_a_synonym_of_丰巢():
    assert "丰巢" not in VOCABULARY.synonyms("顺丰")
    assert "顺丰" not in VOCABULARY.synonyms("丰巢")
    tokenizer = CaseTokenizer("rjieba", VOCABULARY.words, VOCABULARY.groups)
    assert tokenizer.group_of("顺丰") != tokenizer.group_of("丰巢")
    (concept,), _ = analyse_query("顺丰", tokenizer, VOCABULARY)
    assert "丰巢" not in dict(concept.terms)


def test_a_brand_shares_a_group_only_with_its_own_names():
    for group in VOCABULARY.groups:
        families = {BRAND_OF[word] for word in group if word in BRAND_OF}
        if not families:
            continue
        assert len(families) == 1, group
        if group[0] != LOCKER_GROUP_HEAD:
            assert all(word in BRAND_OF for word in group), group


def test_ems_is_apart_from_the_postal_service_and_its_regulator():
    assert "邮政EMS" in VOCABULARY.synonyms("EMS")
    assert VOCABULARY.synonyms("邮政") == () and VOCABULARY.synonyms("中国邮政") == ()
    assert "邮政管理局" not in VOCABULARY.synonyms("EMS")


@pytest.mark.parametrize(
    ("typed", "formal"),
    [
        ("快递没影了", "丢失"),
        ("包裹寄丢了", "丢失"),
        ("快递找不到了", "丢失"),
        ("箱子压扁了", "损毁"),
        ("花瓶碎了", "损毁"),
        ("水果烂了", "变质"),
        ("迟迟不到", "延误"),
        ("物流不更新", "滞留"),
        ("快递员扔门口", "放在门口"),
        ("不送上门", "送货上门"),
        ("快递员送错了", "未按名址投递"),
        ("网点不给寄", "拒绝收寄"),
        ("快递员瞎收费", "违规收费"),
        ("假签收", "虚假签收"),
        ("快递员态度差", "服务态度"),
        ("客服拖着不办", "逾期未处理"),
        ("网点和总部踢皮球", "推诿"),
        ("客服电话打不通", "无法接通"),
        ("要求赔钱", "赔偿"),
        ("快递员乱扔包裹", "暴力分拣"),
        ("约好上门取件又放鸽子", "爽约"),
        ("物流造假", "物流信息不实"),
        ("派送延误", "投递"),
        ("送村里还要加钱", "违规收费"),
        ("快递员骂了我", "服务态度"),
        ("揽收员不来", "快递员"),
        ("显示签收了但我没收到", "虚假签收"),
        ("代收款迟迟不返还", "代收货款"),
        ("寄的时候没保价", "未保价"),
        ("偏远费", "进村费"),
        ("运费收贵了", "违规收费"),
        ("到付的货钱没回来", "货款"),
    ],
)
def test_the_publics_word_reaches_the_cases_word(tokenizer, typed, formal):
    wanted, _ = analyse_query(typed, tokenizer, VOCABULARY)
    assert tokenizer.group_of(normalise(formal)) in {c.group for c in wanted}, [c.terms for c in wanted]


@pytest.mark.parametrize(
    ("text", "token"),
    [("順豐快遞被壓扁了", "顺丰"), ("中國郵政", "中国邮政"), ("郵政ＥＭＳ", "邮政ems"), ("拼多多", "拼多多")],
)
def test_traditional_and_full_width_brands_become_the_same_token(tokenizer, text, token):
    assert token in query_words(tokenizer, text)


def test_every_synonym_group_member_is_one_token(tokenizer):
    # A member the segmenter cuts apart is never matched: its group silently does nothing.
    for group in VOCABULARY.groups:
        for member in group:
            assert query_words(tokenizer, member) == [normalise(member)], (group[0], member)


@pytest.mark.parametrize(
    ("first", "second"),
    [("赔偿", "补偿"), ("投诉", "申诉"), ("投诉", "举报"), ("申诉", "举报"), ("拒收", "拒绝收寄"), ("没保价", "保价")],
)
def test_words_the_brief_keeps_apart_are_not_synonyms(first, second):
    assert second not in VOCABULARY.synonyms(first)


def test_the_colloquial_words_do_not_cut_formal_text_differently():
    segmenter = get_segmenter("rjieba", VOCABULARY.words)
    words = [w.text for w in segmenter.words(normalise("企业逾期未处理投诉，快件在中转场滞留"), search=True)]
    assert {"逾期未处理", "处理", "投诉", "中转", "滞留"} <= set(words)


CASE = """---
id: {id}
title: {title}
category: {category}
outcome: 道歉解释
date: 2024-05-20
---

## 基本案情

{body}
"""


@pytest.fixture(scope="module")
def small_book(tmp_path_factory):
    """Three cases written the way the bulletins write, over the shipped vocabulary."""
    root = tmp_path_factory.mktemp("vocab-kb")
    shutil.copy(ROOT / "cases" / "taxonomy.yaml", root / "taxonomy.yaml")
    shutil.copytree(ROOT / "cases" / "vocabulary", root / "vocabulary")
    cases = [
        ("SH-2024-101", "瓷器在运输中损毁", "损毁", "王女士寄出的瓷器外包装破损，内件损毁。"),
        ("DS-2024-101", "快件在转运中心遗失", "丢失短少", "李先生的快件在转运中心遗失，企业承认丢失。"),
        ("TD-2024-101", "快件未经同意放入丰巢", "投递服务", "快递员未经同意把快件放入丰巢，赵女士不知情。"),
    ]
    for case_id, title, category, body in cases:
        (root / f"{case_id}.md").write_text(
            CASE.format(id=case_id, title=title, category=category, body=body), encoding="utf-8"
        )
    book = Casebook(Settings(cases_dir=root, index_dir=tmp_path_factory.mktemp("vocab-index")))
    assert book.update_index().documents == 3
    yield book
    book.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [("压扁了", "SH-2024-101"), ("没影了", "DS-2024-101"), ("寄丢了", "DS-2024-101")],
)
def test_a_colloquial_query_finds_the_formally_written_case(small_book, query, expected):
    hits = [h.id for h in small_book.search(SearchRequest(q=query)).hits]
    assert hits[:1] == [expected]


def test_顺丰_never_finds_a_case_that_only_says_丰巢(small_book):
    assert "TD-2024-101" not in [h.id for h in small_book.search(SearchRequest(q="顺丰")).hits]
    assert "TD-2024-101" in [h.id for h in small_book.search(SearchRequest(q="丰巢")).hits]


def test_no_two_groups_share_a_word():
    for first, second in combinations(VOCABULARY.groups, 2):
        assert not set(first) & set(second), (first[0], second[0])


def test_a_knowledge_base_without_a_vocabulary_uses_the_shipped_one(tmp_path):
    from casebook.content.vocabulary import load_vocabulary

    (tmp_path / "taxonomy.yaml").write_text("", encoding="utf-8")
    borrowed = load_vocabulary(tmp_path)
    shipped = load_vocabulary(ROOT / "cases")
    assert borrowed.groups == shipped.groups and borrowed.words == shipped.words
    assert "顺丰" in {w for w, _ in borrowed.words}
    (tmp_path / "vocabulary").mkdir()  # editors started their own: it is theirs alone, even empty
    own = load_vocabulary(tmp_path)
    assert own.groups == () and own.words == ()
