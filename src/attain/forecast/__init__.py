"""Probabilistic quarter-end forecasts of bookings and their backtest against CRM baselines."""
