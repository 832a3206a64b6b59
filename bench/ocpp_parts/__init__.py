"""The parts of ``bench/ocpp.py``, the OCPP (EVSE wrapper) benchmark (its entry point)."""
