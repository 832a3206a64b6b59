"""The parts of ``bench/oscp.py`` (the OSCP gateway benchmark)."""
