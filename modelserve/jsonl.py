"""Reading JSONL that people write by hand: one JSON object a line, blank lines allowed, and an
error naming the file and line for anything else."""

import json
from pathlib import Path


def objects(path, error=ValueError):
    """[(line number, object)] of PATH; raises ERROR (a ValueError subclass) with a clear message
    for a missing or unreadable file, text that is not UTF-8, a line that is not JSON, or one that
    is not an object."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path}: no such file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise error(f"{path}: not UTF-8 text ({e})") from None
    except OSError as e:
        raise error(f"{path}: cannot read it ({e})") from None
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as e:
            raise error(f"{path}:{number}: not valid JSON ({e.msg})") from None
        if not isinstance(item, dict):
            raise error(f"{path}:{number}: expected a JSON object, got {type(item).__name__}")
        out.append((number, item))
    return out
