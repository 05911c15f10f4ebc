"""Runtime API on the stats socket (issue 6): the seeds' socat procedures verbatim, formats,
drain under load, dynamic servers, weights and access levels.

Written against HAProxy's behaviour; SLUICE_BIN=/usr/sbin/haproxy checks most of it against
the reference (the `wait` and `add/del server` parts need haproxy >= 2.6/3.0 semantics).
"""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections import Counter

from harness import HttpConn, http_get, socat, wait_until

CFG = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
    stats socket {dir}/user.sock mode 640 level user
    stats socket {dir}/op.sock mode 660 level operator
    stats timeout 30s
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend APP1
backend APP1
    balance roundrobin
    cookie HAPROXY_SESSION insert indirect nocache
    option persist
    server SRV1 127.0.0.1:{p1} cookie SRV1
    server SRV2 127.0.0.1:{p2} cookie SRV2
"""


def start(farm, sluice, n=2):
    apps = farm(n, names=["SRV1", "SRV2", "SRV3"][:n])
    lb = sluice(CFG, p1=apps[0].port, p2=apps[1].port)
    # the bind ports accept (listeners open first) a moment before the stats sockets exist
    wait_until(lambda: all(os.path.exists(f"{lb.dir}/{n}.sock") for n in ("admin", "user", "op")),
               what="the stats sockets")
    return apps, lb


def sh(script: str, lb) -> subprocess.CompletedProcess:
    """Runs a seed's shell text with the socket path substituted (and `sudo ` dropped)."""
    script = script.replace("/var/run/haproxy/admin.sock", lb.admin_sock).replace("sudo ", "")
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=30)


def cli_wait(lb, cmd: str) -> str:
    """`wait` outlives socat's default 0.5 s half-close timeout: give it -t (as haproxy's doc says)."""
    res = subprocess.run(["socat", "-t", "30", "stdio", f"UNIX-CONNECT:{lb.admin_sock}"], input=cmd + "\n",
                         capture_output=True, text=True, timeout=40)
    return res.stdout


def cookie_for(lb, server: str) -> str:
    for _ in range(20):
        r = http_get(lb.port, "/")
        if r.served_by == server:
            return r.cookies()["HAPROXY_SESSION"]
    raise AssertionError(f"no response from {server}")


def state_rows(text: str) -> dict[str, list[str]]:
    lines = text.strip("\n").split("\n")
    assert lines[0] == "1", text
    header = lines[1].lstrip("# ").split()
    assert header[:8] == ["be_id", "be_name", "srv_id", "srv_name", "srv_addr", "srv_op_state",
                          "srv_admin_state", "srv_uweight"]
    rows = {}
    for ln in lines[2:]:
        f = ln.split()
        assert len(f) == len(header), ln
        rows[f[3]] = dict(zip(header, f))
    return rows


def test_seed_003_socat_commands_verbatim(farm, sluice):
    apps, lb = start(farm, sluice)
    out = sh('echo "set server APP1/SRV1 state backup" | sudo socat stdio /var/run/haproxy/admin.sock', lb)
    assert out.returncode == 0
    assert "'ready', 'drain' and 'maint'" in out.stdout
    out = sh("echo 'show sess' | sudo socat stdio /var/run/haproxy/admin.sock | grep SRV1 | wc -l", lb)
    assert out.stdout.strip() == "0"
    out = sh('echo "set server APP1/SRV1 state drain" | socat stdio /var/run/haproxy/admin.sock', lb)
    assert out.stdout == "\n"
    out = sh("echo 'show sess' | socat stdio /var/run/haproxy/admin.sock | grep SRV1", lb)
    assert out.returncode == 1 and out.stdout == ""   # grep finds nothing: no session left
    out = sh('echo "set server APP1/SRV1 state maint" | socat stdio /var/run/haproxy/admin.sock', lb)
    assert out.stdout == "\n"
    out = sh('echo "show servers state APP1" | socat stdio /var/run/haproxy/admin.sock', lb)
    rows = state_rows(out.stdout)
    assert rows["SRV1"]["srv_admin_state"] == "1" and rows["SRV2"]["srv_admin_state"] == "0"
    out = sh('echo "show sess" | socat stdio /var/run/haproxy/admin.sock | wc -l', lb)
    assert int(out.stdout.strip()) >= 1
    # The article's drain script, whole: set backup (refused), wait for 0 sessions, maint.
    script = '''SERVER=SRV2
BACKEND=APP1
echo "set server $BACKEND/$SERVER state backup" | socat stdio /var/run/haproxy/admin.sock
while true; do
    CONNS=$(echo "show sess" | socat stdio /var/run/haproxy/admin.sock | grep $SERVER | wc -l)
    [ $CONNS -eq 0 ] && break
    echo "Waiting for $CONNS connections to drain..."
    sleep 5
done
echo "set server $BACKEND/$SERVER state maint" | socat stdio /var/run/haproxy/admin.sock
'''
    out = sh(script, lb)
    assert out.returncode == 0, out.stderr
    assert state_rows(lb.cli("show servers state"))["SRV2"]["srv_admin_state"] == "1"
    assert http_get(lb.port, "/").status == 503


def test_seed_004_weight_zero(farm, sluice):
    apps, lb = start(farm, sluice)
    out = sh('echo "set weight APP1/SRV1 0" | socat stdio /var/run/haproxy/admin.sock', lb)
    assert out.stdout == "\n"
    assert lb.cli("get weight APP1/SRV1") == "0 (initial 1)\n\n"
    assert {http_get(lb.port, "/").served_by for _ in range(10)} == {"SRV2"}
    assert sh('echo "set server APP1/SRV1 weight 100%" | socat stdio /var/run/haproxy/admin.sock', lb).stdout == "\n"
    assert lb.cli("get weight APP1/SRV1") == "1 (initial 1)\n\n"
    assert lb.cli("set weight APP1/SRV1 300") == "Absolute weight can only be between 0 and 256 inclusive.\n\n"
    assert lb.cli("set weight APP1/NOPE 3") == "No such server.\n\n"
    assert lb.cli("set weight NOPE/SRV1 3") == "No such backend.\n\n"


def test_formats(farm, sluice):
    apps, lb = start(farm, sluice)
    http_get(lb.port, "/")
    rows = state_rows(lb.cli("show servers state"))
    assert rows["SRV1"]["srv_addr"] == "127.0.0.1" and rows["SRV1"]["srv_port"] == str(apps[0].port)
    assert rows["SRV1"]["srv_op_state"] == "2" and rows["SRV1"]["srv_iweight"] == "1"
    assert lb.cli("show servers state NOPE") == "Can't find backend.\n\n"
    csv = lb.cli("show stat").strip("\n").split("\n")
    assert csv[0].startswith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,")
    names = csv[0][2:].split(",")
    byname = {(r.split(",")[0], r.split(",")[1]): dict(zip(names, r.split(","))) for r in csv[1:]}
    assert byname[("fe", "FRONTEND")]["status"] == "OPEN"
    assert byname[("APP1", "SRV1")]["status"] == "no check"
    assert byname[("APP1", "BACKEND")]["status"] == "UP"
    assert byname[("APP1", "BACKEND")]["algo"] == "roundrobin"
    assert "S.1.1." in lb.cli("show stat typed") or ".svname." in lb.cli("show stat typed")
    assert lb.cli("show stat json").startswith("[[")
    info = lb.cli("show info")
    assert "Pid: " in info and "Uptime_sec: " in info
    assert lb.cli("show backend") == "# name\nAPP1\n\n"
    assert lb.cli("show table") == "\n"
    assert lb.cli("show servers conn").startswith("# bkname/svname bkid/svid addr port")
    assert lb.cli("bogus").startswith("Unknown command")
    assert lb.cli("help").startswith("The following commands are valid at this level:")
    # several commands on one line, each answer framed by an empty line
    assert lb.cli("get weight APP1/SRV1; get weight APP1/SRV2") == "1 (initial 1)\n\n1 (initial 1)\n\n"


def test_prompt_mode(farm, sluice):
    apps, lb = start(farm, sluice)
    res = subprocess.run(["socat", "-t2", "stdio", f"UNIX-CONNECT:{lb.admin_sock}"],
                         input="prompt\nget weight APP1/SRV1\nshow cli level\nquit\n",
                         capture_output=True, text=True, timeout=10)
    assert res.stdout == "> 1 (initial 1)\n\n> admin\n\n> ", res.stdout


def test_access_levels_and_socket_mode(farm, sluice):
    apps, lb = start(farm, sluice)
    user, op = f"{lb.dir}/user.sock", f"{lb.dir}/op.sock"
    assert stat.S_IMODE(os.stat(lb.admin_sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(user).st_mode) == 0o640
    assert socat("set server APP1/SRV1 state drain", user) == "Permission denied\n\n"
    assert socat("show sess", user) == "Permission denied\n\n"
    assert socat("get weight APP1/SRV1", user) == "1 (initial 1)\n\n"
    assert socat("set weight APP1/SRV1 0", op) == "Permission denied\n\n"
    assert socat("clear counters", op) == "\n"
    assert socat("clear counters all", op) == "Permission denied\n\n"
    assert ",127.0.0.1:" not in socat("show stat", user)   # addresses hidden at level user
    assert socat("operator; show cli level", lb.admin_sock) == "operator\n\n"
    assert state_rows(lb.cli("show servers state"))["SRV1"]["srv_admin_state"] == "0"


def test_drain_under_load_then_maint_and_ready(farm, sluice):
    apps, lb = start(farm, sluice)
    ck = cookie_for(lb, "SRV1")
    hdr = {"Cookie": f"HAPROXY_SESSION={ck}"}
    assert lb.cli("set server APP1/SRV1 state drain") == "\n"
    # cookie clients still reach SRV1; new clients never do
    assert {http_get(lb.port, "/", headers=hdr).served_by for _ in range(5)} == {"SRV1"}
    assert {http_get(lb.port, "/").served_by for _ in range(10)} == {"SRV2"}
    # a long request keeps a session on SRV1 while the drain waits for it
    errors = []

    def slow():
        try:
            r = http_get(lb.port, "/slow?ms=1500", headers=hdr)
            assert r.served_by == "SRV1"
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=slow)
    t.start()
    wait_until(lambda: "srv=SRV1" in lb.cli("show sess"), what="a session on SRV1")
    assert cli_wait(lb, "wait 5s srv-drained APP1/SRV1") == "Done.\n\n"
    t.join()
    assert not errors, errors
    wait_until(lambda: "srv=SRV1" not in lb.cli("show sess"), what="no session on SRV1")
    assert lb.cli("set server APP1/SRV1 state maint") == "\n"
    assert cli_wait(lb, "wait 5s srv-removable APP1/SRV1") == "Done.\n\n"
    assert lb.cli("set server APP1/SRV1 state ready") == "\n"
    assert "SRV1" in {http_get(lb.port, "/").served_by for _ in range(6)}


def test_wait_times_out_with_clear_message(farm, sluice):
    apps, lb = start(farm, sluice)
    assert cli_wait(lb, "wait 200ms srv-removable APP1/SRV1") == "Wait delay expired.\n\n"
    assert cli_wait(lb, "wait 50ms") == "Done.\n\n"
    assert cli_wait(lb, "wait -h").startswith("Usage: wait")


def test_add_server_with_an_id_already_used_is_refused(farm, sluice):
    apps, lb = start(farm, sluice, n=3)
    port = apps[2].port
    out = lb.cli(f"add server APP1/SRV3 127.0.0.1:{port} id 1")
    assert out.startswith("'id' : custom id 1 already used at ") and out.endswith(" ('server SRV1')\n\n"), out
    assert "SRV3" not in state_rows(lb.cli("show servers state APP1"))
    assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{port} id 7") == "New server registered.\n\n"
    assert state_rows(lb.cli("show servers state APP1"))["SRV3"]["srv_id"] == "7"
    assert lb.cli(f"add server APP1/SRV4 127.0.0.1:{port} id 7") == \
        "'id' : custom id 7 already used ('server SRV3')\n\n"
    assert lb.cli(f"add server APP1/SRV4 127.0.0.1:{port}") == "New server registered.\n\n"
    assert state_rows(lb.cli("show servers state APP1"))["SRV4"]["srv_id"] == "8"


def test_add_and_del_server(farm, sluice):
    apps, lb = start(farm, sluice, n=3)
    new = apps[2]
    assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{new.port} weight 2 cookie SRV3") == "New server registered.\n\n"
    assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{new.port}") == \
        "Already exists a server with the same name in backend.\n\n"
    assert "SRV3" in state_rows(lb.cli("show servers state APP1"))
    assert lb.cli("set server APP1/SRV3 state ready") == "\n"
    counts = Counter(http_get(lb.port, "/").served_by for _ in range(16))
    assert counts["SRV3"] >= 6, counts
    assert lb.cli("del server APP1/SRV3") == "Only servers in maintenance mode can be deleted.\n\n"
    assert lb.cli("set server APP1/SRV3 state maint") == "\n"
    assert cli_wait(lb, "wait 5s srv-removable APP1/SRV3") == "Done.\n\n"
    assert lb.cli("del server APP1/SRV3") == "Server deleted.\n\n"
    assert "SRV3" not in state_rows(lb.cli("show servers state APP1"))
    assert {http_get(lb.port, "/").status for _ in range(6)} == {200}


CFG_CHECKED = """\
global
    stats socket {dir}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout check 2s
frontend fe
    bind 127.0.0.1:{bind}
    default_backend APP1
backend APP1
    option httpchk GET /health
    server SRV1 127.0.0.1:{p1} check inter 100 rise 1 fall 1
"""


def test_dynamic_server_checks_enable_and_stop_with_del_server(demo_app, sluice):
    """A dynamic server's `check` starts disabled (HAProxy: `enable health` turns it on);
    its probes judge it like any other server; `del server` removes it, checks and all, and
    its probes stop."""
    a, n = demo_app("SRV1"), demo_app("SRV3")
    lb = sluice(CFG_CHECKED, p1=a.port)
    wait_until(lambda: os.path.exists(lb.admin_sock), what="the stats socket")
    checks = lambda app: app.stats()["health_requests"]  # noqa: E731
    op_state = lambda: state_rows(lb.cli("show servers state APP1"))["SRV3"]["srv_op_state"]  # noqa: E731
    assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{n.port} check inter 100 rise 1 fall 1") == \
        "New server registered.\n\n"
    assert lb.cli("set server APP1/SRV3 state ready") == "\n"
    base = checks(a)
    wait_until(lambda: checks(a) >= base + 5, what="five checks of SRV1")
    assert checks(n) == 0                                   # not enabled yet
    assert "SRV3" in {http_get(lb.port, "/").served_by for _ in range(6)}
    assert lb.cli("enable health APP1/SRV3") == "\n"
    wait_until(lambda: checks(n) >= 3, what="SRV3's checks")
    n.set_health(500)
    wait_until(lambda: op_state() == "0", what="SRV3 DOWN by its check")
    assert {http_get(lb.port, "/").served_by for _ in range(6)} == {"SRV1"}
    n.set_health(200)
    wait_until(lambda: op_state() == "2", what="SRV3 UP again")
    assert lb.cli("set server APP1/SRV3 state maint") == "\n"
    assert lb.cli("del server APP1/SRV3") == "Server deleted.\n\n"
    base = checks(a)
    wait_until(lambda: checks(a) >= base + 2, what="SRV1 checked twice")   # a probe in flight lands
    stopped_at = checks(n)
    wait_until(lambda: checks(a) >= base + 8, what="SRV1 checked six more times")
    assert checks(n) == stopped_at                          # the deleted server's probes stopped
    # The name is free again; the new server has checks of its own.
    assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{n.port} check inter 100") == "New server registered.\n\n"
    assert lb.cli("enable health APP1/SRV3") == "\n"
    wait_until(lambda: checks(n) > stopped_at, what="the new SRV3's checks")
    assert {http_get(lb.port, "/").status for _ in range(6)} == {200}


def test_set_addr_maxconn_health_and_shutdown(farm, sluice):
    apps, lb = start(farm, sluice, n=3)
    out = lb.cli(f"set server APP1/SRV1 addr 127.0.0.1 port {apps[2].port}")
    assert out == f"no need to change the addr, port changed from '{apps[0].port}' to '{apps[2].port}' by 'stats socket command'\n\n"
    assert lb.cli("set server APP1/SRV1 addr bad") == "Invalid addr 'bad' by 'stats socket command'\n\n"
    assert "SRV3" in {http_get(lb.port, "/").served_by for _ in range(4)}   # SRV1 now points at SRV3's app
    assert lb.cli("set maxconn server APP1/SRV1 10") == "\n"
    assert lb.cli("set maxconn frontend fe 100") == "\n"
    assert lb.cli("set maxconn global 1000") == "\n"
    assert lb.cli("set server APP1/SRV2 health down") == "\n"
    assert state_rows(lb.cli("show servers state"))["SRV2"]["srv_op_state"] == "0"
    assert lb.cli("set server APP1/SRV2 health bogus") == "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n\n"
    assert lb.cli("set server APP1/SRV2 health up") == "\n"
    assert lb.cli("enable health APP1/SRV1") == "Health check was not configured on this server, cannot enable.\n\n"
    assert lb.cli("shutdown session 0x1234") == "No such session (use 'show sess').\n\n"
    with HttpConn(lb.port) as c:
        c.request("GET", "/")
        sess = wait_until(lambda: [l for l in lb.cli("show sess").split("\n") if l.startswith("0x")],
                          what="a session")
        sid = sess[0].split(":")[0]
        assert lb.cli(f"shutdown session {sid}") == "\n"
        assert c.peer_closed(5)
    assert lb.cli("shutdown sessions server APP1/SRV1") == "\n"
    assert lb.cli("disable server APP1/SRV1") == "\n"
    assert state_rows(lb.cli("show servers state"))["SRV1"]["srv_admin_state"] == "1"
    assert lb.cli("enable server APP1/SRV1") == "\n"


def test_add_and_del_server_under_load_fail_nothing(farm, sluice):
    """Issue 6: `add server` and `del server` while clients keep sending (new connections and
    keep-alive ones): not one request fails, and the new server takes its share."""
    import time
    apps, lb = start(farm, sluice, n=3)
    new = apps[2]
    stop = threading.Event()
    results: list = []

    def client(keepalive: bool):
        conn = None
        deadline = time.monotonic() + 20   # bounded in time and count
        for _ in range(3000):
            if stop.is_set() or time.monotonic() > deadline:
                break
            try:
                if keepalive:
                    conn = conn or HttpConn(lb.port)
                    r = conn.request("GET", "/")
                else:
                    r = http_get(lb.port, "/")
                results.append((r.status, r.served_by))
            except Exception as exc:  # noqa: BLE001 - recorded as a failure
                results.append((repr(exc), None))
                conn = None
        if conn:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in (True, True, False, False)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(results) >= 100, 10, "traffic before the change")
        assert lb.cli(f"add server APP1/SRV3 127.0.0.1:{new.port} cookie SRV3 check inter 100") == \
            "New server registered.\n\n"
        assert lb.cli("enable health APP1/SRV3") == "\n"
        assert lb.cli("set server APP1/SRV3 state ready") == "\n"
        wait_until(lambda: sum(1 for _, s in results if s == "SRV3") >= 50, 10, "SRV3 to take traffic")
        assert lb.cli("set server APP1/SRV3 state maint") == "\n"
        assert cli_wait(lb, "wait 10s srv-removable APP1/SRV3") == "Done.\n\n"
        assert lb.cli("del server APP1/SRV3") == "Server deleted.\n\n"
        mark = len(results)
        wait_until(lambda: len(results) >= mark + 100, 10, "traffic after the removal")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    failures = [r for r in results if r[0] != 200]
    assert not failures, failures[:5]
    assert all(s != "SRV3" for _, s in results[mark:])
