"""Formats, media types and the size limits of one exchange file (from settings)."""

from dataclasses import dataclass
from typing import Literal

from django.conf import settings

FORMATS = ("json", "csv", "xlsx")

Format = Literal["json", "csv", "xlsx"]

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

CONTENT_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_CONTENT_TYPE,
}

MAX_COLUMNS = 64

MAX_ZIP_ENTRIES = 2_000

# An XLSX part may unpack to at most this many times its packed size (Apache POI's default
# for zip bombs); text and sheet XML unpack 3 to 7 times. Parts under the floor are exempt.
MAX_INFLATE_RATIO = 100
INFLATE_RATIO_FLOOR = 1024 * 1024

ExchangeKind = Literal["need", "capability"]


@dataclass(frozen=True)
class ExchangeLimits:
    """Size limits of one file, read from settings when an import runs."""

    max_bytes: int
    max_rows: int
    max_cell_chars: int
    max_unzipped_bytes: int
    max_errors: int

    @classmethod
    def current(cls) -> "ExchangeLimits":
        return cls(
            max_bytes=settings.EXCHANGE_MAX_BYTES,
            max_rows=settings.EXCHANGE_MAX_ROWS,
            max_cell_chars=settings.EXCHANGE_MAX_CELL_CHARS,
            max_unzipped_bytes=settings.EXCHANGE_MAX_UNZIPPED_BYTES,
            max_errors=settings.EXCHANGE_MAX_ERRORS,
        )

    @classmethod
    def operator(
        cls, *, max_bytes: int | None = None, max_rows: int | None = None
    ) -> "ExchangeLimits":
        """The limits of the operator's commands: any size and any number of rows unless a
        ceiling is given; cells stay bounded, and an XLSX still may not unpack to far more
        than it weighs (``MAX_INFLATE_RATIO``)."""
        base = cls.current()
        unbounded = 2**62
        return cls(
            max_bytes=max_bytes if max_bytes is not None else unbounded,
            max_rows=max_rows if max_rows is not None else unbounded,
            max_cell_chars=base.max_cell_chars,
            max_unzipped_bytes=(
                max(base.max_unzipped_bytes, MAX_INFLATE_RATIO * max_bytes)
                if max_bytes is not None
                else unbounded
            ),
            max_errors=base.max_errors,
        )

    @property
    def max_physical_rows(self) -> int:
        """Rows a sheet may span, blank ones included, before it counts as hostile."""
        return 2 * self.max_rows + 100

    def max_shared_strings(self, columns: int) -> int:
        """Entries an XLSX's shared-strings table may hold: one per cell of the rows and
        ``columns`` the reader looks at, header included. openpyxl builds every entry before
        the first row is read, and entries, not bytes, are what cost (1.5 million short
        ones take 16 s and 300 MB)."""
        return (self.max_physical_rows + 1) * columns


def file_size(n: int) -> str:
    """A size as the import messages show it."""
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n} B"


def sizes_apart(size: int, limit: int) -> dict[str, str]:
    """A file's size and the limit as a message shows them, in bytes when the rounded
    figures would read the same (a file one byte over 10 MiB is not "10.0 MiB")."""
    shown, most = file_size(size), file_size(limit)
    if shown == most:
        shown, most = f"{size:,} B", f"{limit:,} B"
    return {"size": shown, "max": most}
