"""Payout: the ledger of awards and payments, and the exchange with the city's finance system."""
