package capi

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// recorder writes core/v1 Events the way client-go's EventRecorder does,
// because magnum-cluster-api builds a cluster's status_reason from the last
// Event of its Cluster and of its OpenStackCluster, in the API server's
// order, which is by name:
//
//   - an Event is named <object>.<creation time in hex nanoseconds>, so the
//     list is in the order events were first seen;
//   - a repeat of the same event (object, type, reason, message) bumps the
//     count and lastTimestamp of the first one instead of making a new
//     Event, so it does not move to the end of the list.
type recorder struct {
	k   *kube
	now func() time.Time

	mu   sync.Mutex
	seen map[string]recorded // key: uid, type, reason, message
}

type recorded struct {
	ns, name string
	count    int64
}

func newRecorder(k *kube, now func() time.Time) *recorder {
	return &recorder{k: k, now: now, seen: map[string]recorded{}}
}

// event records one event about o (of kind r) from component. Failures are
// ignored, as client-go drops events it cannot write.
func (rc *recorder) event(ctx context.Context, o obj, r resource, component, typ, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	key := o.uid() + "\x00" + typ + "\x00" + reason + "\x00" + msg
	now := rc.now().UTC()
	ts := now.Format(time.RFC3339)
	rc.mu.Lock()
	prev, ok := rc.seen[key]
	if ok {
		prev.count++
		rc.seen[key] = prev
	}
	rc.mu.Unlock()
	if ok {
		_, err := rc.k.mergePatch(ctx, rEvent, prev.ns, prev.name, map[string]any{"count": prev.count, "lastTimestamp": ts})
		if err == nil || !isNotFound(err) {
			return
		}
	}
	name := o.name() + "." + strconv.FormatInt(now.UnixNano(), 16)
	ev := obj{
		"metadata": map[string]any{"name": name, "namespace": o.namespace()},
		"involvedObject": map[string]any{
			"apiVersion": r.apiVersion(), "kind": r.kind, "name": o.name(), "namespace": o.namespace(),
			"uid": o.uid(), "resourceVersion": o.str("metadata", "resourceVersion"),
		},
		"type": typ, "reason": reason, "message": msg,
		"source":         map[string]any{"component": component},
		"firstTimestamp": ts, "lastTimestamp": ts, "count": 1,
		"reportingComponent": component, "reportingInstance": "",
	}
	if _, err := rc.k.create(ctx, rEvent, ev); err == nil {
		rc.mu.Lock()
		rc.seen[key] = recorded{ns: o.namespace(), name: name, count: 1}
		rc.mu.Unlock()
	}
}

// normal and warning are event with the type filled in.
func (rc *recorder) normal(ctx context.Context, o obj, r resource, component, reason, format string, args ...any) {
	rc.event(ctx, o, r, component, "Normal", reason, format, args...)
}

func (rc *recorder) warning(ctx context.Context, o obj, r resource, component, reason, format string, args ...any) {
	rc.event(ctx, o, r, component, "Warning", reason, format, args...)
}
