"""The AsyncAPI 2.6.0 document of wiseevp's IOP, generated from :mod:`wiseevp_common.topology`.

:func:`build_asyncapi` is a pure function of the topology: one channel per IOP topic of
:data:`~wiseevp_common.topology.ALL_IOP_TOPICS` (channel name = MQTT topic template), whose
message payload is the JSON schema of the topic's pydantic model (serialization mode, by alias:
the wire form), plus one channel for the dead-letter exchange documenting the bus queues of
:class:`~wiseevp_common.topology.Queue` and the ``x-wiseevp-*`` dead-letter headers. Nothing in
here names a topic: topics added to the topology appear in the document without changes.

- :mod:`.document` assembles the document (info, servers, channels, components, tags);
- :mod:`.schemas` turns pydantic models into the draft-07 payload schemas of AsyncAPI 2.x;
- :mod:`.routing` finds the queues whose AMQP bindings receive a topic;
- :mod:`.topic_channels` documents each IOP topic (channel, parameters, message);
- :mod:`.dead_letters` documents the dead-letter exchange, the queues and their headers;
- :mod:`.constants` holds the versions, names and patterns the modules share.

``wiseevp docs`` writes the document to ``docs/asyncapi.yaml``; ``wiseevp docs --check`` (CI)
fails when that file is stale.
"""

from .constants import ENCODED_LEVEL_PATTERN
from .document import build_asyncapi
from .routing import binding_matches

__all__ = ["ENCODED_LEVEL_PATTERN", "binding_matches", "build_asyncapi"]
