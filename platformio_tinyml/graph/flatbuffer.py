"""A small reader for the FlatBuffers wire format, bounds-checked at every step.

Wire format (all little-endian):
- the file starts with a uoffset32 to the root table;
- a table starts with an soffset32; its vtable lies at table_pos - soffset;
- a vtable is uint16 vtable_size, uint16 table_size, then one uint16 per field
  slot giving the field's offset inside the table (0 or missing = default value);
- a field that refers to a table, vector or string holds a uoffset32 counted
  from the field's own position;
- a vector (or string) is a uint32 element count followed by the elements; a
  vector of tables holds one uoffset32 per element, each counted from itself;
- a union field X takes two slots: X_type (a uint8), then X (a table offset).

Every read is checked against the file size and the table's declared size, so
a truncated or corrupt file raises ModelFormatError, never IndexError or
struct.error.
"""

import struct

from .errors import corrupt

UINT8 = struct.Struct('<B')
INT8 = struct.Struct('<b')
BOOL = struct.Struct('<?')
UINT16 = struct.Struct('<H')
INT32 = struct.Struct('<i')
UINT32 = struct.Struct('<I')
INT64 = struct.Struct('<q')
UINT64 = struct.Struct('<Q')
FLOAT32 = struct.Struct('<f')


class FlatBuffer:
    """The whole file plus the name to blame in error messages."""

    def __init__(self, data: bytes | bytearray | memoryview, source: str):
        self.view = memoryview(data).cast('B')
        self.source = source

    def check_span(self, pos: int, size: int, what: str) -> None:
        if pos < 0 or pos + size > len(self.view):
            raise corrupt(self.source, f"{what} at byte {pos} ({size} bytes) "
                                       f"lies outside the file ({len(self.view)} bytes)")

    def read(self, kind: struct.Struct, pos: int, what: str):
        self.check_span(pos, kind.size, what)
        return kind.unpack_from(self.view, pos)[0]

    def root(self, what: str, layout: tuple[str, ...]) -> 'Table':
        return Table(self, self.read(UINT32, 0, f"{what} (offset)"), what, layout)


class Table:
    """One table: its position in the file, its vtable, and its field names.

    `layout` names the table's fields in declaration order, so a field's slot
    is its position in `layout`. `what` is a readable path such as
    "model > subgraph 0 > tensor 12", used in every error message.
    """

    def __init__(self, buf: FlatBuffer, pos: int, what: str, layout: tuple[str, ...]):
        self.buf = buf
        self.pos = pos
        self.what = what
        self.layout = layout
        self._vtable = pos - buf.read(INT32, pos, f"{what} (start of table)")
        self._vtable_size = buf.read(UINT16, self._vtable, f"{what} (vtable)")
        self._table_size = buf.read(UINT16, self._vtable + 2, f"{what} (vtable)")
        if self._vtable_size < 4 or self._vtable_size % 2:
            raise self.error(f"its vtable declares an impossible size of {self._vtable_size} bytes")
        buf.check_span(self._vtable, self._vtable_size, f"{what} (vtable)")
        buf.check_span(pos, max(self._table_size, 4), f"{what} (table)")

    def error(self, detail: str):
        return corrupt(self.buf.source, f"{self.what}: {detail}")

    def _field_pos(self, field: str, size: int) -> int | None:
        """Absolute position of a present field, None when it is absent."""
        entry = 4 + 2 * self.layout.index(field)
        if entry >= self._vtable_size:
            return None  # written by an older schema: field absent
        offset = self.buf.read(UINT16, self._vtable + entry, f"{self.what} (vtable)")
        if offset == 0:
            return None
        if offset + size > self._table_size:
            raise self.error(f"field {field} lies outside its table")
        return self.pos + offset

    def _follow(self, field: str) -> int | None:
        """Absolute position a reference field points at."""
        pos = self._field_pos(field, UINT32.size)
        if pos is None:
            return None
        return pos + self.buf.read(UINT32, pos, f"{self.what}: {field}")

    def _vector(self, field: str, item_size: int) -> tuple[int, int] | None:
        """(position of first element, element count) of a vector field."""
        start = self._follow(field)
        if start is None:
            return None
        count = self.buf.read(UINT32, start, f"{self.what}: length of {field}")
        self.buf.check_span(start + 4, count * item_size,
                            f"{self.what}: {field} ({count} items)")
        return start + 4, count

    def scalar(self, field: str, kind: struct.Struct, default=0):
        pos = self._field_pos(field, kind.size)
        if pos is None:
            return default
        return self.buf.read(kind, pos, f"{self.what}: {field}")

    def table(self, field: str, layout: tuple[str, ...]) -> 'Table | None':
        pos = self._follow(field)
        return None if pos is None else Table(self.buf, pos, f"{self.what} > {field}", layout)

    def tables(self, field: str, layout: tuple[str, ...], item: str) -> list['Table']:
        """A vector of tables; element i is described as "<item> i"."""
        span = self._vector(field, UINT32.size)
        if span is None:
            return []
        start, count = span
        tables = []
        for i in range(count):
            pos = start + 4 * i
            what = f"{self.what} > {item} {i}"
            target = pos + self.buf.read(UINT32, pos, f"{what} (offset)")
            tables.append(Table(self.buf, target, what, layout))
        return tables

    def scalars(self, field: str, kind: struct.Struct) -> tuple | None:
        """A vector of scalars as a tuple, None when the field is absent."""
        span = self._vector(field, kind.size)
        if span is None:
            return None
        start, count = span
        return struct.unpack_from(f'<{count}{kind.format[-1]}', self.buf.view, start)

    def bytes_span(self, field: str) -> tuple[int, int] | None:
        """Where a [ubyte] vector's bytes are in the file: (start, count)."""
        return self._vector(field, 1)

    def bytes(self, field: str) -> memoryview | None:
        """A [ubyte] vector as a zero-copy view into the file."""
        span = self.bytes_span(field)
        if span is None:
            return None
        start, count = span
        return self.buf.view[start:start + count]

    def string(self, field: str) -> str | None:
        raw = self.bytes(field)
        # Names only serve debugging, so a damaged one should not stop the read.
        return None if raw is None else str(raw, 'utf-8', errors='replace')
