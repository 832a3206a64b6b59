"""OSCP 2.0 Capacity Optimizer peer: answers consumption forecasts with an Optimum."""
