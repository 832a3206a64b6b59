"""Versions, component names and patterns shared by the modules of the AsyncAPI document."""

from __future__ import annotations

from typing import Any

JsonDict = dict[str, Any]

ASYNCAPI_VERSION = "2.6.0"
MQTT_BINDING_VERSION = "0.1.0"
AMQP_BINDING_VERSION = "0.2.0"
CONTENT_TYPE = "application/json"
SCHEMAS = "#/components/schemas/"
MESSAGES = "#/components/messages/"

MQTT_SERVER = "mqtt"
AMQP_SERVER = "amqp"
SECURITY_SCHEME = "userPassword"

ENCODED_LEVEL_PATTERN = r"^(?:[A-Za-z0-9_~-]|%[0-9A-F]{2})+$"
"""What a percent-encoded identifier (:func:`~wiseevp_common.topology.encode_level`) looks like."""

ENCODING_EXAMPLE = "CP.01/a"
"""The raw identifier the document percent-encodes to show the rule."""
