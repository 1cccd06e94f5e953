"""Evaluation: Vietnamese-aware metrics, hand-written reference suites, the harness and its reports."""
