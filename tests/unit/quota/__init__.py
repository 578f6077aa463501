from services.quota.context import Context
from services.quota.tables import metadata
from shared.clock import SystemClock
from shared.messaging.outbox import Publisher
from shared.policy import CurrentPolicy
from tests.books import BOOK


def quota_context() -> Context:
    """Quota's context as its composition root builds it, on the default policies and nothing opened."""
    return Context(SystemClock(), Publisher("/test", metadata.tables["quota.outbox"]), CurrentPolicy(BOOK))
