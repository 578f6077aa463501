"""The product's topics. Applicant-scoped topics are keyed by credit code; rounds by `program:year`."""

APPLICATIONS = "subsidy.applications"
DECISIONS = "subsidy.decisions"
CANDIDATES = "subsidy.candidates"
SELECTIONS = "subsidy.selections"
AWARDS = "subsidy.awards"
PAYOUTS = "subsidy.payouts"
FINANCE_RESULTS = "subsidy.finance-results"
NOTIFICATIONS = "subsidy.notifications"
PARTNERS = "subsidy.partners"
DEAD_LETTERS = "subsidy.dead-letters"
ROUNDS = "subsidy.rounds"  # keyed by `clause:year`

ALL = (APPLICATIONS, DECISIONS, CANDIDATES, SELECTIONS, AWARDS, PAYOUTS,
       FINANCE_RESULTS, NOTIFICATIONS, PARTNERS, DEAD_LETTERS, ROUNDS)
PARTITIONS = 6
