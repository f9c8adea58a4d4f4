"""No import circle between jobs and services: services name the jobs they enqueue."""

import ast
import pathlib

from werkzeug.utils import import_string

WEBAPP = pathlib.Path(__file__).resolve().parents[2] / "webapp"


def _modules(folder: pathlib.Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _imported(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def test_services_import_no_job_module():
    jobs = {path.stem for path in (WEBAPP / "jobs").glob("*.py") if path.stem != "__init__"}
    assert jobs, "the job modules moved"
    offenders = [
        f"{path.name} imports {name}"
        for path, tree in _modules(WEBAPP / "services")
        for name in _imported(tree)
        if name.split(".")[:3] in (["webapp", "jobs", job] for job in jobs)
    ]
    assert offenders == []


def _enqueued_names():
    for path, tree in _modules(WEBAPP):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue  # the seam's own calls into RQ are Queue(...).enqueue(...)
            position = {"enqueue": 0, "enqueue_at": 1}.get(node.func.id)
            if position is not None and len(node.args) > position:
                argument = node.args[position]
                assert isinstance(argument, ast.Constant), f"{path.name}: a job is named in full"
                yield argument.value


def test_every_enqueued_job_name_is_a_job_function():
    names = sorted(set(_enqueued_names()))
    assert len(names) >= 4  # mail, NIK check, document check, hold expiry
    for name in names:
        assert name.startswith("webapp.jobs."), name
        assert callable(import_string(name)), name
