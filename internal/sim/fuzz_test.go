package sim

import (
	"net/http"
	"testing"
	"unicode/utf8"

	magnumapi "github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// Label strings as magnumclient and the provider send them (from the
// captures), and the odd corners of Python's literal syntax.
var pyLiteralSeeds = []string{
	`{'kube_tag': 'v1.23.3-rancher1', 'auto_healing_enabled': 'True'}`,
	`{'a': 'it\'s', "b": "x\"y", 'c': '\\n'}`,
	`{}`, `{'k': None}`, `{'k': True, 'n': 5, 'f': 1.5e3}`, `[1, (2, 3), {4}]`,
	`{'a': 'b',}`, `{'a' 'b'}`, `"unterminated`, `{'a': {'b': ['c']}}`, `-0x1F`, `'\x41\u00e9\N{DASH}'`,
}

func FuzzPyLiteralEval(f *testing.F) {
	for _, s := range pyLiteralSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		v, err := pyLiteralEval(src)
		if err != nil {
			return
		}
		// Whatever parsed must render and render again the same way.
		r := pyRepr(v)
		again, err := pyLiteralEval(r)
		if err != nil {
			t.Fatalf("repr %q of parsed %q does not parse: %v", r, src, err)
		}
		if pyRepr(again) != r {
			t.Fatalf("repr is not stable: %q then %q", r, pyRepr(again))
		}
	})
}

// FuzzPythonDictRoundTrip proves the provider's label encoder and the
// simulator's (Magnum's) ast.literal_eval agree on every string.
func FuzzPythonDictRoundTrip(f *testing.F) {
	f.Add("kube_tag", "v1.23.3-rancher1", "note", "it's \"quoted\"\n")
	f.Add("", "", "\\", "\x00\t\r")
	f.Add("é", "日本", "a'b", "\\'")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		for _, s := range []string{k1, v1, k2, v2} {
			if !utf8.ValidString(s) {
				t.Skip("Terraform strings are always valid UTF-8")
			}
		}
		in := map[string]string{k1: v1, k2: v2}
		lit := magnumapi.PythonDict(in)
		parsed, err := pyLiteralEval(lit)
		if err != nil {
			t.Fatalf("PythonDict(%q) = %s, which Magnum cannot read: %v", in, lit, err)
		}
		d, ok := parsed.(*pyDict)
		if !ok || d.Len() != len(in) {
			t.Fatalf("PythonDict(%q) = %s read back as %v", in, lit, parsed)
		}
		for k, want := range in {
			got, ok := d.Get(k)
			if !ok || got != want {
				t.Fatalf("PythonDict(%q) = %s: key %q reads back as %#v", in, lit, k, got)
			}
		}
	})
}

func FuzzNegotiateHeader(f *testing.F) {
	for _, s := range []string{"container-infra 1.10", "container-infra latest", "Container-Infra 1.1", "container-infra 1.x", "compute 2.1", "", "container-infra", "container-infra  1.4  ", "container-infra 1.99999999999999999999"} {
		f.Add(s)
	}
	prof, err := lookupProfile("zed")
	if err != nil {
		f.Fatal(err)
	}
	s := &magnumService{profile: prof}
	f.Fuzz(func(t *testing.T, header string) {
		r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1/container-infra/v1/clusters", nil)
		if err != nil {
			t.Skip()
		}
		r.Header.Set("OpenStack-API-Version", header)
		v, malformed := s.negotiate(r)
		if !malformed && (v.major < 0 || v.minor < 0) {
			t.Fatalf("negotiate(%q) = %v", header, v)
		}
	})
}

func FuzzParseHTTPFault(f *testing.F) {
	for _, s := range []string{"POST /v1/clusters|drop-response", "GET /v1/clusters/{id}|status|status=503|retry_after=1|skip=1|times=2", "/^DELETE /|reset", "x|stall|delay=2s", "|", "a|b|c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		hf, err := ParseHTTPFault(spec)
		if err == nil {
			if verr := hf.Validate(); verr != nil {
				t.Fatalf("ParseHTTPFault(%q) accepted an invalid fault: %v", spec, verr)
			}
		}
	})
}
