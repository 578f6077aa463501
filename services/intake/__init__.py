"""Intake: the HTTP API partner portals post applications to, and follow them by."""
