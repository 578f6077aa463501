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
# Which dead letters were sent back, by letter id, so a replay never sends one twice and never
# skips one it did not select (see shared/messaging/dead_letters.py).
DEAD_LETTER_REPLAYS = "subsidy.dead-letters.replays"
ROUNDS = "subsidy.rounds"  # keyed by `clause:year`
PAYEES = "subsidy.payees"  # applicants' bank details, from intake to payout only (full account numbers)
# pain.001-shaped batches, keyed by message id, and the ledger's heads, keyed `ledger`
FINANCE_INSTRUCTIONS = "subsidy.finance-instructions"
# Policy versions approved or withdrawn at run time, from eligibility to every service that reads the
# policy; keyed by version id, so that a version's publication and withdrawal stay in order.
POLICY_VERSIONS = "subsidy.policy-versions"
# What an applicant could claim and has not (免申即享), from eligibility to notify; keyed by credit code.
MATCHES = "subsidy.matches"

ALL = (
    APPLICATIONS,
    DECISIONS,
    CANDIDATES,
    SELECTIONS,
    AWARDS,
    PAYOUTS,
    FINANCE_RESULTS,
    NOTIFICATIONS,
    PARTNERS,
    DEAD_LETTERS,
    DEAD_LETTER_REPLAYS,
    ROUNDS,
    PAYEES,
    FINANCE_INSTRUCTIONS,
    POLICY_VERSIONS,
    MATCHES,
)
PARTITIONS = 6

# What each topic's records are keyed by: one key's records are handled in order.
_CREDIT_CODE = "the applicant's unified social credit code"
KEYS = {
    APPLICATIONS: _CREDIT_CODE,
    DECISIONS: _CREDIT_CODE,
    CANDIDATES: "the round, `clause:year`",
    SELECTIONS: _CREDIT_CODE,
    AWARDS: _CREDIT_CODE,
    PAYOUTS: _CREDIT_CODE,
    FINANCE_RESULTS: "the instruction batch's message id (the first interface: the applicant's credit code)",
    FINANCE_INSTRUCTIONS: "the batch's message id; a ledger head, `ledger`",
    PAYEES: _CREDIT_CODE,
    NOTIFICATIONS: _CREDIT_CODE,
    PARTNERS: "the partner's id",
    DEAD_LETTERS: "the failed record's key",
    DEAD_LETTER_REPLAYS: "the dead letter's id",
    ROUNDS: "the round, `clause:year`",
    POLICY_VERSIONS: "the policy version's id",
    MATCHES: _CREDIT_CODE,
}
