package sim

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The relay names requests from the route tables alone; the zed simulator
// must name every one of them the same way, or the request log and the
// counters would read differently behind a relay.
func TestRouteNamesMatchTheInProcessServices(t *testing.T) {
	ip, err := newInProcess(Options{Profile: "zed"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ip.close() })
	served := http.NewServeMux()
	ip.register(served)
	names := routeNames()

	wildcard := regexp.MustCompile(`\{[^}]+\}`)
	var patterns []string
	for _, rt := range identityRoutes {
		patterns = append(patterns, rt.pattern)
	}
	for _, rt := range magnumRoutes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		patterns = append(patterns, method+" "+magnumPrefix+path)
	}
	patterns = append(patterns, magnumRootPattern, magnumV1Pattern,
		"GET "+magnumPrefix+"/v1/nosuchthing", "POST "+magnumPrefix+"/v1/clusters/x/actions/nosuch")
	for _, p := range patterns {
		method, path, _ := strings.Cut(p, " ")
		r := httptest.NewRequest(method, wildcard.ReplaceAllString(path, "x1"), nil)
		_, want := served.Handler(r)
		_, got := names.Handler(r)
		if want == "" || got != want {
			t.Errorf("%s %s: relay names it %q, the simulator serves it as %q", method, r.URL.Path, got, want)
		}
	}
}
