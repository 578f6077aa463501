"""Quota: the annual competitive selections — ranking, tie-breaks, public notice, results."""
