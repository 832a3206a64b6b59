"""Message contracts (pydantic models), one package per protocol: ``iop`` (EV topics), ``ocpp16``."""
