"""Shared test settings: hypothesis profiles for the property-based suite.

``ci`` (the default) is derandomized, so every run tries the same inputs and
a failure is reproducible; ``thorough`` tries ten times as many, with fresh
randomness, for the counts in docs/promises.md; ``hunt`` tries 3000 per test::

    NNSCRATCH_HYPOTHESIS=thorough pytest tests/test_properties.py --hypothesis-show-statistics
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "thorough",
    max_examples=400,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "hunt",
    max_examples=3000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("NNSCRATCH_HYPOTHESIS", "ci"))
