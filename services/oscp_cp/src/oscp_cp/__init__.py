"""OSCP 2.0 Capacity Provider peer: a DSO or building EMS to run against our FP."""
