"""Deterministic, targeted scenarios: each module owns one concern of the contract.

Stage: phases.
"""
