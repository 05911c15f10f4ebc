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


LIMITS = """\
global
    maxconn 500
    stats socket {dir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend plain
    bind 127.0.0.1:{a}
    default_backend be
frontend own
    bind 127.0.0.1:{b}
    maxconn 30
    default_backend be
backend be
    server s 127.0.0.1:1
"""


def stat_slim(csv: str, proxy: str) -> str:
    head = csv.splitlines()[0].lstrip("# ").split(",")
    for line in csv.splitlines()[1:]:
        row = line.split(",")
        if row[:2] == [proxy, "FRONTEND"]:
            return row[head.index("slim")]
    raise AssertionError(f"no FRONTEND row for {proxy}:\n{csv}")


def test_small_n_is_global_maxconn_and_big_n_the_per_proxy_default(sluice):
    # As HAProxy: -n overrides the global maxconn; -N is the maxconn of a frontend that sets
    # none (before, sluice took -N as the global maxconn and refused -n).
    s = sluice(LIMITS, start=False).start(extra_args=["-n", "900", "-N", "70"])
    info = s.cli("show info")
    assert re.search(r"^Maxconn: 900$", info, re.M), info
    csv = s.cli("show stat")
    assert stat_slim(csv, "plain") == "70"
    assert stat_slim(csv, "own") == "30"


def test_connection_limit_options_refuse_junk(sluice_bin, tmp_path):
    cfg = tmp_path / "x.cfg"
    cfg.write_text("defaults\n    mode http\n")
    for opt in ("-n", "-N"):
        for bad in ("12abc", "-1", "0", ""):
            out = run(sluice_bin, "-c", "-f", str(cfg), opt, bad)
            assert out.returncode != 0, (opt, bad, out.stdout)
            assert f"option '{opt}' expects a connection limit" in out.stderr, out.stderr
    assert run(sluice_bin, "-c", "-f", str(cfg), "-n", "10", "-N", "5", "-L", "peer1").returncode == 0
