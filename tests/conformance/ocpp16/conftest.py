"""Conformance fixtures: the EVSE wrapper process (see tests/integration/conftest.py)."""

from tests.integration.conftest import evse_wrapper

__all__ = ["evse_wrapper"]
