"""`subsidy demo`: a policy year played against a running local stack, through the services' public
APIs, ending with a report of what was decided, selected and paid that agrees with the ledger.

- `scenario.py` makes the year: applicants and their applications, the panel's scores, the
  objections, the bank accounts that bounce (deterministic by seed; no I/O).
- `play.py` drives the running services with it, moving quota's clock through the selection rounds.
- `report.py` tallies what happened and renders one self-contained HTML file.
- `cli.py` is the command.
"""

DEFAULT_APPLICATIONS = 300
MIN_APPLICATIONS = 30  # enough to cover every clause and the year's stories
