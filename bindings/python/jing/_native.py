"""Locating, loading and declaring the native library (ctypes).

Nothing here knows about clients or exceptions; it only finds ``libjing`` by full path,
declares the signature of every export and checks the ABI version.
"""

import ctypes
import os
import struct
import sys
from ctypes import POINTER, c_char_p, c_int32, c_uint32, c_void_p

#: The C ABI version these bindings were written against (``JING_ABI_VERSION``).
ABI_VERSION = 1

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def library_file_name():
    """The platform file name of the shared library."""
    if sys.platform.startswith("win"):
        return "jing.dll"
    if sys.platform == "darwin":
        return "libjing.dylib"
    return "libjing.so"


def candidate_paths():
    """Full paths to try, in order.

    ``JING_LIB_PATH``, when set, is authoritative: it is the only path tried, so an
    explicit choice never silently falls back to another build. Otherwise: the copy
    inside this package, then ``target/release`` and ``target/debug`` of the repository
    when running from a checkout.
    """
    override = os.environ.get("JING_LIB_PATH")
    if override:
        return [os.path.abspath(override)]
    name = library_file_name()
    paths = [os.path.join(_PACKAGE_DIR, name)]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(_PACKAGE_DIR)))  # <repo>/bindings/python/jing
    if os.path.isfile(os.path.join(repo, "Cargo.toml")):
        for profile in ("release", "debug"):
            paths.append(os.path.join(repo, "target", profile, name))
    return paths


def _load():
    tried = []
    for path in candidate_paths():
        if not os.path.isfile(path):
            tried.append("%s (not found)" % path)
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as exc:
            tried.append("%s (%s)" % (path, exc))
    raise ImportError(
        "jing: could not load the native library %s for this %d-bit Python (%s). "
        "Tried:\n  %s\nSet JING_LIB_PATH to the full path of the library, or copy it "
        "into the package directory before installing."
        % (library_file_name(), struct.calcsize("P") * 8, sys.platform, "\n  ".join(tried))
    )


def _declare(lib):
    lib.jing_version.argtypes = []
    lib.jing_version.restype = c_char_p  # static string, never freed
    lib.jing_abi_version.argtypes = []
    lib.jing_abi_version.restype = c_uint32
    lib.jing_status_name.argtypes = [c_int32]
    lib.jing_status_name.restype = c_char_p  # static string, never freed

    lib.jing_client_new.argtypes = [c_char_p, POINTER(c_void_p), POINTER(c_void_p)]
    lib.jing_client_new.restype = c_int32
    lib.jing_client_free.argtypes = [c_void_p]
    lib.jing_client_free.restype = None

    lib.jing_lead_create_json.argtypes = [c_void_p, c_char_p, POINTER(c_void_p)]
    lib.jing_lead_create_json.restype = c_int32
    lib.jing_request_json.argtypes = [c_void_p, c_char_p, c_char_p, c_char_p, POINTER(c_void_p)]
    lib.jing_request_json.restype = c_int32

    # Returned strings are declared c_void_p (not c_char_p) so ctypes keeps the pointer
    # and we can hand it back to jing_free_string after copying.
    lib.jing_free_string.argtypes = [c_void_p]
    lib.jing_free_string.restype = None

    # Only present when built with the cargo feature `test-panic`.
    test_panic = getattr(lib, "jing_test_panic", None)
    if test_panic is not None:
        test_panic.argtypes = [POINTER(c_void_p)]
        test_panic.restype = c_int32


def take_string(ptr):
    """Copy a library-owned string out as ``str`` and release it. ``None`` for NULL."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib.jing_free_string(ptr)


lib, path = _load()
try:
    _declare(lib)
except AttributeError as exc:  # a required export is missing
    raise ImportError(
        "jing: %s does not export a required function (%s); rebuild it" % (path, exc)
    ) from None

_abi = lib.jing_abi_version()
if _abi != ABI_VERSION:
    raise ImportError(
        "jing: %s implements C ABI version %d but these Python bindings need version %d; "
        "install matching versions of the library and the bindings" % (path, _abi, ABI_VERSION)
    )
