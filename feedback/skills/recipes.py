"""One recipe per skill model: which text blocks it reads and how the regression is set.

Chosen by 5-fold cross-validation grouped by conversation on the *training* transcripts only
(docs/feedback.md, "How the recipes were chosen"); the held-out fifth was not looked at to pick
them. Sizes are capped so each artifact stays a few MiB and can be committed.
"""

# The trainee's own words: word 1-3-grams catch "it sounds like", "what do you", "you could try";
# character n-grams catch spelling variants and short backchannels ("mm-hmm", "okay").
WORD = {"ngram_range": [1, 3], "min_df": 2, "sublinear_tf": True, "max_features": 20000}
CHAR = {"analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 3, "sublinear_tf": True, "max_features": 20000}
# The client's previous turn, down-weighted: it says what the trainee is answering (emotion words
# before a reflection, a question before information), not what the trainee did.
PREV = {"ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True, "max_features": 10000}
LR = {"C": 1.0, "class_weight": "balanced", "max_iter": 3000, "solver": "lbfgs"}

BEHAVIOUR = {
    "blocks": [
        {"name": "word", "field": "text", "weight": 1.0, "params": WORD},
        {"name": "char", "field": "text", "weight": 1.0, "params": CHAR},
        {"name": "prev", "field": "prev", "weight": 0.5, "params": PREV},
    ],
    # Echo and question-mark features (model.overlap_features); weight 3 measured best in CV.
    "dense": "overlap",
    "dense_weight": 3.0,
    "lr": LR,
}
# The finer codes read the same blocks; at prediction time the fine code is chosen among the
# subcodes of the main behaviour the BEHAVIOUR model picked (see scoring.py), so the two agree.
BEHAVIOUR_FINE = BEHAVIOUR

# ESConv "Affirmation and Reassurance" against every other supporter strategy. Not balanced:
# the tag should appear only when the model is fairly sure.
AFFIRMATION = {
    "blocks": [
        {"name": "word", "field": "text", "weight": 1.0, "params": {**WORD, "ngram_range": [1, 2]}},
        {"name": "char", "field": "text", "weight": 1.0, "params": CHAR},
    ],
    "dense": None,
    "lr": {**LR, "class_weight": None},
}

# EPITOME: the response, and the seeker post it answers at weight 0.3 (CV: +0.005 macro-F1).
EMPATHY = {
    "blocks": [
        {"name": "word", "field": "text", "weight": 1.0, "params": {**WORD, "ngram_range": [1, 2]}},
        {"name": "char", "field": "text", "weight": 1.0, "params": CHAR},
        {
            "name": "seeker",
            "field": "prev",
            "weight": 0.3,
            "params": {"min_df": 2, "sublinear_tf": True, "max_features": 10000},
        },
    ],
    "dense": None,
    "lr": LR,
}

# Nearest-moment search for "a skilled counsellor here might have said": TF-IDF of the client's
# turn reduced by SVD, so "can't sleep" finds "lying awake" too.
SUGGESTIONS = {
    "tfidf": {"ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True, "max_features": 4000, "stop_words": "english"},
    "svd_dims": 64,
    "seed": 0,
}
