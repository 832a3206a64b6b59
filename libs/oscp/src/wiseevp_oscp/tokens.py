"""Authentication tokens (2.6.1, 4.1.2): generated, hashed for storage, compared in constant
time, never logged.

Tokens are 256-bit random strings, so a plain SHA-256 is a sufficient storage hash (no salt or
slow hash is needed against guessing); comparison uses :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from .endpoints import TOKEN_SCHEME
from .errors import Unauthorized

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def token_matches(token_hash: bytes, stored: bytes | None) -> bool:
    """Constant-time comparison of a presented token's hash with a stored hash."""
    return stored is not None and hmac.compare_digest(token_hash, stored)


def authorization(token: str) -> str:
    """The Authorization header value: ``Token <token>``."""
    return f"{TOKEN_SCHEME} {token}"


def parse_authorization(value: str | None) -> str:
    """The token of an ``Authorization: Token <token>`` header, or :class:`Unauthorized`."""
    if not value:
        raise Unauthorized("the Authorization header is missing (expected 'Token <token>')")
    scheme, _, token = value.partition(" ")
    # an HTTP authentication scheme is case-insensitive (RFC 9110, 11.1)
    if scheme.lower() != TOKEN_SCHEME.lower() or not token.strip():
        raise Unauthorized("the Authorization header must be 'Token <token>'")
    return token.strip()
