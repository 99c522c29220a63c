"""The crisis levels, lowest first: the detector grades, the protocol acts, the dashboard sorts."""

LEVELS = ["none", "low", "moderate", "high", "imminent"]


def at_least(level, threshold):
    return LEVELS.index(level or "none") >= LEVELS.index(threshold)
