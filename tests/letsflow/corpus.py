"""Where the LetsFlow corpus lives (../shared, absent in some clones) and how to skip."""

from __future__ import annotations

import pytest

from tests.conftest import SHARED

LETSFLOW = SHARED / "corpora" / "letsflow"
EXAMPLES = ["basics", "conversation", "handshake", "introduction", "meeting", "quote"]

needs_corpus = pytest.mark.skipif(
    not LETSFLOW.is_dir(),
    reason=f"{LETSFLOW} is absent (the shared LetsFlow corpus is not in this clone)",
)
