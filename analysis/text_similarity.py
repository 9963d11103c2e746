"""Text similarity for Vietnamese without a word tokenizer: character n-gram TF-IDF, cosine
nearest neighbours, a similarity-weighted kNN vote (routing suggestions) and near-duplicates.

Vietnamese is written in syllables separated by spaces, so a word tokenizer is not needed to
compare texts: character n-grams of 3 to 5 letters inside each space-separated token, padded
with a space at each end (like scikit-learn's ``analyzer="char_wb"``), capture syllables,
pairs of syllables and their inflection-free stems. N-grams are taken from the *folded*
text (lower case, tone marks and other diacritics removed, "đ" → "d"), because many
citizens type without diacritics and a case typed either way must find the same
neighbours; the loss ("đất" and "đạt" fold alike) is small once neighbouring characters are
in the n-gram. Keyword rules, where a single syllable decides, use ``contains_keyword``,
which does respect diacritics when both sides carry them.

Weights follow scikit-learn's ``TfidfVectorizer`` defaults (Manning, Raghavan & Schütze,
*Introduction to Information Retrieval*, 2008, §6.2-6.3):

    tf(t, d)  = number of times n-gram t occurs in document d
    idf(t)    = ln((1 + n) / (1 + df(t))) + 1          (smooth idf)
    w(t, d)   = tf(t, d) · idf(t), then each row divided by its L2 norm

so the cosine similarity of two documents is the dot product of their rows.

Pure: numpy, scipy and the standard library only (never flask or sqlalchemy).

Example:

>>> fold("Đường Lê Lợi")
'duong le loi'
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

__all__ = [
    "LabelSuggestion",
    "TfidfModel",
    "char_wb_ngrams",
    "contains_keyword",
    "cosine_top_k",
    "fit_tfidf",
    "fit_transform",
    "fold",
    "has_diacritics",
    "near_duplicates",
    "rank_similar",
    "suggest_labels",
    "transform",
]

NGRAM_RANGE = (3, 5)
# Long texts add little for routing and cost time: only the start of each text is analysed.
MAX_CHARS = 3000
MIN_SIMILARITY = 0.15

_NON_WORD = re.compile(r"[\W_]+")


# --- Folding ---------------------------------------------------------------------------------

def _fold_char(ch: str) -> str:
    """One character, lower case, without diacritics; always one character long, so a folded
    text stays aligned with the lower-case original."""
    lower = ch.lower()
    if len(lower) != 1:
        lower = ch
    if lower == "đ":
        return "d"
    base = "".join(c for c in unicodedata.normalize("NFD", lower)
                   if not unicodedata.combining(c))
    return base if len(base) == 1 else lower


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: "Đường Lê Lợi" → "duong le loi".

    NFD decomposition, combining marks dropped, "đ"/"Đ" → "d" (the stroke is not a
    combining mark), lower case; whitespace is left as it is.
    """
    return "".join(_fold_char(ch) for ch in unicodedata.normalize("NFC", text or ""))


def has_diacritics(text: str) -> bool:
    lower = "".join(ch.lower() if len(ch.lower()) == 1 else ch
                    for ch in unicodedata.normalize("NFC", text or ""))
    return fold(lower) != lower


def contains_keyword(text: str, keyword: str) -> bool:
    """Does ``keyword`` occur in ``text`` as whole syllables, ignoring case?

    Without diacritics on either side the comparison is folded ("dat" finds "Đất" and "dat";
    "đất" finds "dat"). When both the keyword and the matching place in the text carry
    diacritics they must agree, so "đất" (land) does not find "đạt" (achieve).
    """
    keyword = " ".join(unicodedata.normalize("NFC", keyword or "").split())
    if not keyword:
        return False
    original = unicodedata.normalize("NFC", text or "")
    lower = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in original)
    folded = fold(lower)
    key_lower = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in keyword)
    key_folded = fold(key_lower)
    key_marked = key_folded != key_lower
    pattern = re.compile(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in key_folded.split())
                         + r"(?!\w)")
    for match in pattern.finditer(folded):
        span = lower[match.start():match.end()]
        if not key_marked or fold(span) == span:
            return True
        if " ".join(span.split()) == key_lower:
            return True
    return False


# --- N-grams and TF-IDF ----------------------------------------------------------------------

def char_wb_ngrams(text: str, ngram_range: tuple[int, int] = NGRAM_RANGE) -> list[str]:
    """Character n-grams inside word boundaries, each token padded with one space on both
    sides, of the folded text with punctuation treated as spaces (as scikit-learn's
    ``char_wb``: a token shorter than n gives itself once)."""
    low, high = ngram_range
    grams: list[str] = []
    for token in _NON_WORD.sub(" ", fold(text[:MAX_CHARS])).split():
        padded = f" {token} "
        size = len(padded)
        for n in range(low, high + 1):
            if size <= n:
                grams.append(padded)
                break
            grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams


@dataclass(frozen=True)
class TfidfModel:
    """The fitted vocabulary (n-gram → column) and the idf of each column."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int] = NGRAM_RANGE

    @property
    def n_features(self) -> int:
        return len(self.vocabulary)


def _counts(texts: Sequence[str], vocabulary: dict[str, int], grow: bool,
            ngram_range: tuple[int, int]) -> sp.csr_matrix:
    indptr = [0]
    indices: list[int] = []
    values: list[int] = []
    for text in texts:
        counts = Counter(char_wb_ngrams(text or "", ngram_range))
        for gram, count in counts.items():
            column = vocabulary.get(gram)
            if column is None:
                if not grow:
                    continue
                column = vocabulary[gram] = len(vocabulary)
            indices.append(column)
            values.append(count)
        indptr.append(len(indices))
    matrix = sp.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64),
         np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(vocabulary)))
    matrix.sort_indices()
    return matrix


def _l2_normalise(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def _weigh(model: TfidfModel, counts: sp.csr_matrix) -> sp.csr_matrix:
    return _l2_normalise(sp.csr_matrix(counts @ sp.diags(model.idf)))


def fit_transform(texts: Sequence[str], ngram_range: tuple[int, int] = NGRAM_RANGE
                  ) -> tuple[TfidfModel, sp.csr_matrix]:
    """Fit on ``texts`` and return the model with their TF-IDF rows (counting once)."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    vocabulary: dict[str, int] = {}
    counts = _counts(list(texts), vocabulary, True, ngram_range)
    n = counts.shape[0]
    df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    model = TfidfModel(vocabulary=vocabulary, idf=idf, ngram_range=ngram_range)
    return model, _weigh(model, counts)


def fit_tfidf(texts: Sequence[str], ngram_range: tuple[int, int] = NGRAM_RANGE) -> TfidfModel:
    """Learn the n-gram vocabulary and smooth idf of ``texts``."""
    return fit_transform(texts, ngram_range)[0]


def transform(model: TfidfModel, texts: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF rows (L2-normalised, CSR) of ``texts``; n-grams unseen in fitting are ignored."""
    if isinstance(texts, str):
        raise ValueError("texts must be a sequence of strings, not one string")
    counts = _counts(list(texts), model.vocabulary, False, model.ngram_range)
    return _weigh(model, counts)


# --- Neighbours ------------------------------------------------------------------------------

def cosine_top_k(query_vecs: sp.spmatrix | np.ndarray, matrix: sp.spmatrix | np.ndarray,
                 k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``matrix`` most similar to each query row, by cosine.

    Returns ``(indices, scores)``, two arrays of shape (queries, min(k, rows)), best first
    (ties by lower index). Rows of zeros have similarity 0 with everything.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    queries = sp.csr_matrix(query_vecs, dtype=np.float64)
    rows = sp.csr_matrix(matrix, dtype=np.float64)
    if queries.shape[1] != rows.shape[1]:
        raise ValueError("query_vecs and matrix must have the same number of columns")
    k = min(k, rows.shape[0])
    if k == 0:
        empty = np.zeros((queries.shape[0], 0))
        return empty.astype(np.int64), empty
    sims = (_l2_normalise(queries) @ _l2_normalise(rows).T).toarray()
    order = np.lexsort((np.broadcast_to(np.arange(sims.shape[1]), sims.shape), -sims),
                       axis=1)[:, :k]
    return order.astype(np.int64), np.take_along_axis(sims, order, axis=1)


class LabelSuggestion(NamedTuple):
    label: Hashable
    # The label's share of the summed (weighted) similarity of the neighbours kept.
    confidence: float
    # Indices of the neighbours with this label, most similar first.
    neighbours: tuple[int, ...]


def suggest_labels(model: TfidfModel, matrix: sp.spmatrix, labels: Sequence[Hashable],
                   query_text: str, k: int = 7, *, min_similarity: float = MIN_SIMILARITY,
                   weights: Sequence[float] | None = None,
                   exclude: Iterable[int] = ()) -> list[LabelSuggestion]:
    """Similarity-weighted k-nearest-neighbour vote for the label of ``query_text``.

    The ``k`` rows of ``matrix`` most similar to the query, among those with cosine at least
    ``min_similarity``, vote for their label with weight ``similarity × weights[i]``
    (default 1); a label's confidence is its share of the votes. Best label first (ties: the
    label of the more similar neighbour). An empty list means "no suggestion": nothing
    similar enough. ``exclude``: row indices that may not vote (the query case itself).
    """
    if matrix.shape[0] != len(labels):
        raise ValueError("labels must have one entry per row of matrix")
    if weights is not None and len(weights) != len(labels):
        raise ValueError("weights must have one entry per row of matrix")
    if k < 1:
        raise ValueError("k must be at least 1")
    if matrix.shape[0] == 0 or not (query_text or "").strip():
        return []
    query = transform(model, [query_text])
    sims = np.asarray((query @ sp.csr_matrix(matrix).T).toarray()).ravel()
    for index in exclude:
        if 0 <= index < sims.size:
            sims[index] = -np.inf
    candidates = np.flatnonzero(sims >= min_similarity)
    if candidates.size == 0:
        return []
    order = candidates[np.lexsort((candidates, -sims[candidates]))][:k]
    weight = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=float)
    votes: dict[Hashable, float] = {}
    members: dict[Hashable, list[int]] = {}
    for index in order:
        label = labels[index]
        votes[label] = votes.get(label, 0.0) + float(sims[index] * weight[index])
        members.setdefault(label, []).append(int(index))
    total = sum(votes.values())
    if total <= 0:
        return []
    ranked = sorted(votes, key=lambda lab: (-votes[lab], -sims[members[lab][0]]))
    return [LabelSuggestion(lab, votes[lab] / total, tuple(members[lab])) for lab in ranked]


def near_duplicates(texts: Sequence[str], query: str, threshold: float = 0.5
                    ) -> list[tuple[int, float]]:
    """Indices of ``texts`` whose cosine with ``query`` is at least ``threshold``, with the
    score, most similar first. TF-IDF is fitted on the texts and the query together."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must lie between 0 and 1")
    texts = list(texts)
    if not texts or not (query or "").strip():
        return []
    _model, rows = fit_transform([*texts, query])
    return rank_similar(rows[:-1], rows[-1], threshold)


def rank_similar(rows: sp.csr_matrix, query: sp.csr_matrix, threshold: float,
                 exclude: int | None = None) -> list[tuple[int, float]]:
    """Row numbers of ``rows`` (L2-normalised TF-IDF, as ``fit_transform`` makes them) whose
    cosine with the one-row ``query`` is at least ``threshold`` (and above zero), with the
    score, most similar first and ties by row number; ``exclude`` drops one row (the query's
    own row when it is one of them)."""
    sims = np.asarray((rows @ query.T).toarray()).ravel()
    if exclude is not None:
        sims[exclude] = -1.0
    hits = np.flatnonzero(sims >= max(threshold, 1e-12))
    hits = hits[np.lexsort((hits, -sims[hits]))]
    return [(int(i), float(sims[i])) for i in hits]
