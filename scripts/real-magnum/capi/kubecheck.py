"""Reads a bay's workload API with a kubeconfig: prints the version and
each node as "node NAME READY KUBELET". Runs with the chroot's python3."""
import base64
import json
import os
import ssl
import sys
import tempfile
import urllib.request

import yaml

cfg = yaml.safe_load(open(sys.argv[1]))
cluster = cfg["clusters"][0]["cluster"]
user = cfg["users"][0]["user"]
ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
# Magnum's certificates carry no key identifiers, which Python 3.13's
# strict default refuses; kubectl (Go) accepts them.
ctx.verify_flags &= ~ssl.VERIFY_X509_STRICT
with tempfile.TemporaryDirectory() as d:
    for name, key in (("c", "client-certificate-data"), ("k", "client-key-data")):
        with open(os.path.join(d, name), "wb") as f:
            f.write(base64.b64decode(user[key]))
    ctx.load_cert_chain(os.path.join(d, "c"), os.path.join(d, "k"))
    get = lambda p: json.load(urllib.request.urlopen(cluster["server"] + p, context=ctx, timeout=15))
    print("version", get("/version")["gitVersion"])
    for n in get("/api/v1/nodes")["items"]:
        ready = [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"]
        print("node", n["metadata"]["name"], ready[0] if ready else "?", n["status"]["nodeInfo"]["kubeletVersion"])
