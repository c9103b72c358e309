package diagnose

import (
	"strings"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

func TestRefusedCOE(t *testing.T) {
	tests := []struct {
		name    string
		message string
		max     magnum.Version
		summary string
		want    []string
		notWant []string
	}{
		{
			name: "Zed refuses mesos", message: "Requested COE type mesos is not supported.", max: magnum.Version{Major: 1, Minor: 10},
			summary: "This cloud does not accept the baymodel's COE",
			want:    []string{"COEs this cloud accepts (inferred): kubernetes, swarm, swarm-mode.", `"mesos" is not among them`, "up to 1.10", "Magnum has no API that lists its drivers"},
		},
		{
			name: "current Magnum refuses swarm on ubuntu", message: "Cluster type (vm, ubuntu, swarm) not supported.", max: magnum.Version{Major: 1, Minor: 14},
			want: []string{`server_type "vm" with coe "swarm"`, `os_distro property is "ubuntu"`, "accepts (inferred): kubernetes.", `"swarm" is not among them`, "up to 1.14"},
		},
		{
			name: "a supported COE on the wrong image", message: "Cluster type (vm, None, kubernetes) not supported.", max: magnum.Version{Major: 1, Minor: 10},
			summary: "No driver on this cloud accepts the baymodel's image for its COE",
			want:    []string{"the image has no os_distro property", "kubernetes, swarm, swarm-mode."},
			notWant: []string{"is not among them"},
		},
		{
			name: "an image Magnum could not read", message: "Cluster type (vm, Unset, kubernetes) not supported.", max: magnum.Version{Major: 1, Minor: 11},
			want:    []string{"Magnum could not find the image in Glance"},
			notWant: []string{"accepts (inferred)"},
		},
		{
			name: "master's request schema refuses swarm", message: "Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes", max: magnum.Version{Major: 1, Minor: 14},
			want: []string{"accepts (inferred): kubernetes.", `"swarm" is not among them`},
		},
		{
			name: "2025.1's schema refuses swarm", message: "Invalid input for field/attribute coe. Value: 'swarm'. Value should be one of: kubernetes", max: magnum.Version{Major: 1, Minor: 11},
			summary: "This cloud does not accept the baymodel's COE",
			want:    []string{"accepts (inferred): kubernetes.", `"swarm" is not among them`, "up to 1.11, which means a Magnum release from 18.0 (2024.1) to 20.0 (2025.1)"},
		},
		{
			name: "17.0's drivers refuse swarm on Fedora CoreOS", message: "Cluster type (vm, fedora-coreos, swarm) not supported.", max: magnum.Version{Major: 1, Minor: 11},
			summary: "No driver on this cloud accepts the baymodel's image for its COE",
			want:    []string{`os_distro property is "fedora-coreos"`, "from 17.0 (2023.2) to 20.0 (2025.1); only 17.0 still has swarm drivers", "on fedora-atomic"},
			notWant: []string{"is not among them"},
		},
		{name: "another error", message: "Network driver type docker is not supported, expecting a flannel/calico/unspecified network driver.", max: magnum.Version{Major: 1, Minor: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			summary, got := RefusedCOE(tt.message, tt.max)
			if tt.summary != "" && summary != tt.summary {
				t.Errorf("summary = %q, want %q", summary, tt.summary)
			}
			if len(tt.want) == 0 && (got != "" || summary != "") {
				t.Fatalf("RefusedCOE(%q) = %q, want nothing added", tt.message, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("RefusedCOE(%q) = %q, want it to contain %q", tt.message, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("RefusedCOE(%q) = %q, must not contain %q", tt.message, got, w)
				}
			}
		})
	}
}
