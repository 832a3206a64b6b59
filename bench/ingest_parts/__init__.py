"""The parts of ``bench/ingest.py``, the EV status ingestion benchmark (its entry point)."""
