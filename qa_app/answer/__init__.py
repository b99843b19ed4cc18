"""Answering, in four modules; the engine that wires them to an index is qa_app.engine (`ask`).

contract   the JSON contract: FigureOut, Citation, Passage, Answer (what `ask` returns)
features   the features figures are ranked by (label grams, rarity, anchoring) and `figure_scores`
compose    ranked figures or sections → an Answer with verbatim citations, or found=false
dialogue   what a follow-up carries over from earlier questions, and how filters override it
"""
