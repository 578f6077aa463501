"""The operator console: a web interface for the commission's officials and the finance department."""
