"""Scores that know Vietnamese: EM/F1, syllable ROUGE, the greedy oracle, bootstrap intervals. Used by eval
and training."""
