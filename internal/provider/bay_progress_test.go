package provider

import (
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

func TestCreateHint(t *testing.T) {
	res := func(statuses ...string) []heat.Resource {
		out := make([]heat.Resource, len(statuses))
		for i, s := range statuses {
			out[i] = heat.Resource{Status: s}
		}
		return out
	}
	tests := []struct {
		name string
		rs   []heat.Resource
		want waiter.Hint
	}{
		{"not started resources are not progress", res("INIT_COMPLETE", "INIT_COMPLETE", "CREATE_IN_PROGRESS"), waiter.Hint{Total: 3}},
		{"created resources count", res("CREATE_COMPLETE", "CREATE_COMPLETE", "CREATE_IN_PROGRESS", "INIT_COMPLETE"), waiter.Hint{Done: 2, Total: 4}},
		{"failures are reported apart", res("CREATE_COMPLETE", "CREATE_FAILED", "CREATE_FAILED"), waiter.Hint{Done: 1, Failed: 2, Total: 3}},
		{"an empty listing has no total", nil, waiter.Hint{}},
		// A group and its member template complete with the server inside;
		// a failure is counted wherever it shows.
		{"owners of nested stacks are not parts", []heat.Resource{
			{Name: "kube_masters", Status: "CREATE_IN_PROGRESS"},
			{Name: "0", ParentResource: "kube_masters", Status: "CREATE_IN_PROGRESS"},
			{Name: "kube-master", ParentResource: "0", Status: "CREATE_COMPLETE"},
			{Name: "network", Status: "CREATE_COMPLETE"},
		}, waiter.Hint{Done: 2, Total: 2}},
		{"a failed owner still counts as a failure", []heat.Resource{
			{Name: "kube_minions", Status: "CREATE_FAILED"},
			{Name: "0", ParentResource: "kube_minions", Status: "CREATE_FAILED"},
			{Name: "network", Status: "CREATE_COMPLETE"},
		}, waiter.Hint{Done: 1, Failed: 2, Total: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := createHint(tt.rs); got != tt.want {
				t.Errorf("createHint = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStackDeletionHint(t *testing.T) {
	gone := &magnum.Error{Service: "Heat", StatusCode: 404, Message: "The Stack (kube-x) could not be found."}
	down := &magnum.Error{Service: "Heat", StatusCode: 503, Message: "Service Unavailable"}
	stack := func(status string) *heat.Stack { return &heat.Stack{Status: status} }
	type read struct {
		st  *heat.Stack
		err error
	}
	tests := []struct {
		name string
		// reads are the wait's earlier reads; the last is judged.
		reads  []read
		want   waiter.Hint
		wantOK bool
	}{
		{"Heat deleting: busy", []read{{stack("DELETE_IN_PROGRESS"), nil}}, waiter.Hint{Total: 1}, true},
		{"gone: done", []read{{nil, gone}}, waiter.Hint{Done: 1, Total: 1}, true},
		{"soft-deleted: done", []read{{stack("DELETE_COMPLETE"), nil}}, waiter.Hint{Done: 1, Total: 1}, true},
		{"not begun yet: nothing to read", []read{{stack("CREATE_COMPLETE"), nil}}, waiter.Hint{NotYet: true}, true},
		{"an earlier attempt's failure, before Heat begins this one", []read{{stack("DELETE_FAILED"), nil}}, waiter.Hint{NotYet: true}, true},
		{"this attempt's failure", []read{{stack("DELETE_IN_PROGRESS"), nil}, {stack("DELETE_FAILED"), nil}}, waiter.Hint{Failed: 1, Total: 1}, true},
		{"Heat unreachable: no hint", []read{{nil, down}}, waiter.Hint{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d stackDeletion
			var got waiter.Hint
			var ok bool
			for _, r := range tt.reads {
				got, ok = d.hint(r.st, r.err)
			}
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("hint %+v (%t), want %+v (%t)", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
