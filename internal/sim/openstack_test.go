package sim

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOpenStackServices(t *testing.T) {
	s := startSim(t, Options{})
	tok := login(t, s, "demo")
	count := func(r response, key string) int {
		l, _ := r.body[key].([]any)
		return len(l)
	}
	tests := []struct {
		path   string
		status int
		check  func(r response) bool
	}{
		{"/compute/v2.1/flavors/detail", 200, func(r response) bool { return count(r, "flavors") == 4 }},
		{"/compute/v2.1/flavors/ds1G", 200, func(r response) bool { return r.body["flavor"].(map[string]any)["ram"] == float64(1024) }},
		{"/compute/v2.1/flavors/nope", 404, nil},
		{"/compute/v2.1/os-keypairs/testkey", 200, func(r response) bool {
			return r.body["keypair"].(map[string]any)["user_id"] == s.Credentials("demo").UserID
		}},
		{"/compute/v2.1/os-keypairs/missingkp", 404, nil},
		{"/image/v2/images?name=fedora-coreos-35", 200, func(r response) bool {
			return count(r, "images") == 1 && r.body["images"].([]any)[0].(map[string]any)["os_distro"] == "fedora-coreos"
		}},
		{"/image/v2/images?name=nope", 200, func(r response) bool { return count(r, "images") == 0 }},
		{"/image/v2/images?os_distro=ubuntu", 200, func(r response) bool { return count(r, "images") == 1 }},
		{"/image/v2/images/1a2b3c4d-0004-4000-8000-000000000000", 200, func(r response) bool { return r.body["os_distro"] == nil && r.body["name"] == "no-distro-image" }},
		{"/image/v2/images/00000000-0000-0000-0000-000000000000", 404, nil},
		{"/image/v2/schemas/image", 200, func(r response) bool { return r.body["name"] == "image" }},
		{"/network/v2.0/networks?router:external=True&name=public", 200, func(r response) bool { return count(r, "networks") == 1 }},
		{"/network/v2.0/networks?router:external=true&name=private", 200, func(r response) bool { return count(r, "networks") == 0 }},
		{"/network/v2.0/networks?router:external=False", 200, func(r response) bool { return count(r, "networks") == 1 }},
		{"/network/v2.0/networks/nope", 404, nil},
	}
	for _, tc := range tests {
		r := call(t, "GET", s.URL()+tc.path, tok, nil)
		if r.status != tc.status || (tc.check != nil && !tc.check(r)) {
			t.Errorf("GET %s: %d %s", tc.path, r.status, r.raw)
		}
	}
}

func TestFixturesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fx.json")
	fx := `{"images":[{"id":"9e0d0000-0000-4000-8000-000000000001","name":"my-coreos","os_distro":"fedora-coreos"}],
		"flavors":[{"id":"42","name":"tiny"}],"networks":[{"id":"n1","name":"ext","router:external":true}]}`
	if err := os.WriteFile(path, []byte(fx), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startSim(t, Options{FixturesFile: path})
	m := newMagnum(t, s, "demo")
	body := map[string]any{"coe": "kubernetes", "image_id": "my-coreos", "flavor_id": "tiny", "external_network_id": "ext"}
	m.create("/v1/clustertemplates", body)
	wantMagnumError(t, m.do("POST", "/v1/clustertemplates", with(body, "flavor_id", "m1.small")), 400, "Unable to find flavor m1.small.")

	if err := os.WriteFile(path, []byte(`{"images":[{"name":"no-id"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Options{FixturesFile: path}); err == nil {
		t.Error("fixtures without ids accepted")
	}
	if _, err := Start(Options{Profile: "antelope"}); err == nil {
		t.Error("unknown profile accepted")
	}
}
