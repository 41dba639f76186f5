"""Reading a CSV upload: decoding, hashing for the audit record, records in chunks."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from .results import RowError

FIELD_LIMIT = 16 * 1024 * 1024  # characters a value may have (csv's default is 128 KiB)
# Characters read at a time: a plain chunk holds the lines they make.
CHUNK_CHARACTERS = 1 << 16
# Records per chunk once csv.reader reads: about as many as a plain chunk's lines, so that the
# short cut learns new spellings as soon.
CSV_RECORDS = 500
_LINE_END = re.compile(rb"\r\n|\r|\n")


class HashingReader(io.RawIOBase):
    """Counts and hashes the bytes as they stream past, for the audit record."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.sha256.update(data)
        self.size += size
        return size


def first_undecodable_line(source: BinaryIO, start: int | None) -> tuple[int, str] | None:
    """Find the line that is not UTF-8 (a second look, only once decoding failed): its number,
    counted as the reader counts lines (CRLF, LF or a CR alone end one), and the first bad byte.
    ``start``: where the file began in the stream (None: it cannot be read again)."""
    if start is None:
        return None
    try:
        source.seek(start)
    except (AttributeError, OSError, ValueError):
        return None
    line, carry, after_cr = 1, b"", False
    while True:
        chunk = source.read(1 << 16)
        data = carry + chunk
        if not data:
            return None
        bad = None
        try:
            data.decode("utf-8")
            good = len(data)
        except UnicodeDecodeError as error:
            good = error.start
            # A character the chunk cut in two is read whole with the next one.
            if not (chunk and error.reason == "unexpected end of data"):
                bad = error.start
        text = data[:good]
        if after_cr and text[:1] == b"\n":
            text = text[1:]  # the LF of a CRLF the chunks split
        line += len(_LINE_END.findall(text))
        if text:
            after_cr = text[-1:] == b"\r"
        if bad is not None:
            return line, f"0x{data[bad]:02x}"
        carry = data[good:]


# (line numbers, records or None, plain lines or None): see CsvReader.chunks.
Chunk = tuple[Sequence[int], list[list[str]] | None, list[str] | None]


def records_of(lines: list[str]) -> list[list[str]]:
    """Plain lines (no quotes, CR or NUL) as csv.reader would read them."""
    return [line.split(",") if line else [] for line in lines]


class CsvReader:
    """The CSV records of a byte stream: UTF-8 with or without BOM, CRLF, LF or CR line ends.

    ``chunks()`` yields them in chunks of (line numbers, records, lines), the number of the
    physical line on which each record starts. Most files are plain text: no quotes, no CR, no
    NUL. Such a chunk comes as its lines (records is None): split on commas they are its records,
    which is all ``csv.reader`` would make of them, only several times faster. From the first
    chunk that is not plain on, ``csv.reader`` reads the rest (quoted values may span lines), and
    chunks come as records (lines is None).
    """

    _LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")  # a line and its end, as TextIOWrapper splits them

    def __init__(self, source: BinaryIO, hashing: HashingReader):
        self.source = source
        self.start = position(source)
        self.text = io.TextIOWrapper(io.BufferedReader(hashing, 1 << 16), encoding="utf-8-sig", newline="")
        self.lines_before_csv = 0  # physical lines split here before csv.reader took over
        self.records = None  # that csv.reader

    @property
    def line_num(self) -> int:
        """Physical lines read so far."""
        return self.lines_before_csv + (self.records.line_num if self.records is not None else 0)

    def chunks(self) -> Iterator[Chunk]:
        # A request's notes may be long (a memo pasted in): csv's default cap of 128 KiB a field
        # would refuse what export_csv wrote. The cap is process-wide; it is only ever raised.
        if csv.field_size_limit() < FIELD_LIMIT:
            csv.field_size_limit(FIELD_LIMIT)
        read, limit = self.text.read, csv.field_size_limit()
        pending = ""  # the start of a line whose end is not read yet
        while True:
            data = read(CHUNK_CHARACTERS)
            text = pending + data
            if data:
                end = text.rfind("\n") + 1
                if not end:
                    pending = text
                    continue
            elif text:
                end = len(text)  # the last line has no newline
            else:
                return
            body, pending = text[:end], text[end:]
            plain = '"' not in body and "\x00" not in body
            if plain and "\r" in body:
                # CRLF line ends (spreadsheets write them) are plain too; a CR alone is not.
                plain = body.count("\r") == body.count("\r\n")
                if plain:
                    body = body.replace("\r\n", "\n")
            lines = body[:-1].split("\n") if body[-1:] == "\n" else body.split("\n")
            if not plain or (len(body) > limit and max(map(len, lines)) > limit):
                yield from self._csv_chunks(text[:end] + pending)
                return
            first = self.lines_before_csv + 1
            self.lines_before_csv += len(lines)
            yield range(first, first + len(lines)), None, lines
            if not data:
                return

    def _csv_chunks(self, text: str) -> Iterator[Chunk]:
        records = self.records = csv.reader(self._lines(text), strict=True)
        base = self.lines_before_csv
        while True:
            lines, chunk = [], []
            last = records.line_num
            for record in records:
                lines.append(base + last + 1)
                chunk.append(record)
                last = records.line_num
                if len(chunk) == CSV_RECORDS:
                    break
            if not chunk:
                return
            yield lines, chunk, None

    def _lines(self, text: str) -> Iterator[str]:
        """``text`` and the rest of the stream, as lines with their ends."""
        match, read = self._LINE.match, self.text.read
        while True:
            data = read(CHUNK_CHARACTERS)
            text += data
            # A final CR may be the first half of a CRLF.
            stop = len(text) - 1 if data and text[-1:] == "\r" else len(text)
            position = 0
            while line := match(text, position, stop):
                yield line.group()
                position = line.end()
            text = text[position:]
            if not data:
                if text:
                    yield text
                return

    def problem(self, error: Exception) -> RowError:
        """What to tell the user about a decoding or CSV error raised while reading."""
        if isinstance(error, UnicodeDecodeError):
            found = first_undecodable_line(self.source, self.start)
            where = f"byte {found[1]} on line {found[0]}" if found else f"byte {error.start}"
            return RowError(
                found[0] if found else None,
                "",
                "",
                f"the file is not UTF-8: {where} cannot be decoded. Save it as UTF-8 "
                f"(in a spreadsheet: 'CSV UTF-8') and import it again.",
            )
        return RowError(self.line_num, "", "", f"not readable as CSV ({error}); nothing after it was read")


def position(source: BinaryIO) -> int | None:
    """Where the stream is, if it can be read again from there (a file), else None."""
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def size_of(source: BinaryIO) -> int | None:
    """Bytes from where the stream is to its end, if it can be rewound (see position)."""
    start = position(source)
    if start is None:
        return None
    try:
        size = source.seek(0, io.SEEK_END)
        source.seek(start)
        return size - start
    except (OSError, ValueError):
        return None
