"""The ``eldercare`` command line and what it runs: demo, bench, replay, evaluations.

The top layer: it wires the other packages together and nothing imports it.
"""
