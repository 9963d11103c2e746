"""Parity of analysis.text_similarity with scikit-learn's TfidfVectorizer(analyzer="char_wb"),
a second, independent implementation of the same weights (scikit-learn is a test tool only)."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from analysis.text_similarity import _NON_WORD, MAX_CHARS, NGRAM_RANGE, fit_transform, fold

TEXTS = [
    "Đường Lê Lợi, phường Đông Kinh bị ngập nước sau mưa lớn.",
    "duong le loi phuong dong kinh bi ngap nuoc sau mua lon",
    "Đề nghị sửa chữa đèn chiếu sáng tại ngõ 5 đường Trần Đăng Ninh.",
    "Thủ tục cấp giấy chứng nhận quyền sử dụng đất quá chậm, đã trễ hẹn 10 ngày.",
    "Cán bộ một cửa hướng dẫn nhiệt tình, chu đáo.",
    "Xin hỏi hồ sơ đăng ký kinh doanh hộ cá thể cần những giấy tờ gì?",
    "Rác thải tồn đọng ở chợ Đông Kinh, đề nghị thu gom.",
    "a ab abc",  # tokens shorter than the smallest n-gram
    "",
]


def _sklearn_rows(texts):
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=False,
        # The same text as ours: folded, punctuation as spaces, cut at MAX_CHARS.
        preprocessor=lambda text: _NON_WORD.sub(" ", fold(text[:MAX_CHARS])))
    return vectorizer.fit_transform(texts)


def test_cosine_similarities_equal_scikit_learns():
    _model, ours = fit_transform(TEXTS)
    theirs = _sklearn_rows(TEXTS)
    assert ours.shape == theirs.shape  # the same vocabulary size
    np.testing.assert_allclose((ours @ ours.T).toarray(), (theirs @ theirs.T).toarray(),
                               rtol=0, atol=1e-12)


def test_sorted_weights_of_each_row_equal_scikit_learns():
    # Column order differs (scikit-learn sorts its vocabulary), so compare each row's weights
    # as a sorted multiset.
    _model, ours = fit_transform(TEXTS)
    theirs = _sklearn_rows(TEXTS)
    for row in range(len(TEXTS)):
        np.testing.assert_allclose(np.sort(ours.getrow(row).data),
                                   np.sort(theirs.getrow(row).data), rtol=0, atol=1e-12)
