"""Command-line flags that tools drive sluice with: -vv (read by HAProxy's test runner) and -cc."""

from __future__ import annotations

import re
import subprocess


def run(sluice_bin, *args, env=None):
    return subprocess.run([str(sluice_bin), *args], capture_output=True, text=True, timeout=10, env=env)


def test_vv_lists_features_in_haproxy_layout(sluice_bin):
    out = run(sluice_bin, "-vv")
    assert out.returncode == 0
    m = re.search(r"^Feature list : (.*)$", out.stdout, re.M)
    assert m, out.stdout
    items = m.group(1).split()
    assert items and all(i[0] in "+-" for i in items)
    assert "+EPOLL" in items
    # No TLS yet: OPENSSL must not be claimed (tests guarded by it would run and fail).
    assert "-OPENSSL" in items and "+OPENSSL" not in items
    assert re.search(r"^Available services : .*prometheus-exporter", out.stdout, re.M)
    assert re.search(r"^HAProxy-compatible version: \d+\.\d+$", out.stdout, re.M)


def test_cc_exit_status(sluice_bin):
    cases = {
        "version_atleast(2.5-dev0)": 0,
        "version_atleast(9.9)": 1,
        "feature(EPOLL) && !feature(OPENSSL)": 0,
        "feature(OPENSSL)": 1,
        "": 1,
        "foo(": 2,
        "nosuch(x)": 2,
    }
    for expr, want in cases.items():
        out = run(sluice_bin, "-cc", expr)
        assert out.returncode == want, (expr, out.returncode, out.stderr)
        if want == 2:
            assert "condition" in out.stderr


def test_cc_sees_the_environment(sluice_bin):
    env = {"PATH": "/usr/bin:/bin", "SLUICE_TEST_VAR": "x"}
    assert run(sluice_bin, "-cc", "defined(SLUICE_TEST_VAR)", env=env).returncode == 0
    assert run(sluice_bin, "-cc", "defined(SLUICE_UNSET_VAR)", env=env).returncode == 1
