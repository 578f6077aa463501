"""Eligibility: decides each application under the policy in force, clause by clause."""
