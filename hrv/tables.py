"""Tables of results for researchers: tidy and wide rows, written as CSV.

The service and the ``hrv`` command line write their tables through this module, so a
table made on a laptop and one downloaded from the service are the same bytes.
"""

from __future__ import annotations

__all__ = ["escape_cell"]

#: A spreadsheet treats a cell that starts with one of these as a formula (OWASP CSV
#: injection); such cells are written with a leading apostrophe.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """Return ``value`` safe to open in a spreadsheet.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    prefixed with ``'`` so that no spreadsheet evaluates it. Numbers are not passed here:
    callers format numbers themselves, so a negative number stays a number.
    """
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
