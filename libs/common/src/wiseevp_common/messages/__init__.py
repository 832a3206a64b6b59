"""Message contracts (pydantic models), one module per protocol: ``iop`` (EVs), ``ocpp16``."""
