"""The rules of a selection round as plain Python: no I/O, testable in microseconds."""
