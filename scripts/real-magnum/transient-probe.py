#!/usr/bin/python3
"""Measure when a real Magnum answers something other than 200 while a
cluster is created and deleted: the transient 400 "Invalid input for
field/attribute master_count. Value: '0'" and any 404 before the
conductor has inserted the row.

Usage (Debian's python3; --db needs python3-psycopg2):
    transient-probe.py OPENRC [--runs N] [--zed|--capi] [--out FILE] [--db CONNINFO]
    transient-probe.py --table FILE...   the --db timelines of earlier runs as a table

With --capi the template is one magnum-cluster-api 0.16.0 builds (the
capi stack's Ubuntu image, m1.medium for both flavors, calico, a DNS
nameserver; internal/acctest's KubeModel), and a create may take minutes.

For each run it creates a cluster template once, then per run: POST a
cluster, poll until CREATE_COMPLETE, DELETE it, poll until every probe
has seen 404 for a second. Several threads poll at once, each over its own
keep-alive connection, so every route is sampled at its own period:

    one       GET /v1/clusters/{id}            (no microversion: 1.1, as gophercloud)
    one-1.10  GET /v1/clusters/{id}            (1.10)
    list      GET /v1/clusters                 (1.10)
    detail    GET /v1/clusters/detail          (1.10)
    bay       GET /v1/bays/{id}                (Zed only; node_count >= 1 there)
    ngs       GET /v1/clusters/{id}/nodegroups (1.10)

Every answer is written as one JSON line (t relative to the POST or the
DELETE that started the phase, route, status, cluster status or error
text), and a summary per run and phase lists each contiguous stretch of
non-200 answers per route: first and last time seen, how many answers,
the first error text. The run's conductor log lines are not read here:
compare the printed wall-clock times with magnum-conductor's log.

With --db (a libpq conninfo for Magnum's database, e.g. "host=127.0.0.1
port=55432 user=postgres dbname=magnum") a further thread reads the
cluster row and its nodegroups every 5 ms, read-only, and prints each
change of (status, master_count, node_count, nodegroups): the exact
moments the row exists without its nodegroups, which is what the API's
400 comes from, free of the API's own latency.
"""
import argparse
import http.client
import json
import multiprocessing
import sys
import threading
import time
import urllib.parse
import uuid

ROUTES = [
    # name, path template, microversion, period (s)
    ("one", "/v1/clusters/{id}", None, 0.05),
    ("one-1.10", "/v1/clusters/{id}", "1.10", 0.1),
    ("list", "/v1/clusters", "1.10", 0.1),
    ("detail", "/v1/clusters/detail", "1.10", 0.2),
    ("bay", "/v1/bays/{id}", None, 0.1),
    ("ngs", "/v1/clusters/{id}/nodegroups", "1.10", 0.2),
]


def read_openrc(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("export "):
                line = line[len("export "):]
            for part in line.split():
                if "=" in part:
                    k, v = part.split("=", 1)
                    env[k] = v.strip("'\"")
    return env


class Cloud:
    def __init__(self, env):
        self.env = env
        self.token, self.magnum = self._login()

    def _login(self):
        u = urllib.parse.urlparse(self.env["OS_AUTH_URL"])
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": self.env["OS_USERNAME"], "password": self.env["OS_PASSWORD"],
            "domain": {"name": self.env.get("OS_USER_DOMAIN_NAME", "Default")}}}},
            "scope": {"project": {"name": self.env.get("OS_PROJECT_NAME", "demo"),
                                  "domain": {"name": self.env.get("OS_PROJECT_DOMAIN_NAME", "Default")}}}}}
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        c.request("POST", u.path.rstrip("/") + "/auth/tokens", json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        doc = json.loads(r.read())
        if r.status != 201:
            sys.exit("login: %d %s" % (r.status, doc))
        for svc in doc["token"]["catalog"]:
            if svc["type"] == "container-infra":
                for ep in svc["endpoints"]:
                    if ep["interface"] == "public":
                        url = ep["url"]
                        if url.rstrip("/").endswith("/v1"):
                            url = url.rstrip("/")[:-3]
                        return r.getheader("X-Subject-Token"), urllib.parse.urlparse(url)
        sys.exit("no container-infra endpoint in the catalog")

    def conn(self):
        return http.client.HTTPConnection(self.magnum.hostname, self.magnum.port, timeout=60)

    def call(self, conn, method, path, body=None, mv="1.10"):
        h = {"X-Auth-Token": self.token, "Accept": "application/json"}
        if mv:
            h["OpenStack-API-Version"] = "container-infra " + mv
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body)
        conn.request(method, self.magnum.path.rstrip("/") + path, body, h)
        r = conn.getresponse()
        raw = r.read()
        try:
            doc = json.loads(raw) if raw else None
        except ValueError:
            doc = raw.decode(errors="replace")
        return r.status, doc


def summarize_answer(route, status, doc, cid):
    if status == 200:
        if route in ("list", "detail"):
            for c in (doc or {}).get("clusters", []):
                if c.get("uuid") == cid:
                    return "%s m%s n%s" % (c.get("status"), c.get("master_count"), c.get("node_count"))
            return "absent"
        if route == "ngs":
            return "%d ngs" % len((doc or {}).get("nodegroups", []))
        return "%s m%s n%s" % (doc.get("status"), doc.get("master_count"), doc.get("node_count"))
    if isinstance(doc, dict):
        try:
            return doc["errors"][0]["detail"][:160]
        except (KeyError, IndexError, TypeError):
            return json.dumps(doc)[:160]
    return str(doc)[:160]


class Prober:
    def __init__(self, cloud, name, zed, out):
        self.cloud, self.name, self.cid, self.out = cloud, name, None, out
        self.phase, self.t0 = "create", time.time()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.records = []
        self.routes = [r for r in ROUTES if zed or r[0] != "bay"]
        self.last404 = {}
        self.phase_starts = {}

    def set_phase(self, phase, t0):
        with self.lock:
            self.phase, self.t0 = phase, t0
            self.phase_starts[phase] = t0

    def run_route(self, name, path, mv, period):
        conn = self.cloud.conn()
        path = path.format(id=self.cid)
        while not self.stop.is_set():
            start = time.time()
            try:
                status, doc = self.cloud.call(conn, "GET", path, mv=mv)
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                conn = self.cloud.conn()
                status, doc = 0, str(e)
            end = time.time()
            with self.lock:
                rec = {"run": self.out["run"], "phase": self.phase, "t": round(start - self.t0, 3),
                       "dur": round(end - start, 3), "wall": round(start, 3), "route": name, "status": status,
                       "what": summarize_answer(name, status, doc, self.cid)}
                self.records.append(rec)
                if name != "list" and name != "detail" and status == 404 or \
                        name in ("list", "detail") and rec["what"] == "absent":
                    self.last404.setdefault((self.phase, name), end)
            time.sleep(max(0.0, period - (time.time() - start)))

    def start_db(self, db):
        """Samples the database by cluster name, so from before the POST."""
        self.db = None
        if db:
            # A process of its own: sharing the GIL with the HTTP pollers,
            # the sampler missed states that lasted 10 ms on a busy machine.
            self.db_queue, self.db_stop = multiprocessing.Queue(), multiprocessing.Event()
            self.db = multiprocessing.Process(target=sample_db, args=(db, self.name, self.db_queue, self.db_stop),
                                              daemon=True)
            self.db.start()

    def start(self, cid):
        self.cid = cid
        self.threads = [threading.Thread(target=self.run_route, args=r, daemon=True) for r in self.routes]
        for t in self.threads:
            t.start()

    def gone_everywhere(self, since):
        with self.lock:
            return all(self.last404.get(("delete", r[0]), 1e18) < since for r in self.routes)

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)
        if self.db:
            self.db_stop.set()
            phases = sorted(self.phase_starts.items(), key=lambda kv: kv[1])
            for wall, state in self.db_queue.get(timeout=60):
                phase, t0 = phases[0]
                for p, t in phases:
                    if wall >= t:
                        phase, t0 = p, t
                self.records.append({"run": self.out["run"], "phase": phase, "t": round(wall - t0, 4), "dur": 0,
                                     "wall": round(wall, 4), "route": "db", "status": 0, "what": state})
            self.db.join(timeout=60)


def sample_db(conninfo, name, queue, stop):
    """Every 5 ms, the cluster row and its nodegroups as the API would read
    them; sends the list of (wall time, state) changes when stopped."""
    import psycopg2
    conn = psycopg2.connect(conninfo)
    conn.autocommit = True
    cur = conn.cursor()
    prev, changes = None, []
    while not stop.is_set():
        t = time.time()
        cur.execute("SELECT c.status,"
                    " (SELECT coalesce(sum(node_count), 0) FROM nodegroup n WHERE n.cluster_id = c.uuid AND n.role = 'master'),"
                    " (SELECT coalesce(sum(node_count), 0) FROM nodegroup n WHERE n.cluster_id = c.uuid AND n.role <> 'master'),"
                    " (SELECT count(*) FROM nodegroup n WHERE n.cluster_id = c.uuid)"
                    " FROM cluster c WHERE c.name = %s", (name,))
        row = cur.fetchone()
        state = "absent" if row is None else "%s m%d n%d ngs%d" % row
        if state != prev:
            changes.append((t, state))
            prev = state
        time.sleep(max(0.0, 0.005 - (time.time() - t)))
    conn.close()
    queue.put(changes)


def stretches(records):
    """Contiguous runs of non-200 answers (or of a non-normal status) per route."""
    out = []
    by_route = {}
    for r in records:
        by_route.setdefault((r["phase"], r["route"]), []).append(r)
    for (phase, route), rs in sorted(by_route.items()):
        cur = None
        for r in rs:
            if route == "db":
                continue
            bad = r["status"] not in (200,)
            key = (r["status"], r["what"][:40] if bad else None)
            if bad and cur and cur["key"] == key:
                cur["last"], cur["n"] = r["t"], cur["n"] + 1
                continue
            if cur:
                out.append(cur)
                cur = None
            if bad:
                cur = {"phase": phase, "route": route, "status": r["status"], "first": r["t"], "last": r["t"],
                       "n": 1, "what": r["what"], "key": key, "wall": r["wall"]}
        if cur:
            out.append(cur)
    for s in out:
        del s["key"]
    return out


def table(paths):
    """A markdown row per run: when the row appeared after the POST and how
    long it lacked its nodegroups; when DELETE_COMPLETE was saved after the
    DELETE, how long each step of the teardown lasted, and which API reads
    got a 400."""
    print("| file | run | row inserted (s after POST) | m0 n0 (ms) | m1 n0 (ms) | DELETE_COMPLETE saved (s after DELETE)"
          " | DELETE_COMPLETE shown (ms) | master gone (ms) | both gone (ms) | 400 window (ms) | reads that got 400 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in paths:
        runs = {}
        with open(path) as f:
            for line in f:
                r = json.loads(line)
                runs.setdefault(r["run"], []).append(r)
        for run, recs in sorted(runs.items()):
            recs.sort(key=lambda r: r["wall"])

            def first(phase, pred):
                for r in recs:
                    if r["route"] == "db" and r["phase"] == phase and pred(r["what"]):
                        return r["t"]
                return None

            def ms(a, b):
                return "-" if a is None or b is None else "%d" % round((b - a) * 1000)

            ins = first("create", lambda w: w != "absent")
            m1 = first("create", lambda w: " m1 " in " " + w + " ")
            n1 = first("create", lambda w: "m1 n1" in w)
            dc = first("delete", lambda w: w.startswith("DELETE_COMPLETE"))
            m0 = first("delete", lambda w: " m0 " in " " + w + " ")
            m0n0 = first("delete", lambda w: "m0 n0" in w)
            gone = first("delete", lambda w: w == "absent")
            seen = sorted({"%s %s" % (r["phase"], r["route"]) for r in recs if r["status"] == 400})
            print("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                path.rsplit("/", 1)[-1], run, "-" if ins is None else "%.3f" % ins, ms(ins, m1), ms(m1, n1),
                "-" if dc is None else "%.3f" % dc, ms(dc, m0), "<5" if m0n0 == m0 else ms(m0, m0n0),
                ms(m0n0, gone), ms(m0, gone), ", ".join(seen)))


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        table(sys.argv[2:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("openrc")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="/dev/null")
    ap.add_argument("--zed", action="store_true", help="also probe /v1/bays (gone since Magnum 17)")
    ap.add_argument("--capi", action="store_true", help="a template for the capi stack's magnum-cluster-api driver")
    ap.add_argument("--image", help="image_id (default fedora-coreos-35, with --capi ubuntu-2204-kube-v1.26.11)")
    ap.add_argument("--db", help="libpq conninfo of Magnum's database, read every 5 ms")
    args = ap.parse_args()
    cloud = Cloud(read_openrc(args.openrc))
    ctl = cloud.conn()
    tag = uuid.uuid4().hex[:6]
    template = {
        "name": "probe-ct-" + tag, "coe": "kubernetes", "image_id": args.image or "fedora-coreos-35",
        "keypair_id": "testkey", "external_network_id": "public", "flavor_id": "m1.small",
        "master_flavor_id": "m1.small", "docker_volume_size": 5, "network_driver": "flannel",
        "labels": {"kube_tag": "v1.23.3-rancher1"}}
    if args.capi:
        # The driver boots the control plane on master_flavor_id, splits
        # dns_nameserver unguarded, and runs kube_tag's release, which must
        # be the image's.
        template.update({"image_id": args.image or "ubuntu-2204-kube-v1.26.11", "flavor_id": "m1.medium",
                         "master_flavor_id": "m1.medium", "network_driver": "calico",
                         "dns_nameserver": "8.8.8.8", "labels": {"kube_tag": "v1.26.11"}})
    st, ct = cloud.call(ctl, "POST", "/v1/clustertemplates", template)
    if st != 201:
        sys.exit("template: %d %s" % (st, ct))
    all_stretches = []
    try:
        with open(args.out, "a") as out:
            for run in range(args.runs):
                name = "probe%s-%d" % (tag, run)
                pr = Prober(cloud, name, args.zed, {"run": run})
                pr.start_db(args.db)
                time.sleep(0.5)
                t_post = time.time()
                st, doc = cloud.call(ctl, "POST", "/v1/clusters", {
                    "name": name, "cluster_template_id": ct["uuid"], "node_count": 1, "master_count": 1})
                t_post_done = time.time()
                if st != 202:
                    sys.exit("create: %d %s" % (st, doc))
                cid = doc["uuid"]
                pr.set_phase("create", t_post)
                pr.start(cid)
                deadline = time.time() + 600
                while time.time() < deadline:
                    st, c = cloud.call(ctl, "GET", "/v1/clusters/" + cid)
                    if st == 200 and c["status"] in ("CREATE_COMPLETE", "CREATE_FAILED"):
                        break
                    time.sleep(0.5)
                time.sleep(1)
                t_del = time.time()
                pr.set_phase("delete", t_del)
                st, doc = cloud.call(ctl, "DELETE", "/v1/clusters/" + cid)
                t_del_done = time.time()
                deadline = time.time() + 600
                while time.time() < deadline and not pr.gone_everywhere(time.time() - 1.0):
                    time.sleep(0.2)
                pr.finish()
                pr.records.sort(key=lambda r: r["wall"])
                for r in pr.records:
                    out.write(json.dumps(r) + "\n")
                ss = stretches(pr.records)
                all_stretches += [dict(s, run=run) for s in ss]
                print("run %d cluster %s: POST %.3f (answered in %.3fs), DELETE %.3f (%d, answered in %.3fs), %d answers"
                      % (run, cid, t_post, t_post_done - t_post, t_del, st, t_del_done - t_del, len(pr.records)))
                prev = {}
                for r in pr.records:
                    if r["route"] in ("one-1.10", "db") and (r["phase"], r["status"], r["what"]) != prev.get(r["route"]):
                        prev[r["route"]] = (r["phase"], r["status"], r["what"])
                        print("  %-6s %-8s t=%8.4f  %d %s" % (r["phase"], r["route"], r["t"], r["status"], r["what"][:60]))
                for s in ss:
                    print("  %-6s %-8s %3d  t=%7.3f..%7.3f  n=%-3d wall=%.3f  %s" % (
                        s["phase"], s["route"], s["status"], s["first"], s["last"], s["n"], s["wall"], s["what"]))
                sys.stdout.flush()
    finally:
        cloud.call(ctl, "DELETE", "/v1/clustertemplates/" + ct["uuid"])


if __name__ == "__main__":
    main()
