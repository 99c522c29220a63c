"""The shape of the code, checked so that it stays: imports run one way, and an app changes
another app's data only through that app's actions.py (docs/life-of-a-message.md)."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "simulator", "modelserve", "supervision", "training", "feedback", "config")
WRITES = {"create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "update", "delete", "create_user"}
# Model methods that change state, too common a name to tell whose model they are called on.
GENERIC_METHODS = {"save", "delete", "append", "end", "claim", "set", "add"}


def project_modules():
    """{dotted name: path} of every project module but migrations."""
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(name, modules):
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules):
    """{module: set of project modules it imports}, imports inside functions included."""
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                edges |= {_resolve(alias.name, modules) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}" if base else alias.name
                    edges.add(full if full in modules else _resolve(base, modules))
        graph[name] = edges - {None, name}
    return graph


def cycles(graph):
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def model_owners(modules):
    """{model class name: app} for every model class in an app's models.py."""
    owners = {}
    for name, path in modules.items():
        if name.endswith(".models"):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    owners[node.name] = name.split(".")[0]
    return owners


def state_methods(modules):
    """{method name: app} for the public methods of an app's models that write (state changes as
    model methods, STYLE.md), leaving out names too common to attribute."""
    methods = {}
    for name, path in modules.items():
        if not name.endswith(".models"):
            continue
        for cls in ast.parse(path.read_text(encoding="utf-8")).body:
            for node in cls.body if isinstance(cls, ast.ClassDef) else ():
                if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and node.name not in GENERIC_METHODS:
                    source = ast.unparse(node)
                    if any(write in source for write in (".save(", ".update(", ".create(", ".delete(", "._move(")):
                        methods.setdefault(node.name, set()).add(name.split(".")[0])
    return methods


def _chain_root(node):
    while isinstance(node, ast.Call | ast.Attribute):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def foreign_writes(modules):
    """[(module, line, model)] where an app calls a write (create, update, delete...) on a manager
    or queryset of another app's model, anywhere but in the owning app itself."""
    owners, methods = model_owners(modules), state_methods(modules)
    found = []
    for name, path in modules.items():
        app = name.split(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            attr = node.func.attr
            if attr in WRITES:
                root = _chain_root(node.func.value)
                if root in owners and owners[root] != app and ".objects" in ast.unparse(node.func.value) + ".":
                    found.append((name, node.lineno, root))
            elif attr in methods and app not in methods[attr]:
                found.append((name, node.lineno, f".{attr}()"))
    return found


def test_the_walker_finds_a_circle_and_a_foreign_write(tmp_path):
    # Shown failing first: a two-module circle through an import inside a function, and a write
    # on another app's model, are both found.
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "b.w": {"a.x"}}
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]
    (tmp_path / "models.py").write_text("class Thing:\n    def pause(self):\n        self._move(1, 2)\n")
    (tmp_path / "views.py").write_text(
        "def f(thing):\n    from a.models import Thing\n    Thing.objects.filter(pk=1).update(x=2)\n    thing.pause()\n"
    )
    modules = {"a.models": tmp_path / "models.py", "b.views": tmp_path / "views.py"}
    assert sorted(foreign_writes(modules)) == [("b.views", 3, "Thing"), ("b.views", 4, ".pause()")]
    assert import_graph(modules)["b.views"] == {"a.models"}


def test_no_import_circle_among_the_projects_modules():
    found = cycles(import_graph(project_modules()))
    assert not found, "import circles (imports inside functions count): " + "; ".join(" -> ".join(c) for c in found)


def test_no_app_writes_another_apps_models():
    found = foreign_writes(project_modules())
    assert not found, "writes around the owning app's actions.py: " + ", ".join(f"{m}:{line} ({model})" for m, line, model in found)


@pytest.mark.parametrize("module", ["simulator.actions", "simulator.dispatch", "simulator.events", "simulator.tasks",
                                    "simulator.replies", "simulator.crisis_protocol"])
def test_the_live_path_modules_do_not_import_each_other_in_a_circle(module):
    graph = import_graph(project_modules())
    assert module in graph
    reachable, todo = set(), [module]
    while todo:
        for child in graph.get(todo.pop(), ()):
            if child not in reachable:
                reachable.add(child)
                todo.append(child)
    assert module not in reachable


def test_only_simulator_actions_change_a_session():
    # Two ways to pause a session once meant the crisis protocol's pause recorded nothing and left
    # the reply streaming; every session change now goes through simulator/actions.py.
    changes = {"pause", "resume", "end", "record", "set_client_state", "append"}
    allowed = {"simulator.actions", "simulator.models"}
    found = []
    for name, path in project_modules().items():
        if name in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in changes:
                receiver = ast.unparse(node.func.value)
                if re.search(r"(^|\.|_)session$", receiver):
                    found.append(f"{name}:{node.lineno} {receiver}.{node.func.attr}()")
    assert not found, "session changes outside simulator.actions: " + ", ".join(found)


def test_apps_depend_on_each_other_one_way():
    # modelserve and accounts at the bottom, then simulator, then feedback, supervision, training.
    # A lower app that needs something from a higher one offers a hook the higher one fills in its
    # AppConfig.ready() (modelserve.serving, simulator.actions.register_scorer).
    apps = {}
    for module, imported in import_graph(project_modules()).items():
        app = module.split(".")[0]
        if app != "config":
            apps.setdefault(app, set()).update(m.split(".")[0] for m in imported if m.split(".")[0] not in (app, "config"))
    assert not cycles(apps), apps
