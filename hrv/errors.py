"""Domain errors raised by :mod:`hrv`.

Every error a caller can provoke with bad data is a subclass of :class:`HRVError`;
its message says what was wrong and what to do instead. The errors carry no HTTP
status: the service maps them to problem responses in one place.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FormatError",
    "HRVError",
    "InsufficientDataError",
    "InvalidInputError",
    "TooLargeError",
    "UnsupportedFormatError",
]


class HRVError(Exception):
    """Base class of every error raised by :mod:`hrv` for bad input or configuration.

    Attributes
    ----------
    code : str
        A stable machine-readable identifier (``"invalid_input"``, ...).
    """

    code = "hrv_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(HRVError, ValueError):
    """The data cannot be analysed as given (empty, NaN, negative intervals, ...)."""

    code = "invalid_input"


class InsufficientDataError(HRVError):
    """The data is valid but too short or too sparse for the requested analysis."""

    code = "insufficient_data"


class ConfigError(HRVError, ValueError):
    """A configuration value is out of range or an unknown choice."""

    code = "invalid_config"


class UnsupportedFormatError(HRVError):
    """A file format is not known, or is recognised but not supported."""

    code = "unsupported_format"


class FormatError(HRVError, ValueError):
    """A file is in a known format but malformed.

    Parameters
    ----------
    message : str
        What is wrong.
    line : int, optional
        1-based line number of the problem, for text formats.
    column : str, optional
        Column name or 1-based index of the problem.
    """

    code = "malformed_file"

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        where = []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full)
        self.line = line
        self.column = column


class TooLargeError(InvalidInputError):
    """The input declares or holds more data than the caller's limit allows.

    Raised before the data is decoded when a file's header states its size, so a
    hostile header cannot make a reader allocate what it announces.
    """

    code = "too_large"
