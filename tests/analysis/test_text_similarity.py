"""Character n-gram TF-IDF, cosine neighbours and the kNN vote of analysis.text_similarity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from analysis.text_similarity import (
    char_wb_ngrams,
    contains_keyword,
    cosine_top_k,
    fit_tfidf,
    fit_transform,
    fold,
    near_duplicates,
    suggest_labels,
    transform,
)

# --- Folding and keywords --------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Đường", "duong"),
    ("đất đai", "dat dai"),
    ("NGUYỄN Thị Ánh", "nguyen thi anh"),
    ("Trật tự, an ninh", "trat tu, an ninh"),
    # Decomposed input (some keyboards) folds the same as precomposed.
    ("Tho\u0302\u0301ng", "thong"),
])
def test_fold_removes_vietnamese_diacritics(text, expected):
    assert fold(text) == expected


def test_fold_keeps_length_for_alignment():
    text = "Ủy ban nhân dân Đồng Đăng"
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(("text", "keyword", "found"), [
    ("Tranh chấp đất đai ở xã", "đất", True),
    ("Tranh chap dat dai o xa", "đất", True),       # text typed without diacritics
    ("Tranh chấp ĐẤT ĐAI", "dat", True),             # keyword typed without diacritics
    ("Kết quả đạt yêu cầu", "đất", False),           # both marked, different syllable
    ("Kết quả đạt yêu cầu", "dat", True),            # an unmarked keyword is folded
    ("Cấp   giấy\nphép xây dựng", "giấy phép", True),  # any whitespace between syllables
    ("datdai", "dat", False),                          # whole syllables only
    ("nước sạch", "", False),
])
def test_contains_keyword(text, keyword, found):
    assert contains_keyword(text, keyword) is found


# --- N-grams and TF-IDF ----------------------------------------------------------------------

def test_char_wb_ngrams_pad_each_token_like_sklearn():
    # " an " gives ' an', 'an ' (3) and ' an ' (4, the whole padded token, then stop);
    # " b " is shorter than every n: itself once. Punctuation separates tokens.
    assert char_wb_ngrams("Ân, b", (3, 5)) == [" an", "an ", " an ", " b "]
    assert char_wb_ngrams("Đèn", (3, 4)) == [" de", "den", "en ", " den", "den ", ]


def test_tfidf_values_by_hand():
    # Corpus (n-grams of length 3 only): d0 = "an" → {' an': 1, 'an ': 1};
    # d1 = "an ba" → {' an': 1, 'an ': 1, ' ba': 1, 'ba ': 1}.  n = 2 documents.
    # df(' an') = df('an ') = 2  → idf = ln(3/3) + 1 = 1
    # df(' ba') = df('ba ') = 1  → idf = ln(3/2) + 1 = 1.4054651081081644
    # d0 = [1, 1] / √2 → 0.7071067811865475 each.
    # d1 = [1, 1, 1.405465, 1.405465] / √(2 + 2·1.975332) = / √5.950664 = / 2.4393984  →
    #      ' an', 'an ' = 1 / 2.4393984 = 0.4099371; ' ba', 'ba ' = 1.405465 / 2.4393984
    #      = 0.5761524.
    # A new text "an ba ba" → tf [1, 1, 2, 2] · idf = [1, 1, 2.810930, 2.810930],
    #      norm √(2 + 2·7.901329) = √17.802657 = 4.2193195 → [0.2370050, 0.6662046].
    model, rows = fit_transform(["an", "an ba"], ngram_range=(3, 3))
    rare = math.log(3 / 2) + 1
    assert rare == pytest.approx(1.4054651081081644)
    column = model.vocabulary
    assert set(column) == {" an", "an ", " ba", "ba "}
    assert model.idf[column[" an"]] == pytest.approx(1.0)
    assert model.idf[column[" ba"]] == pytest.approx(rare)
    assert isinstance(rows, sp.csr_matrix)
    dense = rows.toarray()
    assert dense[0, column[" an"]] == pytest.approx(1 / math.sqrt(2))
    assert dense[0, column[" ba"]] == 0
    norm1 = math.sqrt(2 + 2 * rare ** 2)
    assert norm1 == pytest.approx(2.4393984, abs=1e-7)
    assert dense[1, column["an "]] == pytest.approx(1 / norm1)
    assert dense[1, column["ba "]] == pytest.approx(rare / norm1)
    assert dense[1, column["an "]] == pytest.approx(0.4099371, abs=1e-7)
    assert dense[1, column["ba "]] == pytest.approx(0.5761524, abs=1e-7)
    # Cosine of d0 and d1 is their dot product: 2 · 0.7071068 · 0.4099371 = 0.5797387.
    assert (rows[0] @ rows[1].T).toarray()[0, 0] == pytest.approx(0.5797387, abs=1e-7)
    new = transform(model, ["an ba ba", "xyz"]).toarray()
    norm = math.sqrt(2 + 2 * (2 * rare) ** 2)
    assert new[0, column[" an"]] == pytest.approx(1 / norm)
    assert new[0, column[" ba"]] == pytest.approx(2 * rare / norm)
    assert new[0, column[" an"]] == pytest.approx(0.2370050, abs=1e-7)
    assert new[0, column[" ba"]] == pytest.approx(0.6662046, abs=1e-7)
    # Unknown n-grams are ignored: a text with none of the vocabulary is a row of zeros.
    assert not new[1].any()
    # fit_tfidf is the model half of fit_transform.
    assert fit_tfidf(["an", "an ba"], ngram_range=(3, 3)).vocabulary == model.vocabulary


def test_rows_are_unit_length_and_diacritics_do_not_matter():
    model, rows = fit_transform(["Cấp giấy phép xây dựng", "Đèn đường hỏng", "Nước sạch"])
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert norms == pytest.approx([1, 1, 1])
    marked, plain = transform(model, ["Đèn đường hỏng", "den duong hong"]).toarray()
    assert marked == pytest.approx(plain)


def test_one_string_is_refused():
    with pytest.raises(ValueError, match="texts"):
        fit_tfidf("one string")


# --- Cosine ----------------------------------------------------------------------------------

def _dense_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    an = np.linalg.norm(a, axis=1, keepdims=True)
    bn = np.linalg.norm(b, axis=1, keepdims=True)
    an[an == 0] = 1
    bn[bn == 0] = 1
    return (a / an) @ (b / bn).T


def test_cosine_top_k_agrees_with_dense_numpy():
    rng = np.random.default_rng(7)
    matrix = rng.poisson(0.4, size=(30, 12)).astype(float)
    matrix[5] = 0  # an empty row has similarity 0
    queries = rng.poisson(0.6, size=(4, 12)).astype(float)
    indices, scores = cosine_top_k(sp.csr_matrix(queries), sp.csr_matrix(matrix), k=5)
    expected = _dense_cosine(queries, matrix)
    assert indices.shape == scores.shape == (4, 5)
    for q in range(4):
        best = np.sort(expected[q])[::-1][:5]
        assert scores[q] == pytest.approx(best)
        assert expected[q, indices[q]] == pytest.approx(scores[q])
        assert list(scores[q]) == sorted(scores[q], reverse=True)


def test_cosine_top_k_on_text_rows_and_small_matrices():
    model, rows = fit_transform(["đèn đường hỏng", "cấp giấy phép", "đèn đường không sáng"])
    query = transform(model, ["đèn đường bị hỏng"])
    indices, scores = cosine_top_k(query, rows, k=10)   # k larger than the rows: all rows
    assert indices.shape == (1, 3)
    assert indices[0, 0] == 0 and indices[0, 1] == 2
    assert scores[0] == pytest.approx(_dense_cosine(query.toarray(), rows.toarray())[0][
        indices[0]])
    with pytest.raises(ValueError, match="k"):
        cosine_top_k(query, rows, k=0)
    with pytest.raises(ValueError, match="columns"):
        cosine_top_k(query, sp.csr_matrix((2, 3)), k=1)


# --- kNN vote --------------------------------------------------------------------------------

CORPUS = [
    ("Tranh chấp đất đai giữa hai hộ gia đình ở thôn Nà Phai", "TNMT"),
    ("Cấp giấy chứng nhận quyền sử dụng đất bị chậm", "TNMT"),
    ("Đo đạc lại ranh giới thửa đất nông nghiệp", "TNMT"),
    ("Đèn đường trên quốc lộ 1A không sáng", "GTVT"),
    ("Mặt đường bị hỏng nhiều ổ gà nguy hiểm", "GTVT"),
    ("Xe tải chở quá tải làm hỏng đường liên xã", "GTVT"),
    ("Trường tiểu học thu thêm các khoản ngoài quy định", "GDDT"),
    ("Giáo viên dạy thêm học sinh tiểu học", "GDDT"),
]


def test_knn_picks_the_unit_of_similar_cases():
    texts, labels = zip(*CORPUS, strict=True)
    model, rows = fit_transform(texts)
    # Typed without diacritics, about roads.
    result = suggest_labels(model, rows, labels, "Duong bi hong, o ga rat nguy hiem", k=5)
    assert result[0].label == "GTVT"
    assert result[0].confidence > 0.5
    assert sum(s.confidence for s in result) == pytest.approx(1.0)
    assert set(result[0].neighbours) <= {3, 4, 5} and 4 in result[0].neighbours
    # With its label tuple unpacking works: (label, confidence, neighbour indices).
    label, confidence, neighbours = result[0]
    assert label == "GTVT" and neighbours[0] == 4
    land = suggest_labels(model, rows, labels, "cấp giấy chứng nhận quyền sử dụng đất", k=3)
    assert land[0].label == "TNMT"
    school = suggest_labels(model, rows, labels, "thu các khoản ngoài quy định ở trường", k=3)
    assert school[0].label == "GDDT"


def test_confidence_is_the_share_of_summed_similarity():
    rows = sp.csr_matrix(np.array([[1.0, 0, 0], [0.8, 0.6, 0], [0, 1.0, 0], [0, 0, 1.0]]))
    model = fit_tfidf(["x"])  # only used to transform the query: build one with 3 columns
    vocabulary = {" ab": 0, "ab ": 1, " cd": 2}
    model = type(model)(vocabulary=vocabulary, idf=np.ones(3), ngram_range=(3, 3))
    # Query "ab" → [1, 1, 0]/√2. Similarities: row0 0.7071, row1 0.9899, row2 0.7071, row3 0.
    result = suggest_labels(model, rows, ["A", "B", "A", "C"], "ab", k=3)
    s0 = s2 = 1 / math.sqrt(2)
    s1 = (0.8 + 0.6) / math.sqrt(2)
    assert [r.label for r in result] == ["A", "B"]
    assert result[0].confidence == pytest.approx((s0 + s2) / (s0 + s1 + s2))
    assert result[1].confidence == pytest.approx(s1 / (s0 + s1 + s2))
    assert result[0].neighbours == (0, 2)  # ties broken by lower index
    # Weights count a neighbour more (an overridden routing counts twice).
    weighted = suggest_labels(model, rows, ["A", "B", "A", "C"], "ab", k=3,
                              weights=[1, 2, 1, 1])
    assert weighted[0].label == "B"
    assert weighted[0].confidence == pytest.approx(2 * s1 / (s0 + 2 * s1 + s2))
    # An excluded row (the case itself) does not vote.
    assert [r.label for r in suggest_labels(model, rows, ["A", "B", "A", "C"], "ab", k=3,
                                            exclude=[0, 2])] == ["B"]


def test_no_suggestion_below_the_minimum_similarity():
    texts, labels = zip(*CORPUS, strict=True)
    model, rows = fit_transform(texts)
    assert suggest_labels(model, rows, labels, "xyzzy qwv") == []
    assert suggest_labels(model, rows, labels, "") == []
    assert suggest_labels(model, rows, labels, "đường hỏng", min_similarity=0.99) == []
    with pytest.raises(ValueError, match="labels"):
        suggest_labels(model, rows, labels[:-1], "đường")
    with pytest.raises(ValueError, match="weights"):
        suggest_labels(model, rows, labels, "đường", weights=[1])


def test_near_duplicates():
    texts = ["Đèn đường trước nhà số 5 phố Lê Lợi bị hỏng đã một tuần",
             "Cấp giấy phép xây dựng chậm",
             "Den duong truoc nha so 5 pho Le Loi bi hong da mot tuan roi",
             "Trường học thu tiền sai quy định"]
    query = "Đèn đường trước nhà số 5 phố Lê Lợi hỏng một tuần nay"
    found = near_duplicates(texts, query, threshold=0.5)
    # Text 2 folds to text 0 plus "roi", an n-gram the query lacks: it ranks second.
    assert [i for i, _score in found] == [0, 2]
    assert all(score >= 0.5 for _i, score in found)
    assert found[0][1] >= found[1][1]
    assert near_duplicates(texts, "hoàn toàn khác: mưa bão", threshold=0.5) == []
    assert near_duplicates([], query) == []
    with pytest.raises(ValueError, match="threshold"):
        near_duplicates(texts, query, threshold=1.5)
