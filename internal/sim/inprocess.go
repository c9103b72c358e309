package sim

import (
	"errors"
	"net/http"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/sim/kubeapi"
)

// inProcess is the simulated cloud: Keystone (identity), Magnum
// (magnumService), Heat (heat.Engine), the Nova, Glance and Neutron
// fixtures (openstackAPI) and the bays' Kubernetes APIs (kubeapi.Backend),
// each with its own state and lock, wired as the real services are: every
// API checks tokens with Keystone, and Magnum calls Heat as a client. It is
// the Sim's backend when the Sim simulates rather than relays.
type inProcess struct {
	keystone  *identity
	magnum    *magnumService
	heat      *heat.Engine // nil in profiles without orchestration
	openstack *openstackAPI
	kube      kubeapi.Backend
}

func newInProcess(opts Options) (*inProcess, error) {
	prof, err := lookupProfile(opts.Profile)
	if err != nil {
		return nil, err
	}
	fx, err := loadFixtures(opts.FixturesFile)
	if err != nil {
		return nil, err
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	kube, err := kubeapi.New(kubeapi.Options{Mode: opts.KubeAPI, BinDir: opts.KubeBinDir, Logf: kubeLogger(opts)})
	if err != nil {
		return nil, err
	}
	ip := &inProcess{
		keystone:  newIdentity(opts.TokenTTL, now, prof.orchestration),
		openstack: &openstackAPI{fx: fx},
		kube:      kube,
	}
	// A nil *heat.Engine must not become a non-nil interface.
	var hs orchestrator
	var hf stackFaults
	if prof.orchestration {
		ip.heat = heat.NewEngine(heat.Config{
			Now: now, MinuteLength: time.Minute, MaxServers: opts.MaxServersPerProject,
			CreateDuration: opts.HeatCreateDuration, UpdateDuration: opts.HeatUpdateDuration, DeleteDuration: opts.HeatDeleteDuration,
		})
		hs, hf = ip.heat, ip.heat
	}
	ip.magnum = newMagnumService(opts, prof, now, ip.keystone, fx, hs, hf, kube)
	return ip, nil
}

// register mounts every service under its path prefix (see the package
// comment).
func (ip *inProcess) register(mux *http.ServeMux) {
	ip.keystone.register(mux)
	ip.magnum.register(mux)
	ip.openstack.register(mux, ip.keystone.middleware)
	if ip.heat != nil {
		mux.Handle("/orchestration/", http.StripPrefix("/orchestration", &heat.Handler{
			Engine:    ip.heat,
			Authorize: ip.keystone.authorizeProject,
		}))
	}
}

func (ip *inProcess) close() error {
	return errors.Join(ip.magnum.closeClusters(), ip.kube.Close())
}

func (ip *inProcess) credentials(projectName, authURL string) Credentials {
	return ip.keystone.credentials(projectName, authURL)
}

func (ip *inProcess) clusters() []ClusterInfo             { return ip.magnum.clusters() }
func (ip *inProcess) clusterExists(id string) bool        { return ip.magnum.clusterExists(id) }
func (ip *inProcess) templates() []TemplateInfo           { return ip.magnum.templates() }
func (ip *inProcess) templateExists(id string) bool       { return ip.magnum.templateExists(id) }
func (ip *inProcess) stacks() int                         { return ip.magnum.stacks() }
func (ip *inProcess) injectFault(m string, f Fault) error { return ip.magnum.injectFault(m, f) }
func (ip *inProcess) setNodeCount(id string, n int) error { return ip.magnum.setNodeCount(id, n) }
func (ip *inProcess) setNodegroupCount(id, ng string, n int) error {
	return ip.magnum.setNodegroupCount(id, ng, n)
}
func (ip *inProcess) deleteClusterOutOfBand(id string) error {
	return ip.magnum.deleteClusterOutOfBand(id)
}
func (ip *inProcess) rotateCAOutOfBand(id string) error { return ip.magnum.rotateCAOutOfBand(id) }
func (ip *inProcess) saveHealthOutOfBand(id string) error {
	return ip.magnum.saveHealthOutOfBand(id)
}
func (ip *inProcess) issuedTokens() []string            { return ip.keystone.issuedTokens() }
func (ip *inProcess) expireToken(tok string)            { ip.keystone.revoke(tok) }
func (ip *inProcess) setPassword(user, pw string) error { return ip.keystone.setPassword(user, pw) }
func (ip *inProcess) upgradeRequests() []UpgradeRequest { return ip.magnum.upgradeRequests() }
func (ip *inProcess) operationTimeline(uuid string) (Timeline, bool) {
	return ip.magnum.cond.operationTimeline(uuid)
}
func (ip *inProcess) setConductorEpoch(t time.Time) error {
	return ip.magnum.cond.setConductorEpoch(t)
}
func (ip *inProcess) kubeAPI() (mode, description string) { return ip.kube.Mode(), ip.kube.Describe() }

func (ip *inProcess) kubeAPIsRunning() int {
	if r, ok := ip.kube.(interface{ Running() int }); ok {
		return r.Running()
	}
	return 0
}
