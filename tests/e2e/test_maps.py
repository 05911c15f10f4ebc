"""Maps and ACL files on the traffic (issue 13): map converters route requests, ACL `-f`
files judge them, and the runtime API (`set map`, `add map`, `del map`, `add acl`, `del acl`,
`prepare`/`commit`, `clear`) changes what the running rules see, without a reload. The
add-acl/set-map actions change the same references from the traffic. Relative file names
resolve from the process' working directory, as HAProxy's default-path `current`.

Runs against SLUICE_BIN=/usr/sbin/haproxy too (only the startup error's wording differs).

Routing: `use_backend be_%[req.hdr(host),map_str(hosts.map,a)]` (a name that matches no
backend falls back to default_backend), and the same through an ACL on the converter's output
for /acl-route. The map's value is also sent to the server as a header. `lower` is left out
(hosts are written in lower case) so the test does not depend on the string converters.
"""

from __future__ import annotations

import subprocess

from harness import against_haproxy, http_get, sluice_bin, socat, wait_until

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{port}
    acl blocked src -f blocked.lst
    acl closed path_beg -f closed.lst
    http-request deny deny_status 403 if blocked
    http-request deny deny_status 410 if closed
    http-request add-acl(blocked.lst) %[src] if { path /ban-me }
    http-request set-map(hosts.map) %[req.hdr(x-host)] %[req.hdr(x-tier)] if { req.hdr(x-tier) -m found }
    http-request del-map(hosts.map) %[req.hdr(x-host)] if { path /forget }
    http-request deny deny_status 429 if { req.hdr(x-server) -f served.lst }
    http-response add-acl(served.lst) %[res.hdr(x-served-by)] if { res.hdr(x-served-by) -m found }
    http-request set-header X-Tier %[req.hdr(host),map_str(hosts.map,none)]
    http-request set-header X-Weight %[req.hdr(host),map_beg_int(weights.map,0)]
    use_backend be_b if { req.hdr(host),map(hosts.map,a) -m str b } { path_beg /acl-route }
    use_backend be_%[req.hdr(host),map_str(hosts.map,a)]
    default_backend be_a
backend be_a
    server a 127.0.0.1:{a}
backend be_b
    server b 127.0.0.1:{b}
"""

FILES = {
    "hosts.map": "# host tier\na.example a\nb.example   b\n",
    "weights.map": "a. 10\nb 20\n",
    "blocked.lst": "# nobody yet\n192.0.2.1\n",
    "closed.lst": "/closed\n",
    "served.lst": "",
}


def start(sluice, demo_app):
    a, b = demo_app("A"), demo_app("B")
    inst = sluice(CFG, start=False, a=a.port, b=b.port)
    for name, text in FILES.items():
        (inst.dir / name).write_text(text)
    inst.start(cwd=str(inst.dir))   # relative names resolve from here
    sock = f"{inst.dir}/admin.sock"
    wait_until(lambda: (inst.dir / "admin.sock").exists(), what="the stats socket")
    return inst, lambda cmd: socat(cmd, sock)


def route(lb, host: str, path: str = "/echo") -> tuple[int, str | None, str | None, str | None]:
    r = http_get(lb.port, path, headers={"Host": host})
    echoed = {k.lower(): v for k, v in (l.split(": ", 1) for l in r.text.split("\r\n")[1:] if ": " in l)}
    return r.status, r.served_by, echoed.get("x-tier"), echoed.get("x-weight")


def entries(cli, name: str) -> list[list[str]]:
    """`show map|acl NAME` without the element ids."""
    return [line.split()[1:] for line in cli(f"show {name}").splitlines() if line.strip()]


def test_map_routing_follows_runtime_changes(sluice, demo_app):
    lb, cli = start(sluice, demo_app)
    assert route(lb, "a.example") == (200, "A", "a", "10")
    assert route(lb, "b.example") == (200, "B", "b", "20")
    assert route(lb, "c.example") == (200, "A", "none", "0")
    assert route(lb, "b.example", "/acl-route")[:2] == (200, "B")
    assert entries(cli, "map hosts.map") == [["a.example", "a"], ["b.example", "b"]]

    assert cli("set map hosts.map a.example b") == "\n"
    assert route(lb, "a.example")[:3] == (200, "B", "b")
    assert cli("add map hosts.map c.example b") == "\n"
    assert route(lb, "c.example")[:3] == (200, "B", "b")
    assert route(lb, "c.example", "/acl-route")[:2] == (200, "B")
    assert cli("del map hosts.map b.example") == "\n"
    assert route(lb, "b.example")[:3] == (200, "A", "none")
    assert cli("get map hosts.map c.example").startswith("type=str, case=sensitive, found=yes")
    assert cli("add map weights.map c.example 30") == "\n"
    assert route(lb, "c.example")[3] == "30"

    # A whole new version, invisible until committed.
    assert cli("prepare map hosts.map") == "New version created: 1\n\n"
    assert cli("add map @1 hosts.map d.example b") == "\n"
    assert route(lb, "d.example")[:3] == (200, "A", "none")
    assert route(lb, "c.example")[:3] == (200, "B", "b")
    assert cli("commit map @1 hosts.map") == "\n"
    assert route(lb, "d.example")[:3] == (200, "B", "b")
    assert route(lb, "c.example")[:3] == (200, "A", "none")
    assert cli("clear map hosts.map") == "\n"
    assert route(lb, "d.example")[:3] == (200, "A", "none")
    assert lb.proc.poll() is None


def test_acl_files_follow_runtime_changes(sluice, demo_app):
    lb, cli = start(sluice, demo_app)
    assert route(lb, "x")[0] == 200
    assert route(lb, "x", "/closed/x")[0] == 410
    assert cli("add acl blocked.lst 127.0.0.1") == "\n"
    assert route(lb, "x")[0] == 403
    assert cli("del acl blocked.lst 127.0.0.1") == "\n"
    assert route(lb, "x")[0] == 200

    assert cli("add acl closed.lst /shut") == "\n"
    assert route(lb, "x", "/shut/now")[0] == 410   # path_beg: the tree takes the new prefix
    assert cli("prepare acl closed.lst") == "New version created: 1\n\n"
    assert cli("add acl @1 closed.lst /later") == "\n"
    assert route(lb, "x", "/later")[0] == 200
    assert cli("commit acl @1 closed.lst") == "\n"
    assert route(lb, "x", "/later")[0] == 410
    assert route(lb, "x", "/closed/x")[0] == 200   # the new version replaced the old one
    assert cli("clear acl closed.lst") == "\n"
    assert route(lb, "x", "/later")[0] == 200
    # An IP ACL refuses what is not an address, and keeps answering as before.
    assert cli("add acl blocked.lst not-an-ip") != "\n"
    assert route(lb, "x")[0] == 200


def test_actions_change_maps_and_acls_from_the_traffic(sluice, demo_app):
    lb, cli = start(sluice, demo_app)
    r = http_get(lb.port, "/", headers={"Host": "x", "X-Host": "n.example", "X-Tier": "b"})
    assert r.status == 200
    assert ["n.example", "b"] in entries(cli, "map hosts.map")
    assert route(lb, "n.example")[:3] == (200, "B", "b")
    # set-map on a key that is there changes its value, it adds no second entry.
    http_get(lb.port, "/", headers={"Host": "x", "X-Host": "n.example", "X-Tier": "c"})
    assert [e for e in entries(cli, "map hosts.map") if e[0] == "n.example"] == [["n.example", "c"]]
    assert route(lb, "n.example")[:3] == (200, "A", "c")
    http_get(lb.port, "/forget", headers={"Host": "x", "X-Host": "n.example"})
    assert route(lb, "n.example")[:3] == (200, "A", "none")

    # add-acl runs after the deny rule: this request passes, the next one is refused.
    assert route(lb, "x", "/ban-me")[0] == 200
    assert ["127.0.0.1"] in entries(cli, "acl blocked.lst")
    assert route(lb, "x")[0] == 403
    assert cli("del acl blocked.lst 127.0.0.1") == "\n"
    assert route(lb, "x")[0] == 200

    # http-response rules too: the server's name goes into an ACL file the requests check.
    assert ["A"] in entries(cli, "acl served.lst")   # the requests above were served by A
    assert cli("del acl served.lst A") == "\n"
    assert http_get(lb.port, "/", headers={"Host": "x", "X-Server": "A"}).status == 200
    assert ["A"] in entries(cli, "acl served.lst")
    assert http_get(lb.port, "/", headers={"Host": "x", "X-Server": "A"}).status == 429


def test_unreadable_map_file_is_a_startup_error(tmp_path, ports):
    cfg = tmp_path / "bad.cfg"
    text = CFG.replace("global\n    stats socket {dir}/admin.sock mode 600 level admin\n", "")
    text = text.replace("weights.map", str(tmp_path / "missing.map"))
    for name, body in FILES.items():
        if name != "weights.map":
            (tmp_path / name).write_text(body)
    for name in ("port", "a", "b"):
        text = text.replace("{" + name + "}", str(ports.get()))
    cfg.write_text(text)
    line = text.splitlines().index(next(l for l in text.splitlines() if "missing.map" in l)) + 1
    r = subprocess.run([str(sluice_bin()), "-c", "-f", str(cfg)], capture_output=True, text=True, timeout=20,
                       cwd=str(tmp_path))
    out = r.stdout + r.stderr
    assert r.returncode != 0, out
    assert "missing.map" in out, out
    if against_haproxy():
        assert f"{cfg}:{line}]" in out, out
    else:
        assert f"{cfg}:{line}: " in out and "failed to open pattern file" in out, out
