"""A stand-in for the city's finance system, for development and tests: answers payout batches."""
