"""OCPP 1.6-J charge point simulator: stations, EV sessions, smart charging (V2G), reservations.

Import the parts you need from their modules (``cp_simulator.simulator``, ``cp_simulator.config``,
``cp_simulator.ev``); importing the package has no side effects.
"""
