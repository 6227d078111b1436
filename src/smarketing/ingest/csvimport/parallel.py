"""Parse an export in a second process while the importing process plans and writes.

Reading, decoding and normalising a row (the pure ``smarketing.ingest.formats`` layer) is
about a quarter of an import's CPU and needs no database, so for big files a worker process
does it and streams the results in bounded chunks through a queue: memory stays flat (at
most :data:`QUEUE_CHUNKS` chunks of :data:`CHUNK_ROWS` rows wait), and on a machine with two
cores parsing overlaps with planning and writing. The worker sends exactly what the inline
path computes: the same :class:`RowResult` per row and the same change fingerprint.

The worker is ``python -m smarketing.ingest.csvimport.parallel`` (this module, which
imports no Django): no inherited database connection, safe in a threaded server or task
queue. Messages go through its stdout pipe, whose buffer bounds what waits.
"""

from __future__ import annotations

import gc
import hashlib
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator

from smarketing.ingest.formats import RowError, RowResult, parse_file
from smarketing.ingest.formats import records as _records

#: Files from this size on are parsed in a worker process (smaller ones: the start-up of a
#: process, about half a second, would cost more than it saves).
PARALLEL_MIN_BYTES = 16 << 20
#: Rows per message from the worker.
CHUNK_ROWS = 1000
#: Messages that may wait, read, in the importing process: a little over two batches of
#: 5,000 rows, so the worker keeps parsing while a batch is written; bounds memory.
QUEUE_CHUNKS = 12


def row_fingerprint(salt: str, row: dict) -> str:
    """Hash of a row's cells (and the format and mapping that read them)."""
    text = salt + "\x1f".join(row.values())
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def inline_results(parsed, salt: str) -> Iterator[tuple[RowResult, str]]:
    """(RowResult, fingerprint) per row, parsed in this process ('' for a row with errors)."""
    normalize, stats = parsed.bound.normalize, parsed.stats
    for row_number, row in parsed._rows:
        result = normalize(row_number, row)
        stats.add(result)
        yield result, (row_fingerprint(salt, row) if result.ok else "")


class WorkerResults:
    """(RowResult, fingerprint) per row after ``skip_through``, parsed in a worker process.

    Use as a context manager: leaving it (normally or by an exception, e.g. a crash of the
    importing code) stops the worker. A failure in the worker is raised here.
    """

    def __init__(self, parsed, *, path: str, format_name: str, mapping, salt: str,
                 skip_through: int = 0) -> None:  # fmt: skip
        layout = parsed.layout
        self._args = (str(path), format_name, mapping, layout.encoding, layout.delimiter,
                      salt, skip_through)  # fmt: skip
        self._stats = parsed.stats
        self._process: subprocess.Popen | None = None
        self._reader: threading.Thread | None = None
        self._messages: queue.Queue = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._stop = threading.Event()

    def __enter__(self) -> WorkerResults:
        # A plain child interpreter, not multiprocessing: "spawn" would run the caller's
        # __main__ again (a script without a main guard breaks) and "fork" would copy a
        # threaded process and its open database connection.
        self._process = subprocess.Popen(  # noqa: S603 - our own module, no shell
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._process.stdin.write(pickle.dumps(self._args))
        self._process.stdin.close()
        return self

    def __exit__(self, *exc) -> None:
        process = self._process
        if process.poll() is None:
            process.kill()
        self._stop.set()
        if self._reader is not None:
            self._reader.join()
        process.stdout.close()
        process.wait()

    def __iter__(self) -> Iterator[tuple[RowResult, str]]:
        stats = self._stats
        # A thread drains the pipe into a bounded queue: the pipe's own buffer (64 KiB,
        # about a tenth of a chunk) would otherwise stop the worker while this process
        # writes a batch, and the two would take turns instead of working at once.
        self._reader = threading.Thread(target=self._read, name="import-parser-reader")
        self._reader.daemon = True
        self._reader.start()
        while True:
            kind, payload = self._messages.get()
            if kind == b"D":
                return
            if kind == b"E":
                raise pickle.loads(payload)
            if kind == b"X":
                raise RuntimeError(f"the parsing process stopped (exit code {payload})")
            for result, fp in _without_gc(_loads, payload):
                stats.add(result)
                yield result, fp

    def _read(self) -> None:
        pipe, messages = self._process.stdout, self._messages
        try:
            while not self._stop.is_set():
                header = pipe.read(_HEADER.size)
                if len(header) < _HEADER.size:
                    message = (b"X", self._process.wait())
                else:
                    kind, size = _HEADER.unpack(header)
                    message = (kind, pipe.read(size))
                while not self._stop.is_set():
                    try:
                        messages.put(message, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if message[0] != b"R":
                    return
        except (OSError, ValueError):  # the pipe was closed: the import is over
            return


def _without_gc(function, *args):
    """``function(*args)`` with the cyclic garbage collector paused.

    Unpickling a chunk creates some 15,000 tuples that all stay alive, so the collector
    runs over and over and finds nothing: that was about three quarters of the time spent
    receiving rows. Plain tuples and strings make no reference cycles to miss.
    """
    if not gc.isenabled():
        return function(*args)
    gc.disable()
    try:
        return function(*args)
    finally:
        gc.enable()


#: A message from the worker: kind (R rows, E error, D done) and payload length.
_HEADER = struct.Struct("<cI")


def _send(out, kind: bytes, payload: bytes = b"") -> None:
    out.write(_HEADER.pack(kind, len(payload)))
    out.write(payload)


def _produce(out, path, format_name, mapping, encoding, delimiter, salt, skip_through):
    """The worker: parse the file, send pickled chunks of rows, then done (or the error)."""
    try:
        with parse_file(
            path, format=format_name, mapping=mapping, encoding=encoding, delimiter=delimiter
        ) as parsed:
            normalize = parsed.bound.normalize
            chunk = []
            for row_number, row in parsed._rows:
                if row_number <= skip_through:
                    continue  # written by an earlier run of the job
                result = normalize(row_number, row)
                chunk.append((result, row_fingerprint(salt, row) if result.ok else ""))
                if len(chunk) >= CHUNK_ROWS:
                    _send(out, b"R", _dumps(chunk))
                    chunk = []
            if chunk:
                _send(out, b"R", _dumps(chunk))
        _send(out, b"D")
    except BaseException as exc:  # noqa: BLE001 - every failure is reported to the importer
        try:
            payload = pickle.dumps(exc)
        except Exception:  # noqa: BLE001
            payload = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        _send(out, b"E", payload)
    out.flush()


#: Record classes by their number in a message (rows travel as plain tuples: unpickling a
#: tuple is cheap, and rebuilding the named tuple from it is one call, where unpickling
#: objects field by field was most of what the importing process spent on receiving rows).
_KINDS = (
    _records.ContactRecord,
    _records.AccountRecord,
    _records.StageEventRecord,
    _records.DealRecord,
    _records.TouchRecord,
    _records.RoleRecord,
)
_KIND_OF = {cls: number for number, cls in enumerate(_KINDS)}


def _dumps(chunk) -> bytes:
    """A chunk of (RowResult, fingerprint) as plain tuples, pickled."""
    kind_of = _KIND_OF
    return pickle.dumps(
        [
            (
                result.row_number,
                tuple([(kind_of[type(r)], tuple(r)) for r in result.records]),
                tuple([tuple(e) for e in result.errors]),
                fp,
            )
            for result, fp in chunk
        ],
        protocol=pickle.HIGHEST_PROTOCOL,
    )


def _loads(payload: bytes) -> list[tuple[RowResult, str]]:
    """The chunk :func:`_dumps` sent, as (RowResult, fingerprint) pairs again."""
    new, kinds, row_error, row_result = tuple.__new__, _KINDS, RowError, RowResult
    return [
        (
            new(
                row_result,
                (
                    row_number,
                    tuple([new(kinds[kind], values) for kind, values in records]),
                    tuple([new(row_error, e) for e in errors]) if errors else (),
                ),
            ),
            fp,
        )
        for row_number, records, errors, fp in pickle.loads(payload)
    ]


if __name__ == "__main__":
    try:
        _produce(sys.stdout.buffer, *pickle.loads(sys.stdin.buffer.read()))
    except BrokenPipeError:  # the importer stopped reading (it crashed or was stopped)
        sys.exit(1)
