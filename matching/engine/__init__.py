"""The pure matching engine: text analysis, candidate retrieval, scoring and pairing.

Nothing in this package touches Django, settings or the database (an import-linter contract
holds it): callers hand it documents and a policy's weights, and it hands back ranked,
explained candidates. ``text`` segments Chinese text, ``retrieval`` builds the capability
index and finds candidates, ``scoring`` computes the named features and the weighted score,
``pairing`` picks recommendations under quotas, ``ranking`` ties them together, and
``concepts`` names the words a need and a capability match on.
"""

from matching.engine.ranking import Candidate, MatchEngine, PairReport

__all__ = ["Candidate", "MatchEngine", "PairReport"]
