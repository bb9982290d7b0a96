"""Short scripts on nnscratch's public API, one per seed tutorial (installed as nnscratch.examples)."""
