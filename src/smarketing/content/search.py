"""Full-text search over the library, ranked by the database itself.

SQLite: FTS5 with the porter stemmer, ranked by ``bm25`` (title weighted 8× the body),
snippets by ``snippet()``. PostgreSQL: a generated ``tsvector`` (title weight A, body B)
with a GIN index, ranked by ``ts_rank_cd``, snippets by ``ts_headline``. Filters (persona,
stage, topic, type) are words in ``SearchDocument.tags`` (``smql``, ``p3``) indexed with the
text, so they narrow the same full-text query instead of a second scan. When a query finds nothing, each word is matched against the index's own vocabulary
with rapidfuzz, and the corrected query is run instead ("showing results for …").

Snippets come back as HTML that is safe to render: the extracted text is escaped first and
only the database's match markers (control characters nobody types) become ``<mark>``.
"""

from __future__ import annotations

import json
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

    @property
    def capped(self) -> bool:
        """Whether counting stopped at :data:`COUNT_CAP` (there may be more)."""
        return self.total >= COUNT_CAP


def tag_key(kind: str, value) -> str:
    """The filter key of one tag, a word the full-text index stores: ``smql``, ``p3``, ``kdeck``.

    ``kind`` is one letter (k type, p persona id, s stage, t topic, i industry); the value
    keeps only letters and digits so the tokenizer sees exactly one word.
    """
    return kind + re.sub(r"[^0-9a-z]", "", str(value).strip().lower())


def tags_text(keys: list[str]) -> str:
    """``SearchDocument.tags`` for a list of keys: space-delimited, with a space at each end so
    ``tags LIKE '% smql %'`` matches whole keys."""
    return " " + " ".join(dict.fromkeys(k for k in keys if len(k) > 1)) + " "


def words(q: str) -> list[str]:
    """The searchable words of a query (punctuation and operators dropped)."""
    return [w.lower() for w in _WORD.findall(q or "")][:12]


def highlight(text: str) -> SafeString:
    """Escape ``text`` and turn the database's match markers into ``<mark>`` tags."""
    safe = escape(text or "")
    return mark_safe(safe.replace(_START, "<mark>").replace(_STOP, "</mark>"))


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


def browse_ids(tags: list[str], *, limit: int, offset: int) -> tuple[list[int], int]:
    """Asset ids with all ``tags``, newest first, and how many (counted up to ``COUNT_CAP``)."""
    from smarketing.content.models import SearchDocument

    if not tags:
        ids = list(
            SearchDocument.objects.order_by("-asset_id").values_list("asset_id", flat=True)[
                offset : offset + limit
            ]
        )
        return ids, SearchDocument.objects.count()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            match = " AND ".join(f'tags : "{t}"' for t in tags)
            source = "FROM content_search_fts WHERE content_search_fts MATCH %s"
            key = "rowid"
            params = [match]
        else:
            source = "FROM content_searchdocument WHERE tsv @@ to_tsquery('simple', %s)"
            key = "asset_id"
            params = [" & ".join(tags)]
        cur.execute(f"SELECT count(*) FROM (SELECT 1 {source} LIMIT %s) c", [*params, COUNT_CAP])
        total = cur.fetchone()[0]
        cur.execute(
            f"SELECT {key} {source} ORDER BY {key} DESC LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [r[0] for r in cur.fetchall()], total


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
                    "AND tsv @@ to_tsquery('english', %s)",
                    [asset_id, term],
                )
            if cur.fetchone():
                found.add(term)
    return found


def _fts_query(terms: list[str], tags: list[str], any_word: bool = False) -> str:
    # Each word quoted (so FTS5 operators in the input are plain words) and looked for in the
    # title and body only; the last one is a prefix, for a rep who has not finished typing.
    parts = [f'"{t}"' for t in terms]
    if any_word:
        text = " OR ".join(parts)
    else:
        if len(terms[-1]) >= 3:  # "on"* would merge the posting lists of every word in on…
            parts[-1] += "*"
        text = " ".join(parts)
    query = "{title body} : (" + text + ")"
    return " AND ".join([query, *(f'tags : "{t}"' for t in tags)])


#: bm25 needs each word's document frequency (one pass over the word's whole posting list) and
#: a few microseconds per matching asset. A query matching more assets than this is ordered
#: without it: assets whose title has the words first, then the rest, newest first.
RANK_CAP = 2000
#: PostgreSQL's ts_rank reads each match's tsvector from TOAST storage: a smaller cap.
PG_RANK_CAP = 500
#: Counting stops here; the page and the API say "10000+" (``SearchResult.capped``).
COUNT_CAP = 10000


_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s", "e")


def _root(term: str) -> str:
    # What the stemmer would keep, roughly, so "pricing" also marks "priced" and "price".
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= 3:
            return term[: -len(suffix)]
    return term


def snippet(text: str, terms: list[str], words_around: int = SNIPPET_WORDS) -> SafeString:
    """The passage of ``text`` with the most query words, escaped, the words in ``<mark>``."""
    if not text:
        return mark_safe("")
    pattern = re.compile(
        r"\b(" + "|".join(re.escape(_root(t)) for t in terms if t) + r")\w*", re.IGNORECASE
    )
    tokens = text[:50000].split()
    hits = [i for i, tok in enumerate(tokens) if pattern.search(tok)]
    if not hits:
        start = 0
    else:
        start = max(hits, key=lambda i: sum(1 for h in hits if i <= h < i + words_around))
        start = max(0, start - 4)
    window = tokens[start : start + words_around]
    out = [escape(tok) for tok in window]
    marked = []
    for tok in out:
        marked.append(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", tok))
    prefix = "… " if start else ""
    suffix = " …" if start + words_around < len(tokens) else ""
    return mark_safe(prefix + " ".join(marked) + suffix)


def make_snippets(ids: list[int], terms: list[str]) -> dict[int, SafeString]:
    """Snippets of the given assets' text (a body passage, or the title when the body has none)."""
    if not ids:
        return {}
    from smarketing.content.models import SearchDocument

    out = {}
    for aid, title, body in SearchDocument.objects.filter(asset_id__in=ids).values_list(
        "asset_id", "title", "body"
    ):
        text = body if body and any(_root(t) in body.lower() for t in terms) else title
        out[aid] = snippet(text or title, terms)
    return out


def _title_query(match: str) -> str:
    return match.replace("{title body} :", "title :", 1)


def _sqlite(terms, tags, limit, offset, any_word=False):
    match = _fts_query(terms, tags, any_word)
    fts = "content_search_fts"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH %s LIMIT %s)",
            [match, COUNT_CAP],
        )
        total = cur.fetchone()[0]
        if not total:
            return [], 0
        if total <= RANK_CAP:
            # ORDER BY rank (bm25, weights set in the migration) reads only the index.
            cur.execute(
                f"SELECT rowid, -rank FROM {fts} WHERE {fts} MATCH %s ORDER BY rank LIMIT %s OFFSET %s",
                [match, limit, offset],
            )
            rows = cur.fetchall()
        else:
            cur.execute(
                f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s ORDER BY rowid DESC LIMIT %s",
                [_title_query(match), limit + offset],
            )
            ids = [r[0] for r in cur.fetchall()]
            titled = len(ids)
            if len(ids) < limit + offset:
                cur.execute(
                    f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s ORDER BY rowid DESC LIMIT %s",
                    [match, limit + offset + len(ids)],
                )
                seen = set(ids)
                ids += [r[0] for r in cur.fetchall() if r[0] not in seen]
            rows = [(aid, 1.0 if n < titled else 0.5) for n, aid in enumerate(ids)]
            rows = rows[offset : offset + limit]
    snippets = make_snippets([r[0] for r in rows], terms)
    hits = [Hit(aid, round(score, 6), snippets.get(aid, mark_safe(""))) for aid, score in rows]
    return hits, total


def _pg_query(terms: list[str], any_word: bool = False) -> str:
    # No weight labels: a weight-restricted query makes PostgreSQL re-read every candidate's
    # tsvector. Tag lexemes (``smql``, ``p3``) do not collide with words people type.
    if any_word:
        return " | ".join(terms)
    parts = list(terms)
    if len(terms[-1]) >= 3:
        parts[-1] = f"{terms[-1]}:*"
    return " & ".join(parts)


def _postgres(terms, tags, limit, offset, any_word=False):
    tsq = _pg_query(terms, any_word)
    tag_q = " & ".join(tags) if tags else ""
    query = "(to_tsquery('english', %s)" + (" && to_tsquery('simple', %s))" if tag_q else ")")
    params = [tsq, tag_q] if tag_q else [tsq]
    where = f"d.tsv @@ {query}"
    with connection.cursor() as cur:
        # Counting a common word's matches means re-reading each match's tsvector; the
        # planner's estimate (from the index statistics) says whether the set is small.
        cur.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM content_searchdocument d WHERE {where}", params
        )
        plan = cur.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        estimate = int(plan[0]["Plan"]["Plan Rows"])
        if estimate <= PG_RANK_CAP:
            cur.execute(f"SELECT count(*) FROM content_searchdocument d WHERE {where}", params)
            total = cur.fetchone()[0]
            if not total:
                return [], 0
            cur.execute(
                # A title match outranks any body match (as the 8x title weight does on SQLite).
                f"SELECT d.asset_id, ts_rank(d.tsv, {query}) + CASE WHEN "
                f"to_tsvector('english', d.title) @@ to_tsquery('english', %s) THEN 1 ELSE 0 END AS r "
                f"FROM content_searchdocument d WHERE {where} "
                "ORDER BY r DESC, d.asset_id DESC LIMIT %s OFFSET %s",
                [*params, tsq, *params, limit, offset],
            )
            rows = cur.fetchall()
        else:
            # Many matches: newest first (a backward scan of the primary key stops after a
            # page), the total is the planner's estimate, capped like SQLite's count.
            cur.execute(
                f"SELECT d.asset_id, 0.5 FROM content_searchdocument d WHERE {where} "
                "ORDER BY d.asset_id DESC LIMIT %s OFFSET %s",
                [*params, limit, offset],
            )
            rows = cur.fetchall()
            total = len(rows) + offset if len(rows) < limit else min(estimate, COUNT_CAP)
    snippets = make_snippets([r[0] for r in rows], terms)
    hits = [Hit(aid, round(float(rank), 4), snippets.get(aid, mark_safe(""))) for aid, rank in rows]
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
