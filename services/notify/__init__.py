"""Notify: tells applicants and partner portals what happened to their applications."""
