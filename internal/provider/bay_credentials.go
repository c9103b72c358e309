package provider

import (
	"context"
	"crypto"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/kubeconfig"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

var (
	kubeconfigAttrTypes = map[string]attr.Type{
		"raw_config":                   types.StringType,
		"host":                         types.StringType,
		"cluster_ca_certificate":       types.StringType,
		"client_certificate":           types.StringType,
		"client_key":                   types.StringType,
		"client_certificate_not_after": types.StringType,
	}
	dockerTLSAttrTypes = map[string]attr.Type{
		"docker_host": types.StringType,
		"ca_pem":      types.StringType,
		"cert_pem":    types.StringType,
		"key_pem":     types.StringType,
		"tls_verify":  types.BoolType,
	}
)

type kubeconfigModel struct {
	RawConfig            types.String `tfsdk:"raw_config"`
	Host                 types.String `tfsdk:"host"`
	ClusterCACertificate types.String `tfsdk:"cluster_ca_certificate"`
	ClientCertificate    types.String `tfsdk:"client_certificate"`
	ClientKey            types.String `tfsdk:"client_key"`
	ClientCertNotAfter   types.String `tfsdk:"client_certificate_not_after"`
}

type dockerTLSModel struct {
	DockerHost types.String `tfsdk:"docker_host"`
	CAPEM      types.String `tfsdk:"ca_pem"`
	CertPEM    types.String `tfsdk:"cert_pem"`
	KeyPEM     types.String `tfsdk:"key_pem"`
	TLSVerify  types.Bool   `tfsdk:"tls_verify"`
}

// credentialSource is what a bay's credentials are made from. The resource
// reuses the certificate already in state while it stays valid; a data
// source has no state and signs only when asked.
type credentialSource struct {
	magnum *magnum.Client
	now    func() time.Time
	// withoutClientCert is magnum_bay's store_credentials = false: only the
	// endpoint and CA are filled, and nothing is signed.
	withoutClientCert bool
	// knownCA, when set, is the bay's CA as read before: fill uses it
	// instead of asking Magnum.
	knownCA string
	// key, when set, is a client key generated ahead (while a create
	// waited for Magnum); sign uses it instead of making one then.
	key *pendingKey
	// ahead, when set, is what a create read and signed while Magnum was
	// still building the bay; fill uses it instead of asking again.
	ahead *credentialsAhead
}

// credentialsAhead reads a new bay's CA and has its client certificate
// signed while Magnum still builds the bay. Magnum's conductor makes the
// bay's certificates before it creates the Heat stack, so once the bay
// shows a stack id both requests work; after Magnum reports the bay ready
// nothing is left to ask. On a real cloud these are the create's slowest
// requests after the wait (Magnum asks Keystone several times for each).
type credentialsAhead struct {
	key     *pendingKey
	mu      sync.Mutex
	started bool
	done    chan struct{}
	ca      string
	caErr   error
	cert    signed
}

func newCredentialsAhead(kind string) *credentialsAhead {
	return &credentialsAhead{key: newPendingKey(kind), done: make(chan struct{})}
}

// see starts the reads, once, from the first poll that shows the bay's
// stack id. Clouds without Heat (Cluster API drivers) show none: their
// credentials are read after the wait, as before.
func (a *credentialsAhead) see(ctx context.Context, m *magnum.Client, c *magnum.Cluster) {
	if a == nil || c.StackID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started = true
	cactx, sctx := ownLogFields(ctx, "read_ca_ahead"), ownLogFields(ctx, "sign_ahead")
	go func() {
		defer close(a.done)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.ca, a.caErr = m.GetCA(cactx, c.UUID, magnum.CATypeKubernetes)
		}()
		a.cert.cert, a.cert.key, a.cert.err = credentialSource{magnum: m, key: a.key}.sign(sctx, c.UUID)
		wg.Wait()
	}()
}

// result is the CA read ahead ("" if none or it failed) and the client
// certificate signed ahead (nil if none, it failed, or the CA read did).
func (a *credentialsAhead) result(ctx context.Context) (string, *signed) {
	if a == nil {
		return "", nil
	}
	a.mu.Lock()
	started := a.started
	a.mu.Unlock()
	if !started {
		return "", nil
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return "", nil
	}
	if a.caErr != nil || a.ca == "" {
		return "", nil
	}
	if a.cert.err != nil || a.cert.cert == "" {
		return a.ca, nil
	}
	return a.ca, &a.cert
}

// pendingKey is a client key being generated in the background. An RSA key
// takes tens of milliseconds of CPU, seconds on a loaded machine: a create
// starts it before waiting for the bay, so signing after Magnum reports the
// bay ready does not wait for it.
type pendingKey struct {
	done chan struct{}
	key  crypto.Signer
	pem  string
	err  error
}

func newPendingKey(kind string) *pendingKey {
	k := &pendingKey{done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.key, k.pem, k.err = kubeconfig.NewKey(kind)
	}()
	return k
}

// ownLogFields gives a goroutine its own copy of ctx's log fields, made
// before it starts. tflog masks a message's fields in place, in a map that
// contexts derived from one another share, so two goroutines logging under
// one context write the same map at once: the provider crashed with
// "concurrent map writes" in make bench's 200-bay apply before this.
func ownLogFields(ctx context.Context, task string) context.Context {
	return tflog.SetField(ctx, "task", task)
}

// signed is the outcome of a signing started before the CA was read.
type signed struct {
	cert, key string
	err       error
}

func (k *pendingKey) get(ctx context.Context) (crypto.Signer, string, error) {
	select {
	case <-k.done:
		return k.key, k.pem, k.err
	case <-ctx.Done():
		return nil, "", ctx.Err()
	}
}

// refreshCredentials fills ca_cert, kubeconfig and docker_tls, and signs a
// new client certificate only when the one in the model is missing, from
// another CA, for another address, or close to expiry. It reads the CA (one
// request) only when the bay changed since the CA in the model was read:
// meta.CARead holds the bay's fingerprint from then, and is updated here.
// Failures are warnings: the bay itself is fine, and the next refresh tries
// again.
func (r *bayResource) refreshCredentials(ctx context.Context, c *magnum.Cluster, meta *bayMeta, m *bayAttributes, store types.Bool, ahead *credentialsAhead) diag.Diagnostics {
	src := credentialSource{magnum: r.data.Magnum, now: time.Now, withoutClientCert: !storesCredentials(store), ahead: ahead}
	if ahead != nil {
		src.key = ahead.key
	}
	fp := caFingerprint(c, *meta)
	if meta.CARead != "" && meta.CARead == fp && !m.CACert.IsNull() && !m.CACert.IsUnknown() && m.CACert.ValueString() != "" {
		tflog.Debug(ctx, "the bay has not changed since its CA was read; reusing it", map[string]any{"bay": c.Name})
		src.knownCA = m.CACert.ValueString()
	}
	diags := src.fill(ctx, c, *meta, m, true)
	meta.CARead = ""
	if diags.WarningsCount() == 0 && !diags.HasError() && !m.CACert.IsNull() && !m.CACert.IsUnknown() {
		meta.CARead = fp
	}
	return diags
}

// caFingerprint identifies the bay as it was when its CA was read, in one
// of two forms that never compare equal to each other (a bay whose form
// changes reads its CA once more).
//
// Where the CA may change with no lasting trace (caMayChangeSilently), it
// includes updated_at: Magnum saves the cluster whenever it changes it, CA
// rotation included (the conductor sets UPDATE_IN_PROGRESS, then the
// outcome), so an unchanged updated_at means the CA read then still holds.
// Magnum's health check (service/periodic.py sync_cluster_health_status,
// every health_polling_interval, 60 s) saves every *_COMPLETE cluster
// whose monitor answers, though, so that form misses on almost every plan.
//
// Where the driver cannot rotate, a CA change always comes with a status
// change: ca_conductor.py rotate_ca_certificate refuses unless the status
// is *_COMPLETE, regenerates the certificates, and on the driver's
// NotSupported saves them with status UPDATE_FAILED and status_reason the
// error. That form leaves out updated_at (and the health fields the health
// check moves) and has status and status_reason instead. After a failed
// rotation, an out-of-band resize (Magnum resizes UPDATE_FAILED clusters)
// can bring the status and its reason back to what they were; node_count
// catches that unless the bay was resized back to its old size, and
// cluster_template_id catches an upgrade. What is left (a failed rotation
// and then several operations that restore every field, all between two
// plans) keeps the CA from before the rotation, which is still the one
// the cluster's API serves: the driver never rolled the new one out.
//
// A bay still CREATE_COMPLETE takes the second form whatever its driver:
// the conductor stores a rotated CA in the same save that sets
// UPDATE_IN_PROGRESS (or UPDATE_FAILED), and from there no driver leads
// back to a CREATE_* status (a Heat stack once updated never shows CREATE
// again; the Cluster API drivers move UPDATE_IN_PROGRESS to
// UPDATE_COMPLETE). So a bay read CREATE_COMPLETE both times kept its CA,
// and the health check's saves of a bay never changed since its create,
// the commonest bay, cost no CA read on any driver.
func caFingerprint(c *magnum.Cluster, meta bayMeta) string {
	if caMayChangeSilently(meta.Driver, meta.Distro) && c.Status != "CREATE_COMPLETE" {
		return c.UUID + " " + c.UpdatedAt.UTC().Format(time.RFC3339Nano) + " " + c.APIAddress
	}
	return fmt.Sprintf("v2 %s %s %q %s %s %d %d", c.UUID, c.Status, c.StatusReason, c.APIAddress, c.ClusterTemplateID, c.NodeCount, c.MasterCount)
}

// capiDrivers are magnum-cluster-api's entry points (0.16.0, its
// entry_points.txt). Its driver.py leaves rotate_ca_certificate commented
// out, so it inherits drivers/common/driver.py's NotSupported.
var capiDrivers = map[string]bool{
	"k8s_cluster_api_flatcar": true, "k8s_cluster_api_rockylinux": true,
	"k8s_cluster_api_ubuntu": true, "k8s_cluster_api_ubuntu_focal": true,
}

// heatDrivers are Magnum's in-tree drivers (15 to 20). All of them inherit
// drivers/heat/driver.py's rotate_ca_certificate, which raises
// NotSupported unless the baymodel's cluster_distro is "fedora-coreos".
var heatDrivers = map[string]bool{
	magnum.HeatDriverName: true, "k8s_fedora_atomic_v1": true, "k8s_coreos_v1": true,
	"k8s_fedora_ironic_v1": true, "swarm_fedora_atomic_v1": true, "swarm_fedora_atomic_v2": true,
	"mesos_ubuntu_v1": true,
}

// caMayChangeSilently reports whether a bay on the baymodel's driver and
// cluster_distro can have its CA changed and end in the status it had
// (see caFingerprint): false only when the driver provably cannot rotate a
// CA. An unreported driver ("": Zed, or an image with no magnum_driver) is
// picked by (server_type, cluster_distro, coe) among whatever drivers the
// cloud installed, any of which may rotate, so it counts as able to.
func caMayChangeSilently(driver, distro string) bool {
	switch {
	case capiDrivers[driver]:
		return false
	case heatDrivers[driver]:
		return distro == "" || distro == "fedora-coreos"
	default:
		return true
	}
}

func (s credentialSource) fill(ctx context.Context, c *magnum.Cluster, meta bayMeta, m *bayAttributes, reuse bool) diag.Diagnostics {
	var diags diag.Diagnostics
	isKube := meta.COE == "kubernetes"
	isSwarm := meta.COE == "swarm" || meta.COE == "swarm-mode"
	if !isKube {
		m.Kubeconfig = types.ObjectNull(kubeconfigAttrTypes)
	}
	if !isSwarm {
		m.DockerTLS = types.ObjectNull(dockerTLSAttrTypes)
	}
	if (!isKube && !isSwarm) || c.APIAddress == "" {
		// Not ready (or failed) yet: keep whatever an earlier read had.
		if m.CACert.IsUnknown() {
			m.CACert = types.StringNull()
		}
		return diags
	}

	current := s.currentCredentials(ctx, m, isKube)
	var aheadCA string
	var aheadCert *signed
	if !meta.TLSDisabled {
		aheadCA, aheadCert = s.ahead.result(ctx)
	}
	var early chan signed
	caPEM := ""
	switch {
	case meta.TLSDisabled:
	case s.knownCA != "":
		caPEM = s.knownCA
	case aheadCA != "":
		caPEM = aheadCA
	default:
		// Without a client certificate to keep (a create, or credentials
		// requested) a TLS bay gets a new one whatever its CA says, so the
		// signing need not wait for the CA read: both requests go out at
		// once.
		if !s.withoutClientCert && aheadCert == nil && (current.CertPEM == "" || !reuse) {
			early = make(chan signed, 1)
			sctx := ownLogFields(ctx, "sign")
			go func() {
				var r signed
				r.cert, r.key, r.err = s.sign(sctx, c.UUID)
				early <- r
			}()
		}
		pem, err := s.magnum.GetCA(ctx, c.UUID, magnum.CATypeKubernetes)
		if err != nil {
			diags.AddWarning(fmt.Sprintf("Could not read the CA of bay %q", c.Name), diagnose.CredentialsKept(err))
			return diags
		}
		caPEM = pem
	}
	m.CACert = nullableStr(caPEM)
	if s.withoutClientCert {
		return fillWithoutClientCert(ctx, c, caPEM, isSwarm, m)
	}

	certPEM, keyPEM := current.CertPEM, current.KeyPEM
	renew, why := kubeconfig.NeedsRenewal(current, caPEM, c.APIAddress, s.now(), kubeconfig.DefaultRenewBefore)
	if !reuse {
		renew, why = true, "credentials were requested"
	}
	if renew && caPEM != "" {
		tflog.Info(ctx, "signing a new client certificate for the bay", map[string]any{"bay": c.Name, "reason": why})
		var err error
		switch {
		case aheadCert != nil && aheadCA == caPEM:
			certPEM, keyPEM = aheadCert.cert, aheadCert.key
		case early != nil:
			r := <-early
			certPEM, keyPEM, err = r.cert, r.key, r.err
		default:
			certPEM, keyPEM, err = s.sign(ctx, c.UUID)
		}
		if err != nil {
			diags.AddWarning(fmt.Sprintf("Could not sign a client certificate for bay %q", c.Name), diagnose.CredentialsKept(err))
			return diags
		}
	}
	if caPEM == "" {
		certPEM, keyPEM = "", ""
	}

	if isSwarm {
		d := kubeconfig.DockerTLS(c.APIAddress, caPEM, certPEM, keyPEM)
		obj, dd := types.ObjectValueFrom(ctx, dockerTLSAttrTypes, dockerTLSModel{
			DockerHost: types.StringValue(d.Host),
			CAPEM:      nullableStr(d.CAPEM),
			CertPEM:    nullableStr(d.CertPEM),
			KeyPEM:     nullableStr(d.KeyPEM),
			TLSVerify:  types.BoolValue(d.TLSVerify),
		})
		diags.Append(dd...)
		m.DockerTLS = obj
		return diags
	}

	raw, err := kubeconfig.Render(kubeconfig.Params{
		ClusterName: c.Name, APIAddress: c.APIAddress, TLSDisabled: meta.TLSDisabled,
		CACertPEM: caPEM, ClientCertPEM: certPEM, ClientKeyPEM: keyPEM,
	})
	if err != nil {
		diags.AddWarning(fmt.Sprintf("Could not build a kubeconfig for bay %q", c.Name), err.Error())
		return diags
	}
	notAfter := types.StringNull()
	if certPEM != "" {
		if t, err := kubeconfig.CertNotAfter(certPEM); err == nil {
			notAfter = types.StringValue(t.UTC().Format(time.RFC3339))
		}
	}
	obj, dd := types.ObjectValueFrom(ctx, kubeconfigAttrTypes, kubeconfigModel{
		RawConfig:            types.StringValue(raw),
		Host:                 types.StringValue(c.APIAddress),
		ClusterCACertificate: nullableStr(caPEM),
		ClientCertificate:    nullableStr(certPEM),
		ClientKey:            nullableStr(keyPEM),
		ClientCertNotAfter:   notAfter,
	})
	diags.Append(dd...)
	m.Kubeconfig = obj
	return diags
}

func (s credentialSource) currentCredentials(ctx context.Context, m *bayAttributes, isKube bool) kubeconfig.Credentials {
	var cur kubeconfig.Credentials
	if isKube && !m.Kubeconfig.IsNull() && !m.Kubeconfig.IsUnknown() {
		var k kubeconfigModel
		if !m.Kubeconfig.As(ctx, &k, basetypes.ObjectAsOptions{}).HasError() {
			cur = kubeconfig.Credentials{CertPEM: k.ClientCertificate.ValueString(), KeyPEM: k.ClientKey.ValueString(),
				CAPEM: k.ClusterCACertificate.ValueString(), APIAddress: k.Host.ValueString()}
		}
	}
	if !isKube && !m.DockerTLS.IsNull() && !m.DockerTLS.IsUnknown() {
		var d dockerTLSModel
		if !m.DockerTLS.As(ctx, &d, basetypes.ObjectAsOptions{}).HasError() {
			cur = kubeconfig.Credentials{CertPEM: d.CertPEM.ValueString(), KeyPEM: d.KeyPEM.ValueString(),
				CAPEM: d.CAPEM.ValueString(), APIAddress: d.DockerHost.ValueString()}
		}
	}
	return cur
}

// sign makes a key and a CSR for CN=admin, O=system:masters (what
// magnumclient asks for) and has Magnum sign it with the bay's CA.
func (s credentialSource) sign(ctx context.Context, clusterID string) (certPEM, keyPEM string, err error) {
	var key crypto.Signer
	if s.key != nil {
		key, keyPEM, err = s.key.get(ctx)
	} else {
		key, keyPEM, err = kubeconfig.NewKey(kubeconfig.KeyRSA2048)
	}
	if err != nil {
		return "", "", err
	}
	csr, err := kubeconfig.NewCSR(key, kubeconfig.DefaultCommonName, kubeconfig.DefaultOrganization)
	if err != nil {
		return "", "", err
	}
	certPEM, err = s.magnum.SignCertificate(ctx, clusterID, csr)
	if err != nil {
		return "", "", err
	}
	return certPEM, keyPEM, nil
}
