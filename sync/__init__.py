"""Jaring's client side, on httpx: talking to a Jaring (or ODK Central) server as ODK
Collect does (`CollectClient`).

Exceptions::

    SyncError                 anything this package raises on purpose
    ├── ServerRefused         the server answered with an error status (has .status, .message)
    └── ProtocolError         the server's answer was not what the protocol says
"""

from sync.errors import ProtocolError, ServerRefused, SyncError
from sync.openrosa import CollectClient, FormListItem, MediaFileItem

__all__ = [
    "CollectClient",
    "FormListItem",
    "MediaFileItem",
    "ProtocolError",
    "ServerRefused",
    "SyncError",
]
