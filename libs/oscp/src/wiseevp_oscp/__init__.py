"""OSCP 2.0 protocol engine shared by the Flexibility Provider gateway and the CP/CO peers."""
