package provider

import (
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
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
