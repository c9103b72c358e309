package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/magnumtf/terraform-provider-magnum/internal/diagnose"
	"github.com/magnumtf/terraform-provider-magnum/internal/heat"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
	"github.com/magnumtf/terraform-provider-magnum/internal/session"
	"github.com/magnumtf/terraform-provider-magnum/internal/waiter"
)

// ProviderData is what Configure hands to resources, data sources and
// ephemeral resources through their Configure methods.
type ProviderData struct {
	Magnum *magnum.Client
	// Heat is nil when the catalog has no orchestration service (CAPI-driver
	// clouds) or it could not be set up; it only enriches failure messages.
	Heat *heat.Client
	// ProviderClient is the authenticated session, for services not wrapped
	// above.
	ProviderClient *gophercloud.ProviderClient
	Region         string
	Availability   gophercloud.Availability
	// AppCredential: the session logs in with an application credential,
	// whose tokens Keystone may refuse to create the trust every new bay
	// needs; failure messages then say so.
	AppCredential bool
	// ProjectID and UserID are the token's. Magnum records them as the
	// owner of whatever this session creates; the provider adopts only
	// objects they own and refuses to manage a state recorded under
	// another project.
	ProjectID, UserID string

	// claims holds the ids of the objects resources of this provider
	// instance have created, adopted or read, so two resources never
	// take the same object.
	claims  *claimSet
	secrets []string

	// baymodels are the baymodels this process has just written or read,
	// for the bays it creates from them (see recentBaymodels).
	baymodels *recentBaymodels

	// phase is the Magnum conductor's sync phase, learnt by the bay waits
	// of this provider instance (see conductorPhase).
	phaseOnce sync.Once
	phase     *waiter.Phase
	// phaseCache keeps the phase between terraform commands; nil when off.
	phaseCache *phasecache.Store
}

// MaskSecrets returns ctx with the provider's credentials and any PEM private
// key masked in tflog output. Each RPC gets a fresh context from the
// framework, so resources call this at the top of every CRUD method that may
// log request or response data.
//
// It is safe on a nil *ProviderData (an unconfigured provider, as during
// validation or a plan with unknown provider arguments): the key masks still
// apply.
func (d *ProviderData) MaskSecrets(ctx context.Context) context.Context {
	if d == nil {
		return session.MaskSecrets(ctx, nil)
	}
	secrets := d.secrets
	if d.ProviderClient != nil {
		if tok := d.ProviderClient.Token(); tok != "" {
			secrets = append(secrets[:len(secrets):len(secrets)], tok)
		}
	}
	return session.MaskSecrets(ctx, secrets)
}

// providerDataFrom is the body of every Configure: the framework calls
// Configure before the provider is configured too (ProviderData nil), and
// anything but *ProviderData is a bug of ours. kind names the caller in
// the error, e.g. "Resource".
func providerDataFrom(pd any, kind string, diags *diag.Diagnostics) *ProviderData {
	if pd == nil {
		return nil
	}
	data, ok := pd.(*ProviderData)
	if !ok {
		diags.AddError("Unexpected "+kind+" Configure Type",
			fmt.Sprintf("Expected *provider.ProviderData, got %T. Please report this issue to the provider developers.", pd))
	}
	return data
}

// newClients builds the service clients on the authenticated session. Only
// Magnum is required; Heat is best effort.
func newClients(ctx context.Context, pc *gophercloud.ProviderClient, r session.Settings, retry magnum.RetryPolicy) (*ProviderData, diag.Diagnostics) {
	var diags diag.Diagnostics
	mc, err := magnum.NewClient(ctx, magnum.Config{
		ProviderClient:  pc,
		Region:          r.Region,
		Availability:    r.Availability,
		Endpoint:        r.ContainerInfraEndpoint,
		MaxMicroversion: r.MaxMicroversion,
		Retry:           retry,
	})
	if err != nil {
		summary, detail := diagnose.MagnumClientSetup(err, r.Region, string(r.Availability), session.OverrideContainerInfra)
		diags.AddAttributeError(path.Root("endpoint_overrides"), summary, detail)
		return nil, diags
	}
	hc, err := heat.New(pc, r.Region, r.Availability, r.OrchestrationEndpoint)
	switch {
	case errors.Is(err, heat.ErrNoHeat):
		tflog.Debug(ctx, "No orchestration endpoint in the catalog; Heat details will be missing from failure messages")
		hc = nil
	case err != nil:
		diags.AddWarning(diagnose.HeatUnavailable(err))
		hc = nil
	}
	projectID, userID := session.TokenOwner(pc)
	return &ProviderData{
		ProjectID:      projectID,
		UserID:         userID,
		claims:         newClaimSet(),
		baymodels:      newRecentBaymodels(),
		Magnum:         mc,
		Heat:           hc,
		ProviderClient: pc,
		Region:         r.Region,
		Availability:   r.Availability,
		AppCredential:  r.AuthOptions.ApplicationCredentialID != "" || r.AuthOptions.ApplicationCredentialName != "",
		secrets:        r.Secrets(),
	}, diags
}
