package sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func startStandIns(t *testing.T) *StandIns {
	t.Helper()
	si, err := StartStandIns(StandInOptions{AnyPort: true, HeatCreateDuration: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = si.Close() })
	return si
}

// standInGet asks a stand-in the way Magnum does: with a Keystone token the
// stand-ins never look up.
func standInGet(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-Auth-Token", "gAAAAAB-any-keystone-token")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func standInPost(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestStandInsAnswerMagnumsLookups covers the calls Magnum 15 makes while
// validating a template and creating a bay, at the paths a real catalog
// points to.
func TestStandInsAnswerMagnumsLookups(t *testing.T) {
	si := startStandIns(t)
	cases := []struct {
		name, service, path string
		status              int
		contains            string
	}{
		{"image by name, with os_distro", StandInGlance, "/v2/images?name=fedora-coreos-35&limit=200", 200, `"os_distro":"fedora-coreos"`},
		{"image by id", StandInGlance, "/v2/images/1a2b3c4d-0002-4000-8000-000000000035", 200, `"name":"fedora-coreos-35"`},
		{"image schema for glanceclient", StandInGlance, "/v2/schemas/image", 200, `"additionalProperties"`},
		{"flavors", StandInNova, "/v2.1/flavors/detail", 200, `"name":"m1.small"`},
		{"the fixtures' keypair", StandInNova, "/v2.1/os-keypairs/testkey", 200, `"name":"testkey"`},
		{"a keypair Nova does not have", StandInNova, "/v2.1/os-keypairs/kp1", 404, "Keypair kp1 not found"},
		{"missing keypair", StandInNova, "/v2.1/os-keypairs/missingkp", 404, "Keypair missingkp not found"},
		{"external networks", StandInNeutron, "/v2.0/networks?name=public&router%3Aexternal=True", 200, `"name":"public"`},
		{"no such external network", StandInNeutron, "/v2.0/networks?name=private&router%3Aexternal=True", 200, `"networks":[]`},
		{"volume types of a project", StandInCinder, "/v3/4a7c1e2f/types", 200, `"name":"standard"`},
		{"unmodelled call", StandInNova, "/v2.1/os-hypervisors", 404, "serves no API at GET /v2.1/os-hypervisors"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := standInGet(t, si.URL(tc.service)+tc.path)
			if code != tc.status || !strings.Contains(body, tc.contains) {
				t.Errorf("GET %s: %d %s; want %d with %s", tc.path, code, body, tc.status, tc.contains)
			}
		})
	}
}

func TestStandInDiscoveryHandsOutURLsOnItself(t *testing.T) {
	si := startStandIns(t)
	code, url, _ := standInGet(t, si.URL(StandInDiscovery)+"/new?size=3")
	if code != 200 || !strings.HasPrefix(url, si.URL(StandInDiscovery)+"/discovery/") {
		t.Fatalf("GET /new: %d %q", code, url)
	}
	if code, body, _ := standInGet(t, url+"/_config/size"); code != 200 || !strings.Contains(body, `"value":"3"`) {
		t.Errorf("size lookup: %d %s", code, body)
	}
	if code, _, _ := standInGet(t, si.URL(StandInDiscovery)+"/new?size=zero"); code != 400 {
		t.Errorf("GET /new?size=zero: %d, want 400", code)
	}
}

// waitStack polls the Heat stand-in, as Magnum's conductor does, until the
// stack leaves IN_PROGRESS (bounded).
func waitStack(t *testing.T, si *StandIns, project, id string) map[string]any {
	t.Helper()
	for range 200 {
		code, body, hdr := standInGet(t, si.URL(StandInHeat)+"/v1/"+project+"/stacks/"+id)
		if code != http.StatusFound {
			t.Fatalf("GET stack by id: %d %s", code, body)
		}
		_, body, _ = standInGet(t, hdr.Get("Location"))
		var doc struct{ Stack map[string]any }
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatal(err)
		}
		if st, _ := doc.Stack["stack_status"].(string); !strings.HasSuffix(st, "_IN_PROGRESS") {
			return doc.Stack
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("stack still in progress after 2s")
	return nil
}

func createStack(t *testing.T, si *StandIns, project, name string) string {
	t.Helper()
	code, out := standInPost(t, si.URL(StandInHeat)+"/v1/"+project+"/stacks", map[string]any{
		"stack_name": name, "template": map[string]any{"heat_template_version": "queens"},
		"parameters": map[string]any{"number_of_minions": 2, "kube_tag": "v1.23.3-rancher1"},
	})
	st, _ := out["stack"].(map[string]any)
	id, _ := st["id"].(string)
	if code != http.StatusCreated || id == "" {
		t.Fatalf("POST stacks %s: %d %v", name, code, out)
	}
	return id
}

// TestStandInHeat checks what Magnum's poller needs from Heat: every
// parameter (kube_version above all) and the outputs of a complete stack,
// and a CREATE_FAILED with failed resources for stacks named like "fail".
func TestStandInHeat(t *testing.T) {
	si := startStandIns(t)
	ok := waitStack(t, si, "p1", createStack(t, si, "p1", "bay-ok-abc123"))
	params, _ := ok["parameters"].(map[string]any)
	if ok["stack_status"] != "CREATE_COMPLETE" || params["kube_version"] != "v1.23.3-rancher1" {
		t.Errorf("complete stack: status %v kube_version %v", ok["stack_status"], params["kube_version"])
	}
	outputs, _ := json.Marshal(ok["outputs"])
	for _, key := range []string{"api_address", "kube_masters", "kube_minions", "kube_minions_private"} {
		if !strings.Contains(string(outputs), `"`+key+`"`) {
			t.Errorf("outputs lack %s: %s", key, outputs)
		}
	}

	// Adding a nodegroup, Magnum reads the cluster stack's network and
	// security group resources.
	_, body, _ := standInGet(t, si.URL(StandInHeat)+"/v1/p1/stacks/bay-ok-abc123/"+ok["id"].(string)+"/resources/secgroup_kube_minion")
	if !strings.Contains(body, `"attributes":{"id":"`) {
		t.Errorf("secgroup_kube_minion has no id attribute: %s", body)
	}
	_, body, _ = standInGet(t, si.URL(StandInHeat)+"/v1/p1/stacks/bay-ok-abc123/"+ok["id"].(string)+"/resources/network")
	if !strings.Contains(body, `"fixed_network"`) || !strings.Contains(body, `"fixed_subnet"`) {
		t.Errorf("network has no fixed_network/fixed_subnet attributes: %s", body)
	}

	failed := waitStack(t, si, "p1", createStack(t, si, "p1", "bay-fail-abc123"))
	if failed["stack_status"] != "CREATE_FAILED" || !strings.Contains(failed["stack_status_reason"].(string), "No valid host was found") {
		t.Errorf("failing stack: %v %v", failed["stack_status"], failed["stack_status_reason"])
	}
	_, body, _ = standInGet(t, si.URL(StandInHeat)+"/v1/p1/stacks/bay-fail-abc123/"+failed["id"].(string)+"/resources?status=FAILED&nested_depth=2")
	if !strings.Contains(body, `"resource_type":"OS::Nova::Server"`) {
		t.Errorf("failed resources of a failing stack lack the server: %s", body)
	}
}

// TestStandInFaultsAreScopedToProjects arms a fault the way the relay
// does; a stack of the same name in another project is left alone, and a
// fault is used once.
func TestStandInFaultsAreScopedToProjects(t *testing.T) {
	si := startStandIns(t)
	code, _ := standInPost(t, si.URL(StandInHeat)+"/_sim/faults", map[string]any{
		"cluster_name_contains": "Doomed", "projects": []string{"p1"}, "action": "CREATE", "reason": "out of cores"})
	if code != http.StatusCreated {
		t.Fatalf("arming: %d", code)
	}
	cases := []struct {
		project, name, want string
	}{
		{"p2", "doomed-aaa", "CREATE_COMPLETE"},
		{"p1", "doomed-bbb", "CREATE_FAILED"},
		{"p1", "doomed-ccc", "CREATE_COMPLETE"},
	}
	for _, tc := range cases {
		st := waitStack(t, si, tc.project, createStack(t, si, tc.project, tc.name))
		if st["stack_status"] != tc.want {
			t.Errorf("%s in %s: %v (%v), want %s", tc.name, tc.project, st["stack_status"], st["stack_status_reason"], tc.want)
		}
	}
	if code, _ := standInPost(t, si.URL(StandInHeat)+"/_sim/faults", map[string]any{"cluster_name_contains": "x", "action": "EXPLODE"}); code != http.StatusBadRequest {
		t.Errorf("unknown action: %d, want 400", code)
	}
}

func TestStandInsRefuseABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = StartStandIns(StandInOptions{Ports: StandInPorts{Heat: port}})
	if err == nil || !strings.Contains(err.Error(), "heat stand-in") || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("StartStandIns on a busy Heat port: %v, want an error naming the stand-in and the port", err)
	}
}
