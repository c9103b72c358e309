package kubeapi

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// With an audit directory every bay's kube-apiserver gets the policy and a
// log of its own; without one it gets neither.
func TestAuditDirFlags(t *testing.T) {
	ca, err := pki.NewCA("kube-abcde", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		audit string
	}{{"with", filepath.Join(t.TempDir(), "audit")}, {"without", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := newReal(t.TempDir(), nil, tc.audit)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(r.dir) })
			b, err := newBay(r, "kube-abcde", "1", ca)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			args := b.apiserverArgs("http://127.0.0.1:2379", 6443)
			hasAudit := slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--audit-") })
			if tc.audit == "" {
				if hasAudit {
					t.Fatalf("audit flags without an audit directory: %q", args)
				}
				return
			}
			for _, want := range []string{
				"--audit-log-path=" + filepath.Join(tc.audit, "kube-abcde.audit.jsonl"),
				"--audit-policy-file=" + filepath.Join(tc.audit, auditPolicyFile),
				"--audit-log-format=json",
			} {
				if !slices.Contains(args, want) {
					t.Errorf("no %s in %q", want, args)
				}
			}
			policy, err := os.ReadFile(filepath.Join(tc.audit, auditPolicyFile))
			if err != nil {
				t.Fatal(err)
			}
			// Secrets and ConfigMaps hold keys and credentials: metadata only.
			if string(policy) != AuditPolicy || !strings.Contains(string(policy), "level: Metadata\n  resources: [{group: \"\", resources: [secrets, configmaps]}]") {
				t.Errorf("policy file:\n%s", policy)
			}
		})
	}
}
