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
PAYEES = "subsidy.payees"  # applicants' bank details, from intake to payout only (full account numbers)
FINANCE_INSTRUCTIONS = "subsidy.finance-instructions"  # pain.001-shaped batches, keyed by message id

ALL = (APPLICATIONS, DECISIONS, CANDIDATES, SELECTIONS, AWARDS, PAYOUTS,
       FINANCE_RESULTS, NOTIFICATIONS, PARTNERS, DEAD_LETTERS, ROUNDS, PAYEES, FINANCE_INSTRUCTIONS)
PARTITIONS = 6
