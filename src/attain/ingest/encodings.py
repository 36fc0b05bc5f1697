"""Tell a text file's encoding and hand DuckDB a UTF-8 copy when it is not UTF-8 already.

DuckDB reads only UTF-8 without its `encodings` extension, which it downloads at run time, so
other encodings are converted here in one streaming pass (1 MiB at a time) into a temporary
file. Detection reads a bounded sample; the whole file is still decoded once, so a bad byte
anywhere fails with its line instead of loading mangled text.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

from attain.errors import InputError

SAMPLE_BYTES = 1 << 20
"""How much of a file detection reads (1 MiB)."""

CHUNK_BYTES = 1 << 20
"""How much of a file is decoded at a time when checking or converting it."""

READ_AS_IS = frozenset({"utf-8", "utf-8-sig", "ascii"})
"""Encodings DuckDB reads without conversion (it skips a UTF-8 byte-order mark itself)."""

_BOMS = (
    # UTF-32 first: its little-endian mark starts with UTF-16's.
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_CANDIDATES = (
    # Windows code pages and the East Asian encodings spreadsheets and CRMs write. DOS and Mac
    # code pages are left out: on short Western samples charset-normalizer ranks them first
    # (cp437 for a Windows-1252 file with '€', cp775 for French text) and misreads the file.
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "koi8_r",
    "cp932",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "cp949",
    "euc_kr",
)


_TIE = 0.01
"""Scores (chaos, coherence) this close count as equal when choosing among readings."""


class _Undecodable(Exception):
    """Bytes that are not valid in the encoding tried, at a line and byte offset of the file."""

    def __init__(self, line: int, offset: int) -> None:
        super().__init__(line, offset)
        self.line = line
        self.offset = offset


def codec_name(name: str) -> str:
    """Python's name for the encoding `name` (`latin-1` -> `iso8859-1`); InputError if unknown."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(
            f"unknown encoding {name!r}; use a name like utf-8, cp1252, latin-1 or utf-16"
        ) from None


@contextmanager
def as_utf8(path: Path, declared: str | None = None) -> Iterator[tuple[Path, str]]:
    """The file for DuckDB to read (`path` or a UTF-8 copy, deleted on exit) and its encoding.

    `declared` (the user's `--encoding`) is used as is; otherwise the encoding is detected.
    Raises InputError naming the file, the line and the encoding when the bytes do not decode.
    """
    encoding = codec_name(declared) if declared else _detect(path)
    if encoding in READ_AS_IS:
        try:
            _decode(path, encoding, None)
        except _Undecodable as bad:
            if declared:
                raise InputError(_undecodable_message(path, encoding, bad)) from None
            # The sample was UTF-8 (often plain ASCII) but a later part of the file is not.
            encoding = _guess(path, _read_sample(path, max(0, bad.offset - SAMPLE_BYTES // 2)))
        else:
            yield path, encoding
            return
    handle, name = tempfile.mkstemp(prefix="attain-utf8-", suffix=".csv")
    copy = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            encoding = _convert(path, encoding, out, fallback=not declared)
        yield copy, encoding
    finally:
        copy.unlink(missing_ok=True)


def _detect(path: Path) -> str:
    """The encoding of the file's first MiB: a byte-order mark, UTF-8, else the best guess."""
    sample = _read_sample(path, 0)
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    try:
        # Not final: the sample may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return _guess(path, sample)
    return "utf-8"


def _guess(path: Path, sample: bytes) -> str:
    """charset-normalizer's reading of `sample`, Windows-1252 when that reads it as well.

    Windows-1252 is Latin-1 plus printable characters where Latin-1 has control codes (`€` is
    0x80), so a Western file reads correctly in it either way. It wins ties: on a few accents
    charset-normalizer scores Windows-1250 the same as Windows-1252 and would list it first,
    reading Spanish `ñ` as `ń`.
    """
    matches = charset_normalizer.from_bytes(sample, cp_isolation=list(_CANDIDATES))
    best = matches.best()
    if best is None:
        raise InputError(
            f"{path}: cannot tell the text encoding; declare it with --encoding "
            f"(e.g. --encoding cp1252)"
        )
    for match in matches:
        tie = (
            abs(match.chaos - best.chaos) <= _TIE and abs(match.coherence - best.coherence) <= _TIE
        )
        if match is best or tie:
            for western in ("cp1252", "latin_1"):
                if western in match.could_be_from_charset:
                    return codec_name(western)
    return codec_name(best.encoding)


def _convert(path: Path, encoding: str, out: BinaryIO, *, fallback: bool) -> str:
    """Write `path` to `out` as UTF-8; the encoding it was read in.

    With `fallback`, a detected Windows-1252 file holding one of the five bytes that
    Windows-1252 leaves undefined is read as Latin-1 instead.
    """
    try:
        _decode(path, encoding, out)
    except _Undecodable as bad:
        if not (fallback and encoding == "cp1252"):
            raise InputError(_undecodable_message(path, encoding, bad)) from None
        out.seek(0)
        out.truncate()
        encoding = codec_name("latin-1")
        _decode(path, encoding, out)
    return encoding


def _decode(path: Path, encoding: str, out: BinaryIO | None) -> None:
    """Decode the whole file chunk by chunk, writing UTF-8 to `out` if given.

    Raises _Undecodable with the line (1-based) and byte offset of the first bad byte. A
    file read as is (READ_AS_IS, no `out`) needs no decoding where a chunk is ASCII, which
    reads the same in each of them: such chunks are only checked, and their lines counted
    when a later byte does not decode (10 M activities: 0.14 s against 0.69 s, on the
    import's one thread before DuckDB reads).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    as_is = out is None and encoding in READ_AS_IS
    lines = 1
    offset = 0
    uncounted: list[int] = []  # where the ASCII chunks whose lines were not counted start
    with path.open("rb") as source:
        while True:
            chunk = source.read(CHUNK_BYTES)
            state = decoder.getstate()
            if as_is and chunk and not state[0] and chunk.isascii():
                uncounted.append(offset)
                offset += len(chunk)
                continue
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                lines += _lines_in(source, uncounted)
                raise _locate(encoding, state, chunk, error, lines, offset) from None
            lines += text.count("\n")
            offset += len(chunk)
            if out is not None and text:
                out.write(text.encode("utf-8"))
            if not chunk:
                return


def _lines_in(source: BinaryIO, starts: list[int]) -> int:
    """The line breaks in the chunks of `source` starting at `starts`."""
    count = 0
    for start in starts:
        source.seek(start)
        count += source.read(CHUNK_BYTES).count(b"\n")
    return count


def _locate(
    encoding: str,
    state: tuple[bytes, int],
    chunk: bytes,
    error: UnicodeDecodeError,
    lines: int,
    offset: int,
) -> _Undecodable:
    """Where `error` is in the file: decode the good part of `chunk` again to count its lines.

    `state` is the decoder's state before `chunk`: the bytes it held back from the previous
    chunk, which `error.start` counts from.
    """
    pending = state[0]
    good = chunk[: max(0, error.start - len(pending))]
    probe = codecs.getincrementaldecoder(encoding)(errors="strict")
    probe.setstate(state)
    lines += probe.decode(good).count("\n")
    return _Undecodable(lines, offset - len(pending) + error.start)


def _undecodable_message(path: Path, encoding: str, bad: _Undecodable) -> str:
    return (
        f"{path}: line {bad.line} cannot be read as {encoding} (byte {bad.offset + 1}); "
        f"declare the file's encoding with --encoding (e.g. --encoding cp1252 or utf-16)"
    )


def _read_sample(path: Path, start: int) -> bytes:
    with path.open("rb") as source:
        source.seek(start)
        return source.read(SAMPLE_BYTES)
