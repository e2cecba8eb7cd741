"""`python main.py bench`: latency and memory of the real pipeline on a full-size model.

The model has random weights but the real shapes (made once with make-checkpoint and
convert, cached under .cache/bench/). Figures are printed, never asserted: speed
targets live here, not in timed unit tests.
"""
