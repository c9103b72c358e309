#!/usr/bin/python3
"""Give the freshly bootstrapped Keystone what Magnum and the tests need.

Magnum's service user, the domain Magnum creates trustee users in, the test
users (demo and demo2 in project demo, alt in project alt) and a catalog
whose Heat, Nova, Glance, Neutron and Cinder entries (and Octavia's, with
OCTAVIA=1) lead to the project's Go stand-ins. Safe to run twice:
everything is looked up before it is made.

Run with Debian's /usr/bin/python3: the OpenStack libraries live there.
"""
import os
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client

AUTH_URL = "http://127.0.0.1:5000/v3"
PASSWORD = "secret"
HOST = "http://127.0.0.1"

CATALOG = [
    # (service name, type, URL): Keystone substitutes %(project_id)s.
    ("magnum", "container-infra", HOST + ":9511/v1"),
    ("heat", "orchestration", HOST + ":8004/v1/%(project_id)s"),
    ("nova", "compute", HOST + ":8774/v2.1"),
    ("glance", "image", HOST + ":9292"),
    ("neutron", "network", HOST + ":9696"),
    ("cinderv3", "volumev3", HOST + ":8776/v3/%(project_id)s"),
]
# The capi stack (OCTAVIA=1): the Octavia stand-in, which a Cluster API
# driver asks for a cluster's load balancers.
if os.environ.get("OCTAVIA"):
    CATALOG.append(("octavia", "load-balancer", HOST + ":9876"))


def named(items, name):
    for item in items:
        if item.name == name:
            return item
    return None


def main():
    auth = v3.Password(auth_url=AUTH_URL, username="admin", password=PASSWORD, project_name="admin",
                       user_domain_id="default", project_domain_id="default")
    ks = client.Client(session=session.Session(auth=auth))
    default = ks.domains.get("default")

    def project(name, domain=default):
        return named(ks.projects.list(domain=domain), name) or ks.projects.create(name=name, domain=domain)

    def user(name, domain=default, home=None):
        return named(ks.users.list(domain=domain), name) or ks.users.create(
            name=name, domain=domain, password=PASSWORD, default_project=home)

    def role(name):
        return named(ks.roles.list(), name) or ks.roles.create(name=name)

    admin, member = role("admin"), role("member")
    role("reader")

    service = project("service")
    ks.roles.grant(admin, user=user("magnum", home=service), project=service)

    # Magnum creates one trustee user per cluster in this domain.
    magnum_domain = named(ks.domains.list(), "magnum") or ks.domains.create(
        name="magnum", description="Trustee users of Magnum clusters")
    ks.roles.grant(admin, user=user("magnum_domain_admin", domain=magnum_domain), domain=magnum_domain)

    for user_name, project_name in (("demo", "demo"), ("demo2", "demo"), ("alt", "alt")):
        home = project(project_name)
        ks.roles.grant(member, user=user(user_name, home=home), project=home)

    services = {s.type: s for s in ks.services.list()}
    for name, typ, url in CATALOG:
        svc = services.get(typ) or ks.services.create(name=name, type=typ)
        have = {e.interface for e in ks.endpoints.list(service=svc)}
        for interface in ("public", "internal", "admin"):
            if interface not in have:
                ks.endpoints.create(service=svc, url=url, interface=interface, region="RegionOne")
    print("keystone: users, projects and catalog ready")


if __name__ == "__main__":
    sys.exit(main())
