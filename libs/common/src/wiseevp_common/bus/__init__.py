"""The message bus on RabbitMQ (FastStream's RabbitBroker on aio-pika).

- :mod:`.broker` builds the broker from settings (robust reconnection, confirms, prefetch);
- :mod:`.declare` turns topology specs into durable quorum queues with dead-lettering;
- :mod:`.consumer` runs handlers with manual ack after processing and dead-letters failures;
- :mod:`.publish` publishes typed, persistent messages;
- :mod:`.rpc` is the asynchronous RPC of design 3.1.5.2.
"""

from .bus import Bus
from .delivery import Delivery, InvalidMessage
from .iop import IopMessage
from .rpc import RpcError, RpcRemoteError, RpcTimeout

__all__ = [
    "Bus",
    "Delivery",
    "InvalidMessage",
    "IopMessage",
    "RpcError",
    "RpcRemoteError",
    "RpcTimeout",
]
