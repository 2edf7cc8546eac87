"""How many bytes a PDF's streams inflate to, counted before any PDF library decodes one.

PDFium and pdfminer decode a content stream whole, in memory: a file of a few hundred KiB
can hold a page that inflates to gigabytes. Every stream object of the file is inflated
here in bounded chunks through its whole filter chain (after decryption, when the file is
encrypted with an empty user password as most "protected" PDFs are), the output counted
and dropped, and the file is refused once the total passes ``limits.max_unzipped_bytes``:
memory is bounded by the limit, whatever the input. Image codecs (DCT, JPX, JBIG2, CCITT)
end a chain: text extraction never decodes them.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator

from .limits import InflateBudget

CHUNK = 1 << 20  # bytes of output per step of an inflater
_OBJ = re.compile(rb"(\d{1,10})[ \t\r\n\f\0]+(\d{1,5})[ \t\r\n\f\0]+obj\b")
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_FILTER = re.compile(rb"/Filter[ \t\r\n\f\0]*(\[[^\]]*\]|/[^ \t\r\n\f\0/\[\]<>()]*)")
_NAME = re.compile(rb"/([^ \t\r\n\f\0/\[\]<>()]*)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_IMAGE_CODECS = frozenset({"DCTDecode", "DCT", "JPXDecode", "JBIG2Decode", "CCITTFaxDecode", "CCF"})

Decipher = Callable[[int, int, bytes], bytes]


def count_inflated(data: bytes, budget: InflateBudget) -> None:
    """Inflate every stream of the PDF `data` in bounded chunks, charging `budget` for all output.

    Raises LimitExceeded (from the budget) when the total passes the limit; damaged
    streams count up to where they break, as a PDF reader reads them.
    """
    streams = list(_streams(data))
    # cross-reference streams are never encrypted (ISO 32000-1, 7.6.1), and they are counted
    # before the decryption is set up, which reads them
    for _, _, head, body in streams:
        if _is_xref(head):
            _run_chain(_filters(head), body, budget)
    decipher = _decipher(data) if b"/Encrypt" in data else None
    for objid, genno, head, body in streams:
        if _is_xref(head):
            continue
        if decipher is not None:
            try:
                body = decipher(objid, genno, body)
            except Exception:  # a stream the handler cannot decrypt is not read by anyone
                continue
        _run_chain(_filters(head), body, budget)


def _streams(data: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(object number, generation, dictionary bytes, raw stream bytes) of each stream object."""
    pos = 0
    while True:
        m = _OBJ.search(data, pos)
        if m is None:
            return
        end_obj = data.find(b"endobj", m.end())
        s = _STREAM.search(data, m.end(), end_obj if end_obj >= 0 else len(data))
        if s is None:
            pos = end_obj + 6 if end_obj >= 0 else m.end()
            continue
        stop = data.find(b"endstream", s.end())
        stop = len(data) if stop < 0 else stop
        yield int(m.group(1)), int(m.group(2)), data[m.end() : s.start()], data[s.end() : stop]
        pos = stop + 9


def _filters(head: bytes) -> list[str]:
    m = _FILTER.search(head)
    if m is None:
        return []
    names = []
    for raw in _NAME.findall(m.group(1)):
        # PDF names may escape any byte as #xx, and readers unescape them
        names.append(_HEX.sub(lambda h: bytes([int(h.group(1), 16)]), raw).decode("latin-1"))
    return names


def _is_xref(head: bytes) -> bool:
    return re.search(rb"/Type[ \t\r\n\f\0]*/XRef\b", head) is not None


def _run_chain(filters: list[str], body: bytes, budget: InflateBudget) -> None:
    """Decode `body` through `filters`; every decoded byte is charged, the last stage's dropped."""
    data = body
    for n, name in enumerate(filters):
        last = n == len(filters) - 1
        if name in _IMAGE_CODECS:
            return
        if name in ("FlateDecode", "Fl"):
            data = _inflate(data, budget, keep=not last)
        elif name in ("LZWDecode", "LZW"):
            data = _lzw(data, budget, keep=not last)
        elif name in ("RunLengthDecode", "RL"):
            data = _runlength(data, budget)
        elif name in ("ASCII85Decode", "A85"):
            data = _small(data, "a85", budget)
        elif name in ("ASCIIHexDecode", "AHx"):
            data = _small(data, "hex", budget)
        elif name == "Crypt":
            continue
        else:
            return  # a filter no reader knows: the stream is not decoded


def _inflate(data: bytes, budget: InflateBudget, keep: bool) -> bytes:
    d = zlib.decompressobj()
    out = io.BytesIO() if keep else None
    tail = data
    try:
        while not d.eof:
            chunk = d.decompress(tail, CHUNK)
            tail = d.unconsumed_tail
            if not chunk:
                if not tail:
                    chunk = d.flush()
                    budget.take(len(chunk))
                    if out is not None:
                        out.write(chunk)
                break
            budget.take(len(chunk))
            if out is not None:
                out.write(chunk)
    except zlib.error:
        pass  # damaged: readers stop where it breaks, and so does the count
    return out.getvalue() if out is not None else b""


def _lzw(data: bytes, budget: InflateBudget, keep: bool) -> bytes:
    from pdfminer.lzw import LZWDecoder

    out = io.BytesIO() if keep else None
    try:
        for chunk in LZWDecoder(io.BytesIO(data)).run():
            budget.take(len(chunk))
            if out is not None:
                out.write(chunk)
    except (IndexError, ValueError):
        pass
    return out.getvalue() if out is not None else b""


def _runlength(data: bytes, budget: InflateBudget) -> bytes:
    """RunLengthDecode; the output size is summed from the run headers before any is built."""
    size, i, n = 0, 0, len(data)
    while i < n:
        length = data[i]
        if length == 128:
            break
        run = length + 1 if length < 128 else 257 - length
        size += run
        i += 1 + (run if length < 128 else 1)
    budget.take(size)
    out = io.BytesIO()
    i = 0
    while i < n and data[i] != 128:
        length = data[i]
        if length < 128:
            out.write(data[i + 1 : i + 2 + length])
            i += 2 + length
        else:
            out.write(data[i + 1 : i + 2] * (257 - length))
            i += 2
    return out.getvalue()


def _small(data: bytes, kind: str, budget: InflateBudget) -> bytes:
    """ASCII85 (at most 4 bytes out per byte in) and ASCIIHex (fewer out than in)."""
    from pdfminer.ascii85 import ascii85decode, asciihexdecode

    try:
        out = ascii85decode(data) if kind == "a85" else asciihexdecode(data)
    except (ValueError, TypeError):
        return b""
    budget.take(len(out))
    return out


def _decipher(data: bytes) -> Decipher | None:
    """The decryption of an encrypted PDF that opens without a password, or None."""
    try:
        from pdfminer.pdfdocument import PDFDocument
        from pdfminer.pdfparser import PDFParser

        doc = PDFDocument(PDFParser(io.BytesIO(data)))
    except Exception:  # a password, an unknown handler or a damaged file: nothing to decrypt with
        return None
    handler = doc.decipher
    if handler is None:
        return None
    return lambda objid, genno, body: handler(objid, genno, body)
