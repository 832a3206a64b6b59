"""The PostgreSQL schema the RT monitor owns (its migrations create every table in it)."""

from __future__ import annotations

SCHEMA = "rt_monitor"
