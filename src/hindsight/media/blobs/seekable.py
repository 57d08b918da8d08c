"""A read-only, seekable file of a known size, for the parsers that probe a blob's headers in
a thread (they seek about and read a little); each store says how its bytes are read."""

from __future__ import annotations

import io


class SeekableReader(io.RawIOBase):
    """Position and seeking over `size` bytes; subclasses read at `_pos` in `readinto`."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos
