# magnum-api's WSGI application for the real stacks' uwsgi, with Magnum's
# driver map built before the first request. Driver.get_drivers() fills a
# class-level dict lazily and without a lock, so two threads of a fresh
# worker can meet it half built and refuse a supported image ("Cluster type
# (vm, fedora-coreos, kubernetes) not supported."), as a real Zed did once
# under the parallel acceptance suite.
exec(compile(open("/usr/bin/magnum-api-wsgi").read(), "/usr/bin/magnum-api-wsgi", "exec"))
from magnum.drivers.common import driver as _driver
try:
    _driver.Driver.get_drivers()
except Exception as e:
    # A driver that cannot load fails its own requests, as without this.
    _driver.Driver.definitions = None
    import sys
    print("magnum-api: driver map not built ahead: %r" % (e,), file=sys.stderr)
