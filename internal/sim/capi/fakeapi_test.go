package capi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI is an object store behind the few REST verbs kube uses (get,
// list with a label selector, create, update, status update, merge patch,
// delete), with the API server semantics the controllers depend on:
// uid, resourceVersion conflicts, generation bumps on spec changes,
// deletionTimestamp while finalizers remain and removal once the last one
// goes. It knows nothing of Cluster API: the controllers under test do.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	objs  map[string]obj // by plural/namespace/name
	seq   int
	clock time.Time
	log   []string // "DELETE plural/name", "GONE plural/name", "CREATE plural/name"
	// writes counts every request but GET, answered or refused, by
	// "METHOD plural": what a controller costs the API server.
	writes map[string]int
}

type fakePath struct {
	plural, ns, name string
	status           bool
}

func parseFakePath(p string) (fakePath, bool) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case len(parts) >= 2 && parts[0] == "api":
		parts = parts[2:]
	case len(parts) >= 3 && parts[0] == "apis":
		parts = parts[3:]
	default:
		return fakePath{}, false
	}
	var fp fakePath
	if len(parts) >= 2 && parts[0] == "namespaces" {
		fp.ns, parts = parts[1], parts[2:]
	}
	if len(parts) == 0 || len(parts) > 3 {
		return fakePath{}, false
	}
	fp.plural = parts[0]
	if len(parts) > 1 {
		fp.name = parts[1]
	}
	if len(parts) == 3 {
		if parts[2] != "status" {
			return fakePath{}, false
		}
		fp.status = true
	}
	return fp, true
}

func (fp fakePath) key() string { return fp.plural + "/" + fp.ns + "/" + fp.name }

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{t: t, objs: map[string]obj{}, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) fail(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"kind": "Status", "status": "Failure", "reason": reason, "message": msg, "code": code})
}

func (f *fakeAPI) reply(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	fp, ok := parseFakePath(r.URL.Path)
	if !ok {
		f.fail(w, http.StatusNotFound, "NotFound", "no route "+r.URL.Path)
		return
	}
	var body obj
	if r.Body != nil && r.Method != http.MethodGet {
		_ = json.NewDecoder(r.Body).Decode(&body)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodGet {
		if f.writes == nil {
			f.writes = map[string]int{}
		}
		f.writes[r.Method+" "+fp.plural]++
	}
	switch {
	case r.Method == http.MethodGet && fp.name == "":
		f.reply(w, http.StatusOK, map[string]any{"items": f.listLocked(fp.plural, fp.ns, r.URL.Query().Get("labelSelector"))})
	case r.Method == http.MethodGet:
		o, ok := f.objs[fp.key()]
		if !ok {
			f.fail(w, http.StatusNotFound, "NotFound", fp.key()+" not found")
			return
		}
		f.reply(w, http.StatusOK, o)
	case r.Method == http.MethodPost:
		fp.name = body.name()
		if _, ok := f.objs[fp.key()]; ok {
			f.fail(w, http.StatusConflict, "AlreadyExists", fp.key()+" already exists")
			return
		}
		f.reply(w, http.StatusCreated, f.createLocked(fp, body))
	case r.Method == http.MethodPut:
		cur, ok := f.objs[fp.key()]
		if !ok {
			f.fail(w, http.StatusNotFound, "NotFound", fp.key()+" not found")
			return
		}
		if rv := body.str("metadata", "resourceVersion"); rv != "" && rv != cur.str("metadata", "resourceVersion") {
			f.fail(w, http.StatusConflict, "Conflict", "the object has been modified")
			return
		}
		next := clone(cur)
		if fp.status {
			next["status"] = clone(body["status"])
		} else {
			for k, v := range body {
				if k != "status" && k != "metadata" {
					next[k] = clone(v)
				}
			}
			meta := clone(body.m("metadata"))
			for _, k := range []string{"uid", "creationTimestamp", "deletionTimestamp", "generation", "resourceVersion"} {
				meta[k] = cur.get("metadata", k)
				if meta[k] == nil {
					delete(meta, k)
				}
			}
			next["metadata"] = meta
			if !jsonEqual(cur.get("spec"), next.get("spec")) {
				next.set(cur.generation()+1, "metadata", "generation")
			}
		}
		f.storeLocked(fp, next)
		f.reply(w, http.StatusOK, next)
	case r.Method == http.MethodPatch:
		cur, ok := f.objs[fp.key()]
		if !ok {
			f.fail(w, http.StatusNotFound, "NotFound", fp.key()+" not found")
			return
		}
		next := clone(cur)
		mergePatchInto(next, body)
		if !jsonEqual(cur.get("spec"), next.get("spec")) {
			next.set(cur.generation()+1, "metadata", "generation")
		}
		f.storeLocked(fp, next)
		f.reply(w, http.StatusOK, next)
	case r.Method == http.MethodDelete:
		cur, ok := f.objs[fp.key()]
		if !ok {
			f.fail(w, http.StatusNotFound, "NotFound", fp.key()+" not found")
			return
		}
		f.log = append(f.log, "DELETE "+fp.plural+"/"+fp.name)
		if len(cur.finalizers()) > 0 {
			if !cur.deleting() {
				cur.set(f.clock.Format(time.RFC3339), "metadata", "deletionTimestamp")
				f.bumpLocked(cur)
			}
		} else {
			delete(f.objs, fp.key())
			f.log = append(f.log, "GONE "+fp.plural+"/"+fp.name)
		}
		f.reply(w, http.StatusOK, map[string]any{"kind": "Status", "status": "Success"})
	default:
		f.fail(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
	}
}

func (f *fakeAPI) bumpLocked(o obj) {
	f.seq++
	o.set(fmt.Sprint(f.seq), "metadata", "resourceVersion")
}

// storeLocked keeps next, or removes it when it is being deleted and its
// last finalizer went.
func (f *fakeAPI) storeLocked(fp fakePath, next obj) {
	if next.deleting() && len(next.finalizers()) == 0 {
		delete(f.objs, fp.key())
		f.log = append(f.log, "GONE "+fp.plural+"/"+fp.name)
		return
	}
	f.bumpLocked(next)
	f.objs[fp.key()] = next
}

func (f *fakeAPI) createLocked(fp fakePath, body obj) obj {
	o := clone(body)
	f.seq++
	// One second apart, so creation order is the timestamps' order.
	f.clock = f.clock.Add(time.Second)
	o.set(fmt.Sprintf("uid-%d", f.seq), "metadata", "uid")
	o.set(f.clock.Format(time.RFC3339), "metadata", "creationTimestamp")
	o.set(int64(1), "metadata", "generation")
	if fp.ns != "" {
		o.set(fp.ns, "metadata", "namespace")
	}
	f.bumpLocked(o)
	f.objs[fp.key()] = o
	f.log = append(f.log, "CREATE "+fp.plural+"/"+fp.name)
	return o
}

func (f *fakeAPI) listLocked(plural, ns, sel string) []obj {
	out := []obj{}
	for k, o := range f.objs {
		if !strings.HasPrefix(k, plural+"/") || (ns != "" && o.namespace() != ns) || !matchSelector(o, sel) {
			continue
		}
		out = append(out, clone(o))
	}
	sort.Slice(out, func(i, j int) bool { return kobj(out[i]) < kobj(out[j]) })
	return out
}

func matchSelector(o obj, sel string) bool {
	if sel == "" {
		return true
	}
	labels := o.m("metadata", "labels")
	for _, term := range strings.Split(sel, ",") {
		k, v, hasValue := strings.Cut(term, "=")
		got, ok := labels[k]
		if !ok || (hasValue && got != v) {
			return false
		}
	}
	return true
}

func mergePatchInto(dst obj, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(dst, k)
			continue
		}
		if pm, ok := asMap(v); ok {
			dm, ok := asMap(dst[k])
			if !ok {
				dm = map[string]any{}
				dst[k] = dm
			}
			mergePatchInto(dm, pm)
			continue
		}
		dst[k] = clone(v)
	}
}

// put stores o as the test's own write (the part a controller not under
// test, or the workload cluster, plays).
func (f *fakeAPI) put(r resource, o obj) obj {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	o["apiVersion"], o["kind"] = r.apiVersion(), r.kind
	key := fakePath{plural: r.plural, ns: o.namespace(), name: o.name()}
	if cur, ok := f.objs[key.key()]; ok {
		for _, k := range []string{"uid", "creationTimestamp", "deletionTimestamp", "generation"} {
			if v := cur.get("metadata", k); v != nil {
				o.set(v, "metadata", k)
			}
		}
		f.storeLocked(key, clone(o))
		return f.objs[key.key()]
	}
	return f.createLocked(key, o)
}

// get is the stored object, or nil.
func (f *fakeAPI) get(r resource, ns, name string) obj {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objs[fakePath{plural: r.plural, ns: ns, name: name}.key()]
	if !ok {
		return nil
	}
	return clone(o)
}

func (f *fakeAPI) list(r resource, ns, sel string) []obj {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.listLocked(r.plural, ns, sel)
}

func (f *fakeAPI) events() []string {
	var out []string
	for _, e := range f.list(rEvent, "", "") {
		out = append(out, e.str("involvedObject", "kind")+" "+e.str("reason")+": "+e.str("message"))
	}
	return out
}

func (f *fakeAPI) writeCount(method string, r resource) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes[method+" "+r.plural]
}

func (f *fakeAPI) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

// newTestManagement is a Management whose controllers talk to a fakeAPI;
// nothing is started (no loop, no workload APIs, no webhook).
func newTestManagement(t *testing.T) (*Management, *fakeAPI) {
	t.Helper()
	f := newFakeAPI(t)
	k := &kube{base: f.srv.URL, hc: f.srv.Client()}
	m := &Management{
		opts: Options{Logf: func(string, ...any) {}, ServerBoot: time.Second, NodeJoin: time.Second},
		k:    k, rec: newRecorder(k, time.Now), os: newCloud(func(string, ...any) {}),
		wake: make(chan struct{}, 1), workloads: map[string]*workload{},
	}
	return m, f
}

// passes runs the given controllers over a fresh snapshot n times (each a
// bounded pass, as Management.run does), calling after each.
func passes(t *testing.T, m *Management, n int, each func(*state) error, after func(i int)) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		st, err := m.snapshot(ctx)
		if err != nil {
			t.Fatalf("snapshot: %v", err)
		}
		if err := each(st); err != nil && !isStatus(err, http.StatusConflict) && !isNotFound(err) {
			t.Fatalf("pass %d: %v", i, err)
		}
		if after != nil {
			after(i)
		}
	}
}
