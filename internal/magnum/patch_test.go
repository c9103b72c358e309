package magnum

import (
	"encoding/json"
	"testing"
)

func TestPythonDict(t *testing.T) {
	tests := []struct {
		in   map[string]string
		want string
	}{
		{nil, `{}`},
		{map[string]string{"kube_tag": "v1.23.3", "a": "b"}, `{'a': 'b', 'kube_tag': 'v1.23.3'}`},
		{map[string]string{"q": `it's`}, `{'q': 'it\'s'}`},
		{map[string]string{"p": `C:\dir`}, `{'p': 'C:\\dir'}`},
		{map[string]string{"m": "a\nb\tc\x01"}, `{'m': 'a\nb\tc\x01'}`},
		{map[string]string{"u": "héllo"}, `{'u': 'héllo'}`},
		{map[string]string{`k'ey`: `"dq"`}, `{'k\'ey': '"dq"'}`},
	}
	for _, tt := range tests {
		if got := PythonDict(tt.in); got != tt.want {
			t.Errorf("PythonDict(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDiffClusterTemplate(t *testing.T) {
	base := ClusterTemplateCreate{
		Name: ptr("ct"), COE: "kubernetes", ImageID: "img", HTTPProxy: ptr("http://p"), NetworkDriver: ptr("flannel"),
		MasterLBEnabled: ptr(false), DockerVolumeSize: ptr(5), Labels: map[string]string{"a": "1"},
	}
	tests := []struct {
		name   string
		change func(*ClusterTemplateCreate)
		want   string
	}{
		{"no change", func(*ClusterTemplateCreate) {}, `null`},
		{"rename", func(c *ClusterTemplateCreate) { c.Name = ptr("ct2") }, `[{"op":"replace","path":"/name","value":"ct2"}]`},
		{"unset proxy removes it", func(c *ClusterTemplateCreate) { c.HTTPProxy = nil }, `[{"op":"remove","path":"/http_proxy"}]`},
		{"unset mandatory attribute sends nothing", func(c *ClusterTemplateCreate) { c.NetworkDriver = nil }, `null`},
		{"bool is a JSON bool", func(c *ClusterTemplateCreate) { c.MasterLBEnabled = ptr(true) }, `[{"op":"replace","path":"/master_lb_enabled","value":true}]`},
		{"int stays an int", func(c *ClusterTemplateCreate) { c.DockerVolumeSize = ptr(10) }, `[{"op":"replace","path":"/docker_volume_size","value":10}]`},
		{"zero is sent, not dropped", func(c *ClusterTemplateCreate) { c.APIServerPort = ptr(0) }, `[{"op":"replace","path":"/apiserver_port","value":0}]`},
		{"empty string is sent", func(c *ClusterTemplateCreate) { c.HTTPProxy = ptr("") }, `[{"op":"replace","path":"/http_proxy","value":""}]`},
		{"labels as a Python dict string", func(c *ClusterTemplateCreate) { c.Labels = map[string]string{"a": "1", "b": "it's"} },
			`[{"op":"replace","path":"/labels","value":"{'a': '1', 'b': 'it\\'s'}"}]`},
		{"labels emptied", func(c *ClusterTemplateCreate) { c.Labels = nil }, `[{"op":"replace","path":"/labels","value":"{}"}]`},
		{"image change", func(c *ClusterTemplateCreate) { c.ImageID = "img2" }, `[{"op":"replace","path":"/image_id","value":"img2"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := base
			next.Labels = map[string]string{"a": "1"}
			tt.change(&next)
			ops := DiffClusterTemplate(base, next)
			got, _ := json.Marshal(ops)
			if string(got) != tt.want {
				t.Errorf("ops = %s\nwant  %s", got, tt.want)
			}
			if len(ops) > 0 && patchSafety(ops) != idempotent {
				t.Error("diff ops must be safe to repeat")
			}
		})
	}
}
