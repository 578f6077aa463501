"""Quota hears of a candidate from its admission alone: it follows no applications."""

from services.quota.handlers import handlers
from services.topology import consumer_groups
from shared import topics
from shared.events import CandidateAdmittedV1, CandidateAdmittedV2
from tests.unit.quota import quota_context


def test_quota_follows_admissions_keys_and_policy_versions_and_never_applications():
    assert consumer_groups()["quota"] == {
        "quota-rounds": tuple(sorted((topics.CANDIDATES, topics.PARTNERS, topics.POLICY_VERSIONS))),
    }


def test_admissions_of_both_versions_are_read_by_one_group():
    # v2 is what eligibility publishes; v1 is still read for the admissions already on the topic.
    assert {CandidateAdmittedV1, CandidateAdmittedV2} <= set(handlers(quota_context(), {})["quota-rounds"])
