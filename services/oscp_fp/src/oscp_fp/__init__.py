"""OSCP 2.0 gateway: wiseevp as Flexibility Provider."""
