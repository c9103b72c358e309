package provider

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Values Magnum's API accepts, kept in one place so schema descriptions,
// validators and error messages never disagree.
var (
	coeValues           = []string{"kubernetes", "swarm", "swarm-mode", "mesos", "dcos"}
	serverTypeValues    = []string{"vm", "bm"}
	storageDriverValues = []string{"devicemapper", "overlay", "overlay2"}
	networkDriverValues = []string{"flannel", "calico", "cilium", "docker"}
	volumeDriverValues  = []string{"cinder", "rexray"}

	networkDriversByCOE = map[string][]string{
		"kubernetes": {"flannel", "calico", "cilium"},
		"swarm":      {"docker", "flannel"},
		"swarm-mode": {"docker", "flannel"},
	}
	volumeDriversByCOE = map[string][]string{
		"kubernetes": {"cinder"},
		"swarm":      {"rexray"},
		"swarm-mode": {"rexray"},
	}

	// Label keys end up in JSON-patch paths and Heat parameters.
	labelKeyRegexp = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
	// Magnum's own rule for cluster (bay) names.
	bayNameRegexp = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]*$`)
)

func contains(list []string, v string) bool { return slices.Contains(list, v) }

// mdValues renders allowed values for a MarkdownDescription.
func mdValues(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}

// ipListValidator accepts Magnum's dns_nameserver format: IP addresses
// separated by commas.
type ipListValidator struct{}

var _ validator.String = ipListValidator{}

func (ipListValidator) Description(context.Context) string {
	return "must be a comma-separated list of IP addresses"
}

func (v ipListValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (ipListValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkIPList(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid IP address list", err.Error())
	}
}

func checkIPList(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("expected one or more IP addresses separated by commas, got an empty string")
	}
	for _, part := range strings.Split(s, ",") {
		if net.ParseIP(strings.TrimSpace(part)) == nil {
			return fmt.Errorf("%q is not an IP address; expected IP addresses separated by commas, such as \"8.8.8.8,1.1.1.1\"", strings.TrimSpace(part))
		}
	}
	return nil
}
