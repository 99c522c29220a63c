"""The crisis levels, lowest first: the detector grades, the protocol acts, the dashboard sorts."""

LEVELS = ["none", "low", "moderate", "high", "imminent"]

# What each level means (docs/crisis.md, "What the levels should mean": from the C-SSRS screen and
# the VERA-MH clinicians' rubric). The policy page shows these to staff.
MEANINGS = {
    "none": "Ordinary distress, idioms (\"work is killing me\"), talk about the topic, a counsellor's questions about risk.",
    "low": "Hopelessness, a passive wish to be dead, feeling a burden, wanting out.",
    "moderate": "Active thoughts of suicide or self-harm, without a method, plan or act.",
    "high": ("A method, means, plan or preparatory act; an attempt or self-injury in the past three months; "
             "intent to harm someone; abuse going on now."),
    "imminent": "Intent with a time or with the means at hand; an attempt under way.",
}


def at_least(level, threshold):
    return LEVELS.index(level or "none") >= LEVELS.index(threshold)
