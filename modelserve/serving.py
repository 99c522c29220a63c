"""Which backend writes the client's replies: the hook another app fills.

modelserve knows how to run a model, not which trained version should serve. The training app,
which keeps the model registry, registers a chooser in its AppConfig.ready(); without one (a
deployment without the training app) replies come from the process's ordinary backend.
"""

from modelserve.backends import get_backend

_chooser = None


def register_chooser(chooser):
    """CHOOSER() returns the backend that should serve now; it is asked before every reply."""
    global _chooser
    _chooser = chooser


def serving_backend():
    return _chooser() if _chooser is not None else get_backend()
