"""What payout follows: awards become reservations and payouts; bank details release held payouts;
the finance system's answers settle or reject them; a withdrawn application's award is cancelled;
intake's key events keep its key replica, and published policy versions its policy replica.

All of it is one consumer group: the replicas' few events a year need no group of their own, whose
fetches would keep an idle broker busy."""

from services.payout import awards, finance, payees, withdrawals
from services.payout.context import Context
from services.payout.tables import api_keys
from shared.auth import replica_handlers
from shared.events import (
    ApplicationWithdrawnV1,
    AwardGrantedV1,
    PayeeProvidedV1,
    PayeeProvidedV2,
    PaymentsBookedV1,
    PaymentStatusReportedV1,
    PayoutRejectedV1,
    PayoutSettledV1,
)
from shared.messaging.consumer import Batched, Handlers, merged


def handlers(ctx: Context, policy: Handlers) -> dict[str, Handlers]:
    def bound(fn):
        async def handle(session, event, payload):
            await fn(session, ctx, event, payload)

        handle.__name__ = fn.__name__
        return handle

    # One handler for both versions, so that a batch mixing them is handled in order, together.
    payees_given: Batched[PayeeProvidedV1 | PayeeProvidedV2] = Batched(lambda s, b: payees.provided(s, ctx, b))
    # And one for every answer of the finance system: a batch's status report and its booking come
    # one after the other, and are acted on together.
    finance_answers: Batched[finance.Answer] = Batched(lambda s, b: finance.answered(s, ctx, b))
    return {
        "payout-ledger": merged(
            {
                AwardGrantedV1: Batched(lambda s, b: awards.book(s, ctx, b)),
                PayeeProvidedV1: payees_given,
                PayeeProvidedV2: payees_given,
                PaymentStatusReportedV1: finance_answers,
                PaymentsBookedV1: finance_answers,
                PayoutSettledV1: finance_answers,
                PayoutRejectedV1: finance_answers,
                ApplicationWithdrawnV1: bound(withdrawals.withdrawn),
            },
            replica_handlers(api_keys),
            policy,
        ),
    }
