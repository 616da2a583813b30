"""Python bindings for libjing, the JING Social Open Platform API SDK.

    import jing
    with jing.Client(app_id="...", app_secret="...") as client:
        env = client.create_lead({"business_type": bt, "name": "张伟", "mobile": "13800000000"})
        print(env["data"]["jing_uuid"])

Errors raise subclasses of :class:`jing.JingError`, one per status code.
"""

from ._native import ABI_VERSION
from ._native import path as library_path
from .client import Client, abi_version, status_name, version
from .errors import (
    ApiError,
    AuthError,
    ClientClosedError,
    ConfigError,
    InvalidArgumentError,
    JingError,
    NetworkError,
    OutcomeUnknownError,
    PanicError,
    ProtocolError,
    QuotaExhaustedError,
    Status,
    ThrottledError,
    error_class,
)

#: Version of this Python package (built together with the library of the same version).
__version__ = "0.1.0"

__all__ = [
    "ABI_VERSION", "Client", "Status", "version", "abi_version", "status_name",
    "library_path", "error_class", "JingError", "InvalidArgumentError", "ConfigError",
    "AuthError", "ThrottledError", "QuotaExhaustedError", "NetworkError",
    "OutcomeUnknownError", "ApiError", "ProtocolError", "PanicError", "ClientClosedError",
]
