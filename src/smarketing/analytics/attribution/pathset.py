"""Distinct paths as integer arrays: the compact form the path-format models run on.

The aggregated path format already holds one row per distinct path, so instead of
exploding it into one engine row per touch, the path strings are split once into a CSR
layout: the steps of path ``i`` are ``codes[offsets[i]:offsets[i + 1]]``, each an index
into the sorted ``keys``; ``conv``, ``value`` and ``nulls`` are per path. Every model then
works with vectorised numpy over these arrays (a few million integers at most).

Splitting reads the bytes of the Arrow string buffer: the separator is located with
vectorised comparisons and the steps become a zero-copy Arrow string array that Arrow
dictionary-encodes. Inputs the fast route cannot decide exactly (a separator that is not
one character padded with spaces, overlapping separators, nulls, a separator character
outside a separator) take a plain Python route with the same rules.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import AttributionError

#: Characters stripped around a step (the engine's ``strip()``: ASCII whitespace).
WHITESPACE = " \t\n\r\x0b\x0c"


@dataclass(frozen=True)
class PathSet:
    """Distinct paths: CSR steps (codes into ``keys``) with per-path counts.

    Examples
    --------
    >>> ps = PathSet.from_strings(["A > B", "B"], separator=" > ",
    ...     conv=np.array([1.0, 0.0]), value=np.zeros(2), nulls=np.array([0.0, 1.0]))
    >>> ps.keys, ps.offsets.tolist(), ps.codes.tolist()
    (('A', 'B'), [0, 2, 3], [0, 1, 1])
    """

    keys: tuple[str, ...]
    offsets: np.ndarray
    codes: np.ndarray
    conv: np.ndarray
    value: np.ndarray
    nulls: np.ndarray

    @classmethod
    def from_strings(cls, strings, *, separator: str, conv, value, nulls) -> PathSet:
        """Split path strings (an Arrow array or any sequence of str) into a PathSet."""
        if not isinstance(strings, pa.ChunkedArray | pa.Array):
            strings = pa.array(list(strings), type=pa.large_string())
        offsets, codes, keys = split_paths(strings, separator)
        return cls(keys, offsets, codes, conv, value, nulls)

    @property
    def n_paths(self) -> int:
        """Number of paths."""
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        """Steps per path."""
        return np.diff(self.offsets)

    def path_index(self) -> np.ndarray:
        """Path of every step."""
        return np.repeat(np.arange(self.n_paths), self.lengths())


def split_paths(strings, separator: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Split path strings into CSR ``offsets``, ``codes`` and the sorted distinct ``keys``.

    Spaces (ASCII whitespace) around a step are stripped. A path that is blank, starts or
    ends with the separator, repeats it, or has a blank step is an error naming the row.

    Examples
    --------
    >>> import pyarrow as pa
    >>> off, codes, keys = split_paths(pa.array(["b > a", "a"]), " > ")
    >>> off.tolist(), codes.tolist(), keys
    ([0, 2, 3], [1, 0, 0], ('a', 'b'))
    """
    chunks = strings.chunks if isinstance(strings, pa.ChunkedArray) else [strings]
    parts = None
    if _fast_separator(separator) and all(c.null_count == 0 for c in chunks):
        pieces = _pieces(chunks)
        if len(pieces) > 1:  # numpy and Arrow release the GIL: split pieces in parallel
            with ThreadPoolExecutor(max_workers=min(len(pieces), os.cpu_count() or 1)) as pool:
                parts = list(pool.map(lambda c: _split_chunk(c, separator), pieces))
        else:
            parts = [_split_chunk(c, separator) for c in pieces]
        if any(p is None for p in parts):
            parts = None
    if parts is None:
        return _split_python(strings, separator)
    # merge the per-chunk dictionaries into one sorted key list
    names: dict[str, int] = {}
    chunk_maps, bad_codes = [], set()
    for _, _, raw in parts:
        ids = []
        for token in raw:
            body = token[: -len(separator)] if token.endswith(separator) else token
            key = body.strip(WHITESPACE)
            if not body.strip():
                key = ""
            ids.append(names.setdefault(key, len(names)))
        chunk_maps.append(np.asarray(ids, dtype=np.int32))
    if "" in names:
        bad_codes.add(names[""])
    keys = sorted(k for k in names if k != "")
    rank = np.full(len(names), -1, dtype=np.int32 if len(names) < 2**31 else np.int64)
    for i, k in enumerate(keys):
        rank[names[k]] = i
    counts = np.concatenate([p[0] for p in parts])
    codes = [rank[m][p[1]] for m, p in zip(chunk_maps, parts, strict=True)]
    codes = codes[0] if len(codes) == 1 else np.concatenate(codes)
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if bad_codes:
        first_step = int(np.flatnonzero(codes < 0)[0])
        row = int(np.searchsorted(offsets, first_step, side="right") - 1)
        _bad_row(row, _text(strings, row))
    return offsets, codes, tuple(keys)


def _pieces(chunks, rows: int = 100_000) -> list:
    """Zero-copy slices of about ``rows`` paths (parallel work units)."""
    out = []
    for chunk in chunks:
        out.extend(chunk.slice(i, rows) for i in range(0, len(chunk), rows))
    return out


def _bad_row(row: int, text) -> None:
    raise AttributionError(f"path row {row} ({text!r}) is empty or has an empty step")


def _text(strings, row: int):
    return strings[row].as_py()


def _fast_separator(separator: str) -> bool:
    """One non-space character, optionally padded with spaces (" > ", ">", " | ")."""
    core = separator.strip(" ")
    return len(core) == 1 and not core.isspace() and separator.replace(" ", "") == core


def _find(buf: np.ndarray, pattern: bytes) -> np.ndarray:
    """Start of every occurrence of ``pattern`` in ``buf`` (overlapping ones included)."""
    pat = np.frombuffer(pattern, dtype=np.uint8)
    n = len(buf) - len(pat) + 1
    if n <= 0:
        return np.empty(0, dtype=np.int64)
    hit = buf[:n] == pat[0]
    for j in range(1, len(pat)):
        hit &= buf[j : n + j] == pat[j]
    return np.flatnonzero(hit)


def _separator_hits(view: np.ndarray, separator: str) -> np.ndarray | None:
    """Starts of the separators in ``view``; None if a separator character stands alone.

    The separator is one character padded with spaces, so every occurrence of that
    character must carry its padding; then no step can hide a separator character.
    """
    core = separator.strip(" ")
    left = len(separator) - len(separator.lstrip(" "))
    right = len(separator) - len(separator.rstrip(" "))
    hits = _find(view, core.encode())
    if len(hits) and (hits[0] < left or hits[-1] + len(core.encode()) + right > len(view)):
        return None
    for j in range(1, left + 1):
        if not np.all(view[hits - j] == 32):
            return None
    for j in range(right):
        if not np.all(view[hits + len(core.encode()) + j] == 32):
            return None
    return hits - left


def _split_chunk(chunk: pa.Array, separator: str):
    """Steps per path, step dictionary indices and raw dictionary of one Arrow chunk.

    Each step is viewed (zero-copy) together with the separator that follows it, so the
    steps are contiguous in the original buffer. Returns None when the byte-level route
    cannot reproduce the rules exactly.
    """
    if pa.types.is_large_string(chunk.type):
        off_type = np.int64
    elif pa.types.is_string(chunk.type):
        off_type = np.int32
    else:
        return None
    n = len(chunk)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int32), []
    _, off_buf, data_buf = chunk.buffers()
    offs = np.frombuffer(off_buf, dtype=off_type)[chunk.offset : chunk.offset + n + 1]
    offs = offs.astype(np.int64)
    lo, hi = int(offs[0]), int(offs[-1])
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.empty(0)
    width = len(separator.encode())
    hits = _separator_hits(data[lo:hi], separator)
    if hits is None or np.any(np.diff(hits) < width):
        return None  # a lone separator character, or overlapping separators
    hits += lo
    # hits of path p are hits[before[p]:before[p + 1]]; the last one must end inside p
    before = np.searchsorted(hits, offs)
    counts = np.diff(before) + 1
    last = before[1:] - 1
    has = counts > 1
    if np.any(hits[last[has]] + width > offs[1:][has]):
        return None
    first = np.arange(n, dtype=np.int64) + before[:-1]
    starts = np.empty(n + len(hits) + 1, dtype=np.int64)
    is_first = np.zeros(len(starts) - 1, dtype=bool)
    is_first[first] = True
    starts[:-1][is_first] = offs[:-1]
    starts[:-1][~is_first] = hits + width
    starts[-1] = hi
    steps = pa.LargeStringArray.from_buffers(len(starts) - 1, pa.py_buffer(starts), data_buf)
    enc = pc.dictionary_encode(steps)
    indices = enc.indices.to_numpy(zero_copy_only=False)
    return counts, indices, enc.dictionary.to_pylist()


def _split_python(strings, separator: str):
    """Reference route: the same rules on Python strings, one path at a time."""
    if not separator:
        raise AttributionError("separator must not be empty")
    core = separator.strip() or separator
    doubled = (separator + separator).replace(" ", "")
    names: dict[str, int] = {}
    counts, codes = [], []
    for row, value in enumerate(strings.to_pylist()):
        text = "" if value is None else str(value)
        stripped = text.strip()
        steps = [s.strip(WHITESPACE) for s in text.split(separator)]
        if (
            stripped == ""
            or stripped.startswith(core)
            or stripped.endswith(core)
            or doubled in text.replace(" ", "")
            or any(not s.strip() for s in steps)
        ):
            _bad_row(row, value if value is not None else None)
        counts.append(len(steps))
        codes.extend(names.setdefault(s, len(names)) for s in steps)
    keys = sorted(names)
    rank = np.empty(len(names), dtype=np.int64)
    for i, k in enumerate(keys):
        rank[names[k]] = i
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    code_arr = rank[np.asarray(codes, dtype=np.int64)] if codes else np.zeros(0, np.int64)
    return offsets, code_arr, tuple(keys)
