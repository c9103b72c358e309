package sim

import (
	"strings"
	"time"
)

// The Sim's test API (introspection, fault injection, out-of-band control)
// acts on a backend: the in-process services (inprocess.go) or a real
// cloud behind the relay (relay_backend.go). The exported methods below
// are the whole of that API, and each is one call to the backend.

// backend is what the test API needs of the cloud behind the listener.
type backend interface {
	// credentials are the user named like the project ("demo", "alt",
	// "admin"), with authURL as their AuthURL; zero for an unknown name.
	credentials(projectName, authURL string) Credentials

	// Introspection (inventory.go).
	clusters() []ClusterInfo
	clusterExists(id string) bool
	templates() []TemplateInfo
	templateExists(id string) bool
	stacks() int

	// Fault injection (faults.go).
	injectFault(clusterNameContains string, f Fault) error

	// Out-of-band control (outofband.go).
	setNodeCount(id string, n int) error
	setNodegroupCount(clusterID, nodegroup string, n int) error
	deleteClusterOutOfBand(id string) error
	rotateCAOutOfBand(id string) error
	saveHealthOutOfBand(id string) error

	// What only a simulated cloud can show or do; the relay answers
	// nothing or errRelayUnsupported.
	issuedTokens() []string
	// expireToken ends a token's life early (the expire-token HTTP fault).
	expireToken(token string)
	setPassword(userName, password string) error
	upgradeRequests() []UpgradeRequest
	operationTimeline(uuid string) (Timeline, bool)
	setConductorEpoch(t time.Time) error
	kubeAPI() (mode, description string)
	kubeAPIsRunning() int

	// close releases what the backend started: the bays' Kubernetes APIs
	// and their processes.
	close() error
}

// IsRelay reports whether s forwards to a real cloud (StartRelay) rather
// than simulating one.
func (s *Sim) IsRelay() bool {
	_, ok := s.backend.(*relay)
	return ok
}

// Credentials returns the credentials of the user named like the project
// ("demo", "alt" or "admin"). An unknown project gives zero Credentials.
func (s *Sim) Credentials(projectName string) Credentials {
	return s.backend.credentials(projectName, s.AuthURL())
}

// ExportLines returns shell lines that point the OpenStack CLI (and the
// provider's environment defaults) at the simulator as the project's user.
func (s *Sim) ExportLines(projectName string) []string {
	c := s.Credentials(projectName)
	if c.UserName == "" {
		return nil
	}
	kv := [][2]string{
		{"OS_AUTH_URL", c.AuthURL},
		{"OS_USERNAME", c.UserName},
		{"OS_PASSWORD", c.Password},
		{"OS_PROJECT_NAME", c.ProjectName},
		{"OS_USER_DOMAIN_NAME", c.UserDomainName},
		{"OS_PROJECT_DOMAIN_NAME", c.ProjectDomainName},
		{"OS_REGION_NAME", c.Region},
		{"OS_IDENTITY_API_VERSION", "3"},
		{"OS_INTERFACE", "public"},
	}
	out := make([]string, len(kv))
	for i, p := range kv {
		out[i] = "export " + p[0] + "=" + shellQuote(p[1])
	}
	return out
}

// Clusters lists every cluster in every project, oldest first.
func (s *Sim) Clusters() []ClusterInfo { return s.backend.clusters() }

// ClusterExists reports whether a cluster (or bay) row with this UUID is
// still present, for CheckDestroy.
func (s *Sim) ClusterExists(id string) bool { return s.backend.clusterExists(id) }

// Templates lists every cluster template in every project, oldest first,
// so a test can prove that nothing it made, even twice, outlives it.
func (s *Sim) Templates() []TemplateInfo { return s.backend.templates() }

// TemplateExists reports whether a cluster template (or baymodel, the same
// table) with this UUID exists in any project; for CheckDestroy.
func (s *Sim) TemplateExists(id string) bool { return s.backend.templateExists(id) }

// Stacks counts the Heat stacks still present in every project, including
// those being deleted, for no-orphan checks. It is 0 in the master profile.
func (s *Sim) Stacks() int { return s.backend.stacks() }

// InjectFault arms f for the next f.Action (CREATE by default) of any
// cluster whose name contains clusterNameContains, existing or not yet
// created, or of an extra nodegroup whose "<cluster>-<nodegroup>" does
// (on the Heat driver). Each armed fault is used once. Against a real cloud it arms the
// Heat stand-in, and panics when it cannot: tests arm faults before
// anything else, and without the stand-in the test cannot mean anything.
func (s *Sim) InjectFault(clusterNameContains string, f Fault) {
	if err := s.backend.injectFault(clusterNameContains, f); err != nil {
		panic(err)
	}
}

// SetNodeCount changes the default worker count as if someone had resized
// the cluster with another tool: the status becomes UPDATE_COMPLETE and
// updated_at moves, with no operation in between.
func (s *Sim) SetNodeCount(id string, n int) error { return s.backend.setNodeCount(id, n) }

// SetNodegroupCount changes a nodegroup's node_count as a cluster
// autoscaler would, with no operation in between.
func (s *Sim) SetNodegroupCount(clusterID, nodegroup string, n int) error {
	return s.backend.setNodegroupCount(clusterID, nodegroup, n)
}

// DeleteClusterOutOfBand removes a cluster at once, as if it had been
// deleted elsewhere; its stack is deleted in the background.
func (s *Sim) DeleteClusterOutOfBand(id string) error { return s.backend.deleteClusterOutOfBand(id) }

// RotateCA rotates the cluster's CA the way PATCH /v1/certificates does,
// including the resulting status change; the Kubernetes endpoint stops
// accepting client certificates from the old CA.
func (s *Sim) RotateCA(id string) error { return s.backend.rotateCAOutOfBand(id) }

// SaveHealth saves the cluster as Magnum's health check does every minute
// on a cluster whose monitor answers: healthy, with updated_at moved and
// nothing else changed.
func (s *Sim) SaveHealth(id string) error { return s.backend.saveHealthOutOfBand(id) }

// IssuedTokens returns the ID of every Keystone token the simulator has
// issued and still holds, expired ones included, sorted. Tests use it to
// check that no token a client was given ends up in a log or a state file.
// Revoked tokens are forgotten, and tokens expired for more than an hour are
// pruned when the next one is issued.
func (s *Sim) IssuedTokens() []string { return s.backend.issuedTokens() }

// SetPassword changes a user's password, so a test can use one that cannot
// be mistaken for an ordinary word when it searches a log for it.
func (s *Sim) SetPassword(userName, password string) error {
	return s.backend.setPassword(userName, password)
}

// Upgrades lists the upgrade actions Magnum accepted, oldest first, so a
// test can see options that leave no other trace in the simulator.
func (s *Sim) Upgrades() []UpgradeRequest { return s.backend.upgradeRequests() }

// OperationTimeline reports the milestones of the operation the cluster
// with this UUID is running now, assuming it succeeds. It answers false
// when there is no such cluster or it has no operation in flight (it
// settled already, or it will fail because of an injected fault).
func (s *Sim) OperationTimeline(uuid string) (Timeline, bool) {
	return s.backend.operationTimeline(uuid)
}

// SetConductorEpoch moves the conductor's one sync grid
// (Options.ConductorEpoch) to t + n×ConductorInterval. A real conductor's
// grid is fixed when it starts, so where an operation's end falls in its
// period is chance; a benchmark uses this to sample that chance evenly
// rather than take whatever its timing gives. What was already reported
// stays; operations in progress follow the new grid.
func (s *Sim) SetConductorEpoch(t time.Time) error { return s.backend.setConductorEpoch(t) }

// KubeAPI says what answers at bays' api_address: kubeapi.ModeReal or
// kubeapi.ModeFake, and a sentence for logs.
func (s *Sim) KubeAPI() (mode, description string) { return s.backend.kubeAPI() }

// KubeAPIsRunning counts the bays' real Kubernetes control planes that are
// still running, their processes included: a deleted bay's stop in the
// background. Always 0 with the hand-written API, which stops with its bay.
func (s *Sim) KubeAPIsRunning() int { return s.backend.kubeAPIsRunning() }

func shellQuote(v string) string {
	if v != "" && strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@%+=,") == "" {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
