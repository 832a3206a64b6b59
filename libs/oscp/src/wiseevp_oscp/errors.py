"""OSCP errors, each with its HTTP status (4.1.3.2): mapped to a response in one place
(:mod:`.server`), raised by handlers anywhere."""

from __future__ import annotations


class OscpError(Exception):
    """A request we refuse; the response is ``status`` with ``{"message": ...}``."""

    status = 400
    default = "bad request"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default
        super().__init__(self.message)


class InvalidPayload(OscpError):
    status = 400
    default = "invalid payload"


class RefusedPreferences(OscpError):
    """A Handshake / HandshakeAcknowledge whose required behaviour we do not accept (3.1.2)."""

    status = 400
    default = "the required behaviour is not accepted"


class Unauthorized(OscpError):
    status = 401
    default = "missing or invalid Authorization token"


class Forbidden(OscpError):
    status = 403
    default = "forbidden"


class NotHandshaken(Forbidden):
    default = "the handshake is not completed: send a Handshake first (OSCP 3.1.2)"


class NoCommonVersion(OscpError):
    """Registration offers no OSCP version we support (4.1.3.2)."""

    status = 501
    default = "none of the offered OSCP versions is supported"


class PeerError(Exception):
    """The other party answered a message with an error status."""

    def __init__(self, status: int, message: str, url: str) -> None:
        self.status = status
        self.message = message
        self.url = url
        super().__init__(f"{url} answered {status}: {message}")


class PeerUnreachable(Exception):
    """The other party could not be reached (connection refused, timeout)."""


class NotConnected(Exception):
    """A message cannot be sent: the peer is not registered or the handshake is not done."""
