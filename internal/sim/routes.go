package sim

import (
	"net/http"
	"strings"
)

// The route tables of the services the relay stands in for: Keystone's and
// Magnum's. The in-process services register their handlers from them, and
// the relay names the requests it forwards from the same patterns, so the
// request log and the route counters read the same whichever backend
// answers, without building a simulator to ask.

// identityRoute is one of Keystone's routes under /identity.
type identityRoute struct {
	pattern string
	handler func(*identity, http.ResponseWriter, *http.Request)
}

var identityRoutes = []identityRoute{
	{"GET /identity", (*identity).identityVersions},
	{"GET /identity/v3", (*identity).identityVersion},
	{"POST /identity/v3/auth/tokens", (*identity).issueToken},
	{"GET /identity/v3/auth/tokens", (*identity).checkToken},
	{"HEAD /identity/v3/auth/tokens", (*identity).checkToken},
	{"DELETE /identity/v3/auth/tokens", (*identity).revokeToken},
}

// magnumRoute is one of Magnum's authenticated v1 routes: its pattern
// below magnumPrefix, the lowest microversion that serves it (below it
// Magnum answers 406), and its handler.
type magnumRoute struct {
	pattern string
	minVer  apiVersion
	// bays marks the pre-1.2 faces (/v1/bays, /v1/baymodels), served only
	// by profiles that still have them.
	bays    bool
	handler func(*magnumService) magnumHandler
}

// Magnum's routes outside v1's authenticated API: version discovery and the
// catch-all that answers pecan's 404 or 405 for everything else.
const (
	magnumRootPattern     = "GET " + magnumPrefix
	magnumV1Pattern       = "GET " + magnumPrefix + "/v1"
	magnumCatchAllPattern = magnumPrefix + "/"
)

var magnumRoutes = concatRoutes(
	templateRoutes(clusterTemplateKind),
	templateRoutes(baymodelKind),
	[]magnumRoute{
		{"GET /v1/clusters", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.listClusters(false) }},
		{"GET /v1/clusters/detail", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.listClusters(true) }},
		{"POST /v1/clusters", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.createCluster }},
		{"GET /v1/clusters/{id}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.getCluster }},
		{"PATCH /v1/clusters/{id}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.patchCluster(false) }},
		{"DELETE /v1/clusters/{id}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.deleteCluster }},
		{"POST /v1/clusters/{id}/actions/resize", apiVersion{1, 7}, false, func(s *magnumService) magnumHandler { return s.resizeCluster }},
		{"POST /v1/clusters/{id}/actions/upgrade", apiVersion{1, 7}, false, func(s *magnumService) magnumHandler { return s.upgradeCluster }},

		{"GET /v1/clusters/{id}/nodegroups", apiVersion{1, 9}, false, func(s *magnumService) magnumHandler { return s.listNodegroups }},
		{"GET /v1/clusters/{id}/nodegroups/{ng}", apiVersion{1, 9}, false, func(s *magnumService) magnumHandler { return s.getNodegroup }},
		{"POST /v1/clusters/{id}/nodegroups", apiVersion{1, 9}, false, func(s *magnumService) magnumHandler { return s.createNodegroup }},
		{"PATCH /v1/clusters/{id}/nodegroups/{ng}", apiVersion{1, 9}, false, func(s *magnumService) magnumHandler { return s.patchNodegroup }},
		{"DELETE /v1/clusters/{id}/nodegroups/{ng}", apiVersion{1, 9}, false, func(s *magnumService) magnumHandler { return s.deleteNodegroup }},

		{"GET /v1/certificates/{id}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.getCertificate }},
		{"POST /v1/certificates", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.signCertificate }},
		{"PATCH /v1/certificates/{id}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.rotateCertificate }},

		{"GET /v1/quotas", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.listQuotas }},
		{"POST /v1/quotas", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.createQuota }},
		{"GET /v1/quotas/{project}/{resource}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.getQuota }},
		{"PATCH /v1/quotas/{project}/{resource}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.patchQuota }},
		{"DELETE /v1/quotas/{project}/{resource}", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.deleteQuota }},

		{"GET /v1/mservices", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.listServices }},
		{"GET /v1/stats", minAPIVersion, false, func(s *magnumService) magnumHandler { return s.stats }},

		{"GET /v1/bays", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.listBays(false) }},
		{"GET /v1/bays/detail", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.listBays(true) }},
		{"POST /v1/bays", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.createBay }},
		{"GET /v1/bays/{id}", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.getBay }},
		{"PATCH /v1/bays/{id}", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.patchCluster(true) }},
		{"DELETE /v1/bays/{id}", minAPIVersion, true, func(s *magnumService) magnumHandler { return s.deleteCluster }},
	},
)

// templateRoutes are the routes of one API face of the cluster_template
// table (/v1/clustertemplates, or /v1/baymodels in the zed profile).
func templateRoutes(k *templateKind) []magnumRoute {
	base := "/v1/" + k.collection
	return []magnumRoute{
		{"GET " + base, minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.listTemplates(k) }},
		{"GET " + base + "/detail", minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.listTemplates(k) }},
		{"POST " + base, minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.createTemplate(k) }},
		{"GET " + base + "/{id}", minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.getTemplate(k) }},
		{"PATCH " + base + "/{id}", minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.patchTemplate(k) }},
		{"DELETE " + base + "/{id}", minAPIVersion, k.bay, func(s *magnumService) magnumHandler { return s.deleteTemplate(k) }},
	}
}

func concatRoutes(parts ...[]magnumRoute) []magnumRoute {
	var out []magnumRoute
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// routeNames is a mux over every pattern of the tables above, its handlers
// never called: routeKey of a request it has matched names the route as the
// in-process services' middleware does. It holds the bay routes too, as the
// zed profile serves them.
func routeNames() *http.ServeMux {
	mux := http.NewServeMux()
	none := func(http.ResponseWriter, *http.Request) {}
	for _, rt := range identityRoutes {
		mux.HandleFunc(rt.pattern, none)
	}
	for _, p := range []string{magnumRootPattern, magnumV1Pattern, magnumCatchAllPattern} {
		mux.HandleFunc(p, none)
	}
	for _, rt := range magnumRoutes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		mux.HandleFunc(method+" "+magnumPrefix+path, none)
	}
	return mux
}
