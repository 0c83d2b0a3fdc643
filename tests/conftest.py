"""Settings shared by every test.

Hypothesis profiles: property tests here call the sympy worker, the code sandbox and real parsers,
so Hypothesis's 200 ms per-example deadline turns a loaded 2-core machine into false failures; no
deadline anywhere. Under CI (`CI` set) the examples are derandomised: a run is reproducible and a
green main stays green, while developers' runs keep exploring new random examples.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))
