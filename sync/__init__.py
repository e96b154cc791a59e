"""Jaring's client side, on httpx: talking to a Jaring (or ODK Central) server as ODK
Collect does (`CollectClient`), and as a Central API client does (`CentralClient`).

Exceptions::

    SyncError                 anything this package raises on purpose
    ├── ServerRefused         the server answered with an error status (has .status, .message)
    └── ProtocolError         the server's answer was not what the protocol says
"""

from sync.central import CentralClient, Credentials, credentials_from
from sync.errors import ProtocolError, ServerRefused, SyncError
from sync.openrosa import CollectClient, FormListItem, MediaFileItem

__all__ = [
    "CentralClient",
    "CollectClient",
    "Credentials",
    "FormListItem",
    "MediaFileItem",
    "ProtocolError",
    "ServerRefused",
    "SyncError",
    "credentials_from",
]
