"""``jing.Client``: a thread-safe wrapper around one ``JingClient *``."""

import ctypes
import json
import threading
import weakref
from collections.abc import Mapping

from . import _native
from .errors import ClientClosedError, InvalidArgumentError, from_status

_lib = _native.lib


def _status_name(status):
    name = _lib.jing_status_name(status)
    return name.decode("utf-8") if name else "unknown"


def _encode(value, what):
    """UTF-8 bytes for a C string argument; NUL would silently truncate it, so refuse."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if "\x00" in value:
        raise InvalidArgumentError(
            "%s contains a NUL character" % what, status=1, kind="invalid_argument")
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise InvalidArgumentError(
            "%s is not valid Unicode: %s" % (what, exc), status=1, kind="invalid_argument"
        ) from None


def _to_json(value, what):
    if isinstance(value, (str, bytes)):
        # Already JSON text.
        return value.decode("utf-8") if isinstance(value, bytes) else value
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _call(fn, *args):
    """Call an export taking a trailing ``char **out_json``; return the parsed envelope."""
    out = ctypes.c_void_p()
    status = fn(*args, ctypes.byref(out))
    text = _native.take_string(out.value)  # frees the library string
    if status != 0:
        raise from_status(status, text, _status_name)
    if text is None:
        return None
    return json.loads(text)


class Client:
    """A JING Open API client.

    Keyword arguments are the configuration keys of the C library (``app_id``,
    ``app_secret``, ``base_url``, ``timeout_ms``, ``max_retries``,
    ``rate_limit_per_second``, ``daily_quota``, ``max_wait_ms``, ...). Arguments passed
    as ``None`` are left out, so the library default applies. Unknown keys raise
    :class:`jing.ConfigError`.

    One client may be shared by many threads. ``close()`` (or leaving a ``with`` block)
    waits for calls in progress, then releases the native client; later calls raise
    :class:`jing.ClientClosedError`.
    """

    _closed = True  # until __init__ succeeds (keeps repr() of a failed construction sane)

    def __init__(self, **config):
        config = {k: v for k, v in config.items() if v is not None}
        config_bytes = _encode(json.dumps(config, ensure_ascii=False, allow_nan=False),
                               "config")
        handle = ctypes.c_void_p()
        err = ctypes.c_void_p()
        status = _lib.jing_client_new(config_bytes, ctypes.byref(handle), ctypes.byref(err))
        text = _native.take_string(err.value)
        if status != 0:
            raise from_status(status, text, _status_name)
        if not handle.value:
            raise RuntimeError("jing_client_new returned OK without a client")
        self._handle = handle.value
        self._cond = threading.Condition(threading.Lock())
        self._in_flight = 0
        self._closed = False
        # Frees the native client if the object is garbage-collected without close().
        # Not at interpreter exit: a daemon thread may still be inside a call then.
        self._finalizer = weakref.finalize(self, _lib.jing_client_free, handle.value)
        self._finalizer.atexit = False

    # -- lifetime -----------------------------------------------------------------
    def close(self):
        """Wait for calls in progress, then free the native client. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            while self._in_flight:
                self._cond.wait()
        self._finalizer()  # calls jing_client_free exactly once

    @property
    def closed(self):
        return self._closed

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _acquire(self):
        with self._cond:
            if self._closed:
                raise ClientClosedError("jing.Client is closed")
            self._in_flight += 1
            return self._handle

    def _release(self):
        with self._cond:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._cond.notify_all()

    # -- calls --------------------------------------------------------------------
    def create_lead(self, lead):
        """Create a lead; ``lead`` is a dict (or JSON text). Returns the response envelope.

        The library checks ``business_type``, ``name`` and ``mobile``/``email`` before
        sending. An :class:`jing.OutcomeUnknownError` means the lead may exist: look it
        up before creating it again.
        """
        if not isinstance(lead, (Mapping, str, bytes)):
            raise TypeError("lead must be a dict or JSON text, not %s" % type(lead).__name__)
        lead_bytes = _encode(_to_json(dict(lead) if isinstance(lead, Mapping) else lead,
                                      "lead"), "lead")
        handle = self._acquire()
        try:
            return _call(_lib.jing_lead_create_json, handle, lead_bytes)
        finally:
            self._release()

    def request(self, method, path, body=None):
        """Call any Open API endpoint (``path`` starts with ``/``, may carry a query).

        ``body`` is a dict/list (serialized as JSON), JSON text, or ``None``.
        Returns the response envelope as a dict.
        """
        method_bytes = _encode(method, "method")
        path_bytes = _encode(path, "path")
        body_bytes = None if body is None else _encode(_to_json(body, "body"), "body")
        handle = self._acquire()
        try:
            return _call(_lib.jing_request_json, handle, method_bytes, path_bytes, body_bytes)
        finally:
            self._release()

    def __repr__(self):
        return "<jing.Client%s>" % (" closed" if self._closed else "")


def version():
    """The version string of the loaded native library (e.g. ``"0.1.0"``)."""
    return _lib.jing_version().decode("utf-8")


def abi_version():
    """The C ABI version the loaded native library implements."""
    return int(_lib.jing_abi_version())


def status_name(status):
    """The library's static name for a status code (``"unknown"`` when not known)."""
    return _status_name(int(status))


def _test_panic():
    """Call ``jing_test_panic`` (only in builds with the ``test-panic`` feature)."""
    fn = getattr(_lib, "jing_test_panic", None)
    if fn is None:
        raise NotImplementedError("this libjing build has no jing_test_panic")
    out = ctypes.c_void_p()
    status = fn(ctypes.byref(out))
    text = _native.take_string(out.value)
    if status != 0:
        raise from_status(status, text, _status_name)
    return text
