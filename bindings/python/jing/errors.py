"""The exception hierarchy: one class per ``jing_status`` code."""

import enum
import json


class Status(enum.IntEnum):
    """``jing_status`` values (fixed by the C ABI contract)."""

    OK = 0
    INVALID_ARGUMENT = 1
    CONFIG = 2
    AUTH = 3
    THROTTLED = 4
    QUOTA_EXHAUSTED = 5
    NETWORK = 6
    OUTCOME_UNKNOWN = 7
    API = 8
    PROTOCOL = 9
    PANIC = 99


class JingError(Exception):
    """Base class of every error reported by libjing.

    Attributes mirror the library's error JSON: ``status`` (int), ``kind`` (str),
    ``message`` (str), ``api_code`` (int or None), ``api_msg``, ``http_status``,
    ``request_id`` (str or None), ``retryable`` and ``outcome_unknown`` (bool).
    ``raw`` holds the parsed error object.
    """

    def __init__(self, message, status=None, kind=None, api_code=None, api_msg=None,
                 http_status=None, request_id=None, retryable=False, outcome_unknown=False,
                 raw=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind
        self.api_code = api_code
        self.api_msg = api_msg
        self.http_status = http_status
        self.request_id = request_id
        self.retryable = bool(retryable)
        self.outcome_unknown = bool(outcome_unknown)
        self.raw = raw if raw is not None else {}

    def __str__(self):
        if self.request_id:
            return "[%s] %s" % (self.request_id, self.message)
        return str(self.message)

    def __repr__(self):
        return "%s(status=%r, kind=%r, message=%r, api_code=%r, http_status=%r, request_id=%r)" % (
            type(self).__name__, self.status, self.kind, self.message, self.api_code,
            self.http_status, self.request_id)

    def __reduce__(self):  # keep exceptions picklable (multiprocessing, logging handlers)
        return (_rebuild, (type(self), self.message, self.__dict__))


def _rebuild(cls, message, state):
    exc = cls(message)
    exc.__dict__.update(state)
    return exc


class InvalidArgumentError(JingError):
    """NULL, invalid UTF-8, malformed JSON or a request failing local validation; nothing was sent."""


class ConfigError(JingError):
    """Invalid client configuration."""


class AuthError(JingError):
    """Credentials rejected, or no valid token after one refresh."""


class ThrottledError(JingError):
    """Waiting for the rate limit would exceed ``max_wait_ms``, or the server kept throttling."""


class QuotaExhaustedError(JingError):
    """The daily quota of the interface is used up."""


class NetworkError(JingError):
    """The request was never delivered; safe to retry."""


class OutcomeUnknownError(JingError):
    """The request may have been processed; it was not retried. Check before repeating it."""


class ApiError(JingError):
    """The server answered with a non-zero ``code``; see ``api_code`` and ``api_msg``."""


class ProtocolError(JingError):
    """The response was not a valid JSON envelope."""


class PanicError(JingError):
    """An internal bug in libjing was caught at the boundary; the process keeps running."""


class ClientClosedError(ValueError):
    """A method was called on a :class:`jing.Client` after ``close()``."""


_BY_STATUS = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.CONFIG: ConfigError,
    Status.AUTH: AuthError,
    Status.THROTTLED: ThrottledError,
    Status.QUOTA_EXHAUSTED: QuotaExhaustedError,
    Status.NETWORK: NetworkError,
    Status.OUTCOME_UNKNOWN: OutcomeUnknownError,
    Status.API: ApiError,
    Status.PROTOCOL: ProtocolError,
    Status.PANIC: PanicError,
}


def error_class(status):
    """The exception class for a status code (``JingError`` for unknown codes)."""
    return _BY_STATUS.get(status, JingError)


def from_status(status, error_json, status_name):
    """Build the exception for a non-zero status and the library's error JSON text.

    ``status_name`` maps a status to its static name, used when the JSON is absent or
    unreadable (which a correct library never produces).
    """
    obj = None
    if error_json:
        try:
            parsed = json.loads(error_json)
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                obj = parsed["error"]
        except ValueError:
            obj = None
    if obj is None:
        kind = status_name(status)
        detail = (": %r" % error_json) if error_json else " and no error details"
        obj = {"status": status, "kind": kind,
               "message": "libjing returned status %d (%s)%s" % (status, kind, detail)}
    return error_class(status)(
        obj.get("message") or status_name(status),
        status=status,
        kind=obj.get("kind") or status_name(status),
        api_code=obj.get("api_code"),
        api_msg=obj.get("api_msg"),
        http_status=obj.get("http_status"),
        request_id=obj.get("request_id"),
        retryable=obj.get("retryable", False),
        outcome_unknown=obj.get("outcome_unknown", False),
        raw=obj,
    )
