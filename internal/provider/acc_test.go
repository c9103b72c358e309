package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/magnumtf/terraform-provider-magnum/internal/acctest"
	"github.com/magnumtf/terraform-provider-magnum/internal/magnum"
)

// testAccProtoV6ProviderFactories serve the provider in-process, so tests
// exercise this build and never download anything.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"magnum": providerserver.NewProtocol6WithError(newTestProvider()),
}

// testRetryPolicy gives every in-process test short backoffs: the retry
// decisions are the same, the sleeps are not worth waiting for.
// Retry-After is still honoured up to MaxRetryAfter.
var testRetryPolicy = magnum.RetryPolicy{BaseDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, MaxRetryAfter: 5 * time.Second}

// newTestProvider is the provider main.go serves, with testRetryPolicy.
func newTestProvider() provider.Provider {
	p := New("test")().(*MagnumProvider)
	p.retry = testRetryPolicy
	return p
}

// deleteWhenDone removes, when the test ends, a bay (if bayID is set) and
// then its baymodel that the test made through Magnum's API instead of
// Terraform. Against the simulator they vanish with it anyway; on a real
// cloud they would outlive the test, since deleting the test's Keystone
// domain leaves Magnum's rows behind. Objects already gone are fine.
func deleteWhenDone(t *testing.T, mc *magnum.Client, bayID, templateID string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), acctest.Bound(5*time.Minute))
		defer cancel()
		if bayID != "" {
			if err := mc.DeleteCluster(ctx, bayID); err != nil && !magnum.IsNotFound(err) {
				t.Errorf("cleaning up bay %s: %v", bayID, err)
				return
			}
			for {
				_, err := mc.GetCluster(ctx, bayID)
				if magnum.IsNotFound(err) {
					break
				}
				if ctx.Err() != nil {
					t.Errorf("cleaning up bay %s: still there after 5 minutes", bayID)
					return
				}
				time.Sleep(time.Second)
			}
		}
		if templateID != "" {
			if err := mc.DeleteClusterTemplate(ctx, templateID); err != nil && !magnum.IsNotFound(err) {
				t.Errorf("cleaning up baymodel %s: %v", templateID, err)
			}
		}
	})
}
