"""pytest fixtures for the e2e suite. See harness.py for the helpers themselves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402
from rawbackend import DEFAULT, RawBackend  # noqa: E402


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so fixtures can tell, at teardown, whether
    # the test failed and print the logs that explain it.
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _failed(request) -> bool:
    return any(getattr(request.node, f"rep_{w}", None) is not None and getattr(request.node, f"rep_{w}").failed
               for w in ("setup", "call"))


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"missing binary {path}; build first (ninja -C {harness.build_dir()}) "
                    f"or set SLUICE_BUILD_DIR", pytrace=False)
    return path


@pytest.fixture(scope="session")
def demo_bin() -> Path:
    return _need(harness.demo_app_bin())


@pytest.fixture(scope="session")
def sluice_bin() -> Path:
    return _need(harness.sluice_bin())


@pytest.fixture(scope="session")
def ports():
    return harness.PortAllocator()


@pytest.fixture
def demo_app(demo_bin, tmp_path, request):
    """Factory: demo_app("A", check_port=0) starts a backend; all are stopped at teardown."""
    apps: list[harness.DemoApp] = []

    def start(name: str, **kw) -> harness.DemoApp:
        app = harness.DemoApp(name, log_dir=tmp_path, **kw).start()
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.stop()
    if _failed(request):
        for app in apps:
            print(f"--- demo-app {app.name} log tail ---\n{harness.tail(app.log_path)}")
    for app in apps:
        text = app.log_path.read_text(errors="replace") if app.log_path.exists() else ""
        if any(m in text for m in harness.SANITIZER_MARKERS):
            pytest.fail(f"sanitizer report in demo-app {app.name} log:\n{text[-4000:]}", pytrace=False)


@pytest.fixture
def raw_backend():
    """Factory: raw_backend(script) starts a scripted byte-level backend (rawbackend.py)."""
    started: list[RawBackend] = []

    def start(script=DEFAULT) -> RawBackend:
        be = RawBackend(script).start()
        started.append(be)
        return be

    yield start
    for be in started:
        be.stop()


@pytest.fixture
def farm(demo_app):
    """Factory: farm(4) starts webA..webD (or the given names) and returns them in order."""

    def start(n: int = 4, names: list[str] | None = None, **kw) -> list[harness.DemoApp]:
        names = names or [f"web{chr(ord('A') + i)}" for i in range(n)]
        return [demo_app(name, **kw) for name in names]

    return start


@pytest.fixture
def sluice(sluice_bin, ports, request):
    """Factory: sluice(TEMPLATE, name=value, ...) writes the config and starts the proxy.

    Stopped by PID at teardown; on failure the config and log tail are printed. A
    sanitizer report in the log fails the test even when the test body passed.
    """
    instances: list[harness.Sluice] = []

    def start(template: str, start: bool = True, **values) -> harness.Sluice:
        inst = harness.Sluice(template, ports, values)
        instances.append(inst)
        return inst.start() if start else inst

    yield start
    for inst in instances:
        inst.stop()
    if _failed(request):
        for inst in instances:
            print(f"--- sluice config {inst.cfg_path} ---\n{inst.config_text}")
            print(f"--- sluice log tail ---\n{harness.tail(inst.log_path)}")
    for inst in instances:
        report = inst.sanitizer_report()
        if report:
            pytest.fail(f"sanitizer report in sluice log:\n{report[-4000:]}", pytrace=False)
