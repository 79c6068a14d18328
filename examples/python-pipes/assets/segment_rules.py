"""Shared rules of the Python assets (a plain module: part of high_value's code version)."""

# the segment whose customers get a call
CALL_SEGMENT = "high"
