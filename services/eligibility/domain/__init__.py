"""Eligibility's rules as plain Python: no I/O, testable in microseconds."""
