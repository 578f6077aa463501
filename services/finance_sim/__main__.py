"""The finance-system stand-in as its own process: `python -m services.finance_sim` or `subsidy finance-sim`."""

from shared.serve import serve

serve("finance_sim")
