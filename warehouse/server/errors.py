"""ClickHouse exceptions as the HTTP interface reports them.

Clients decide what to raise from the `X-ClickHouse-Exception-Code` header, the HTTP status and the
`Code: N. DB::Exception: ... (NAME)` body, so the endpoint must reproduce all three from chDB's error
text.
"""

from __future__ import annotations

import re

# Codes used by the endpoint itself (names and numbers as in ClickHouse's ErrorCodes.cpp).
SYNTAX_ERROR = 62
UNKNOWN_SETTING = 115
READONLY = 164
UNKNOWN_FORMAT = 73
BAD_ARGUMENTS = 36
NOT_IMPLEMENTED = 48
SESSION_NOT_FOUND = 372
SESSION_IS_LOCKED = 373
AUTHENTICATION_FAILED = 516
REQUIRED_PASSWORD = 194
ACCESS_DENIED = 497
UNKNOWN_COMPRESSION_METHOD = 432
CANNOT_DECOMPRESS = 271
UNKNOWN_TYPE_OF_QUERY = 80
TIMEOUT_EXCEEDED = 159
QUERY_WAS_CANCELLED = 394
THERE_IS_NO_COLUMN = 8
CANNOT_READ_ARROW = 1001  # ClickHouse reports Arrow read failures as std::exception
UNKNOWN_USER = 192
UNKNOWN_ROLE = 511
ACCESS_ENTITY_ALREADY_EXISTS = 493

_NAMES = {
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_SETTING: "UNKNOWN_SETTING",
    READONLY: "READONLY",
    UNKNOWN_FORMAT: "UNKNOWN_FORMAT",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    SESSION_NOT_FOUND: "SESSION_NOT_FOUND",
    SESSION_IS_LOCKED: "SESSION_IS_LOCKED",
    AUTHENTICATION_FAILED: "AUTHENTICATION_FAILED",
    REQUIRED_PASSWORD: "REQUIRED_PASSWORD",
    ACCESS_DENIED: "ACCESS_DENIED",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    UNKNOWN_TYPE_OF_QUERY: "UNKNOWN_TYPE_OF_QUERY",
    TIMEOUT_EXCEEDED: "TIMEOUT_EXCEEDED",
    QUERY_WAS_CANCELLED: "QUERY_WAS_CANCELLED",
    THERE_IS_NO_COLUMN: "THERE_IS_NO_COLUMN",
    CANNOT_READ_ARROW: "STD_EXCEPTION",
    UNKNOWN_USER: "UNKNOWN_USER",
    UNKNOWN_ROLE: "UNKNOWN_ROLE",
    ACCESS_ENTITY_ALREADY_EXISTS: "ACCESS_ENTITY_ALREADY_EXISTS",
}

# ClickHouse's exceptionCodeToHTTPStatus, by error name.
_FORBIDDEN = {"UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"}
_BAD_REQUEST = {
    "BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE",
    "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
    "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4", "CANNOT_PARSE_IPV6",
    "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
    "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE", "THERE_IS_NO_COLUMN", "TOO_DEEP_AST", "TOO_BIG_AST",
    "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH",
    "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
}
_NOT_FOUND = {
    "UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
    "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING", "UNKNOWN_AGGREGATE_FUNCTION",
    "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE",
}
_OTHER = {
    "REQUIRED_PASSWORD": 401, "QUERY_IS_TOO_LARGE": 413, "NOT_IMPLEMENTED": 501, "SOCKET_TIMEOUT": 503,
    "CANNOT_OPEN_FILE": 503, "HTTP_LENGTH_REQUIRED": 411, "TIMEOUT_EXCEEDED": 408, "CANNOT_SCHEDULE_TASK": 503,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}

_CODE_RE = re.compile(r"Code:\s*(\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z][A-Z0-9_]+)\)(?:\s*\(version [^)]*\))?\.?\s*$")
_VERSION_RE = re.compile(r"\(version [^)]*\)")


class ClickHouseError(Exception):
    """An error with a ClickHouse code, rendered the way clickhouse-server renders it."""

    def __init__(self, code: int, message: str, name: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name or _NAMES.get(code, "")

    @property
    def http_status(self) -> int:
        name = self.name
        if name in _FORBIDDEN:
            return 403
        if name in _BAD_REQUEST:
            return 400
        if name in _NOT_FOUND:
            return 404
        return _OTHER.get(name, 500)

    def render(self, version: str) -> str:
        """The body text, `Code: N. DB::Exception: msg (NAME) (version V)`."""
        text = self.message.strip()
        if not text.startswith("Code:"):
            suffix = f" ({self.name})" if self.name and f"({self.name})" not in text else ""
            text = f"Code: {self.code}. DB::Exception: {text}{suffix}"
        if not _VERSION_RE.search(text):
            text = f"{text} (version {version})"
        return text + "\n"


def from_engine(exc: BaseException) -> ClickHouseError:
    """Turn a chDB exception (its message carries `Code: N ...`) into a ClickHouseError."""
    if isinstance(exc, ClickHouseError):
        return exc
    text = str(exc)
    for prefix in ("Streaming insert append failed: ", "Streaming insert finish failed: "):
        text = text.replace(prefix, "")
    match = _CODE_RE.search(text)
    if not match:
        return ClickHouseError(1001, f"std::exception. {text}", "STD_EXCEPTION")
    code = int(match.group(1))
    text = text[match.start():].strip()
    name_match = _NAME_RE.search(text)
    return ClickHouseError(code, text, name_match.group(1) if name_match else None)
