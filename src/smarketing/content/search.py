"""Full-text search over the library, ranked by the database itself.

SQLite: FTS5 with the porter stemmer, ranked by ``bm25`` (title weighted 8× the body),
snippets by ``snippet()``. PostgreSQL: a generated ``tsvector`` (title weight A, body B)
with a GIN index, ranked by ``ts_rank_cd``, snippets by ``ts_headline``. Filters (persona,
stage, topic, type) are ``|``-delimited keys in ``SearchDocument.tags`` matched in the same
query. When a query finds nothing, each word is matched against the index's own vocabulary
with rapidfuzz, and the corrected query is run instead ("showing results for …").

Snippets come back as HTML that is safe to render: the extracted text is escaped first and
only the database's match markers (control characters nobody types) become ``<mark>``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_START, _STOP = "\x02", "\x03"
_WORD = re.compile(r"\w+", re.UNICODE)
SNIPPET_WORDS = 28


@dataclass
class Hit:
    """One ranked result: the asset id, its score (higher is better) and a highlighted snippet."""

    asset_id: int
    score: float
    snippet: SafeString = mark_safe("")


@dataclass
class SearchResult:
    """Ranked hits of one page, how many matched in all, and the typo correction if one ran."""

    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    query: str = ""
    corrected: str | None = None


def tag_key(kind: str, value) -> str:
    """The filter key stored in ``SearchDocument.tags``: ``|s:mql|``, ``|p:3|``…"""
    return f"|{kind}:{str(value).strip().lower()}|"


def words(q: str) -> list[str]:
    """The searchable words of a query (punctuation and operators dropped)."""
    return [w.lower() for w in _WORD.findall(q or "")][:12]


def highlight(text: str) -> SafeString:
    """Escape ``text`` and turn the database's match markers into ``<mark>`` tags."""
    safe = escape(text or "")
    return mark_safe(safe.replace(_START, "<mark>").replace(_STOP, "</mark>"))


def _filters(tags: list[str]) -> tuple[str, list[str]]:
    sql = "".join(" AND d.tags LIKE %s" for _ in tags)
    return sql, [f"%{t}%" for t in tags]


def run_search(
    q: str, *, tags: list[str], limit: int = 20, offset: int = 0, any_word: bool = False
) -> SearchResult:
    """Rank assets matching every word of ``q`` (the last one as a prefix) and all ``tags``.

    ``any_word`` ranks assets matching any of the words instead (for matching a sales
    question against the library); it runs no typo correction.
    """
    terms = words(q)
    result = SearchResult(query=q)
    if not terms:
        return result
    backend = _sqlite if connection.vendor == "sqlite" else _postgres
    result.hits, result.total = backend(terms, tags, limit, offset, any_word)
    if not result.total and not any_word:
        fixed = correct(terms)
        if fixed and fixed != terms:
            result.corrected = " ".join(fixed)
            result.hits, result.total = backend(fixed, tags, limit, offset, False)
    return result


def terms_in(asset_id: int, terms: list[str]) -> set[str]:
    """Which of ``terms`` the asset's indexed text contains (stemmed like the index)."""
    found = set()
    with connection.cursor() as cur:
        for term in terms:
            if connection.vendor == "sqlite":
                cur.execute(
                    "SELECT 1 FROM content_search_fts WHERE content_search_fts MATCH %s "
                    "AND rowid = %s",
                    [f'"{term}"', asset_id],
                )
            else:
                cur.execute(
                    "SELECT 1 FROM content_searchdocument WHERE asset_id = %s "
                    "AND tsv @@ plainto_tsquery('english', %s)",
                    [asset_id, term],
                )
            if cur.fetchone():
                found.add(term)
    return found


def _fts_query(terms: list[str], any_word: bool = False) -> str:
    # Each word quoted (so FTS5 operators in the input are plain words); the last one is a
    # prefix, for a rep who has not finished typing.
    parts = [f'"{t}"' for t in terms]
    if any_word:
        return " OR ".join(parts)
    parts[-1] += "*"
    return " ".join(parts)


def _sqlite(terms, tags, limit, offset, any_word=False):
    match = _fts_query(terms, any_word)
    where, params = _filters(tags)
    base = (
        "FROM content_search_fts JOIN content_searchdocument d "
        "ON d.asset_id = content_search_fts.rowid WHERE content_search_fts MATCH %s" + where
    )
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.asset_id, bm25(content_search_fts, 8.0, 1.0) AS r {base} "
            "ORDER BY r LIMIT %s OFFSET %s",
            [match, *params, limit, offset],
        )
        rows = cur.fetchall()
        if len(rows) < limit and offset == 0:
            total = len(rows)
        else:
            cur.execute(f"SELECT count(*) {base}", [match, *params])
            total = cur.fetchone()[0]
        snippets = {}
        if rows:
            ids = [r[0] for r in rows]
            marks = ",".join("%s" for _ in ids)
            cur.execute(
                "SELECT rowid, snippet(content_search_fts, 1, char(2), char(3), '…', %s), "
                "snippet(content_search_fts, 0, char(2), char(3), '…', 20) "
                f"FROM content_search_fts WHERE content_search_fts MATCH %s AND rowid IN ({marks})",
                [SNIPPET_WORDS, match, *ids],
            )
            snippets = {r[0]: r[1] if _START in (r[1] or "") else r[2] for r in cur.fetchall()}
    hits = [Hit(aid, round(-rank, 4), highlight(snippets.get(aid, ""))) for aid, rank in rows]
    return hits, total


def _pg_query(terms: list[str], any_word: bool = False) -> str:
    parts = list(terms)
    if any_word:
        return " | ".join(parts)
    parts[-1] += ":*"
    return " & ".join(parts)


def _postgres(terms, tags, limit, offset, any_word=False):
    tsq = _pg_query(terms, any_word)
    where, params = _filters(tags)
    base = "FROM content_searchdocument d, to_tsquery('english', %s) q WHERE d.tsv @@ q" + where
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT d.asset_id, ts_rank_cd(d.tsv, q) AS r {base} "
            "ORDER BY r DESC, d.asset_id LIMIT %s OFFSET %s",
            [tsq, *params, limit, offset],
        )
        rows = cur.fetchall()
        if len(rows) < limit and offset == 0:
            total = len(rows)
        else:
            cur.execute(f"SELECT count(*) {base}", [tsq, *params])
            total = cur.fetchone()[0]
        snippets = {}
        if rows:
            cur.execute(
                "SELECT d.asset_id, ts_headline('english', left(d.body, 20000), q, %s) "
                "FROM content_searchdocument d, to_tsquery('english', %s) q "
                "WHERE d.asset_id = ANY(%s)",
                [
                    f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_WORDS}, "
                    'MinWords=12, MaxFragments=2, FragmentDelimiter=" … "',
                    tsq,
                    [r[0] for r in rows],
                ],
            )
            snippets = dict(cur.fetchall())
    hits = [Hit(aid, round(float(rank), 4), highlight(snippets.get(aid, ""))) for aid, rank in rows]
    return hits, total


_VOCAB: dict[str, object] = {"at": 0.0, "words": []}
VOCAB_TTL = 300.0


def vocabulary() -> list[str]:
    """Words a correction may suggest, cached for a few minutes: every title word, the words
    of the first documents' text, and the index's own (stemmed) terms."""
    if time.monotonic() - _VOCAB["at"] < VOCAB_TTL and _VOCAB["words"]:
        return _VOCAB["words"]
    found: set[str] = set()
    with connection.cursor() as cur:
        cur.execute("SELECT title FROM content_searchdocument")
        for (title,) in cur.fetchall():
            found.update(words(title))
        cur.execute("SELECT body FROM content_searchdocument ORDER BY asset_id LIMIT 2000")
        for (body,) in cur.fetchall():
            found.update(w.lower() for w in _WORD.findall(body or ""))
        if connection.vendor == "sqlite":
            cur.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.content_search_vocab "
                "USING fts5vocab(main, content_search_fts, 'row')"
            )
            cur.execute("SELECT term FROM temp.content_search_vocab WHERE length(term) > 2")
            found.update(r[0] for r in cur.fetchall())
    vocab = sorted(w for w in found if len(w) > 2 and w.isalpha())
    _VOCAB.update(at=time.monotonic(), words=vocab)
    return vocab


def forget_vocabulary() -> None:
    """Drop the cached vocabulary (after the library changed)."""
    _VOCAB.update(at=0.0, words=[])


def correct(terms: list[str]) -> list[str] | None:
    """``terms`` with each unknown word replaced by the closest indexed word, or None."""
    from rapidfuzz import fuzz, process

    vocab = vocabulary()
    if not vocab:
        return None
    known = set(vocab)
    out, changed = [], False
    for term in terms:
        if term in known or len(term) < 3:
            out.append(term)
            continue
        best = process.extractOne(term, vocab, scorer=fuzz.ratio, score_cutoff=80)
        if best:
            out.append(best[0])
            changed = True
        else:
            out.append(term)
    return out if changed else None
