"""Which backend writes the client's replies: the hook another app fills.

modelserve knows how to run a model, not which trained version should serve. The training app,
which keeps the model registry, registers a chooser in its AppConfig.ready(); without one (a
deployment without the training app) replies come from the process's ordinary backend.
"""

from pathlib import Path

from modelserve.backends import get_backend

_chooser = None
_labeller = None


def register_chooser(chooser):
    """CHOOSER() returns the backend that should serve now; it is asked before every reply."""
    global _chooser
    _chooser = chooser


def serving_backend():
    return _chooser() if _chooser is not None else get_backend()


def register_labeller(labeller):
    """LABELLER(base, adapter) returns the name people know a model by (the registry's version),
    or None; the training app registers one, as it does the chooser."""
    global _labeller
    _labeller = labeller


def model_label(model_id):
    """A stored model id ("base.gguf+/path/to/adapter.gguf", a backend's model_id) as a person
    reads it: the registry's name where it knows one, else the files' names without folders. The
    id itself stays in the JSON export, for audit; pages, the PDF and the CSV show this."""
    if not model_id:
        return "—"
    base, _, adapter = model_id.partition("+")
    label = _labeller(base, adapter) if _labeller is not None else None
    if label:
        return label
    base_name = Path(base).name.removesuffix(".gguf")
    return f"{Path(adapter).name.removesuffix('.gguf')} on {base_name}" if adapter else base_name
