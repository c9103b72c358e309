package magnum

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/containerinfra/v1/clustertemplates"
)

// ClusterTemplate is a Magnum cluster template (the provider's baymodel),
// with every field Zed returns plus master's driver.
type ClusterTemplate struct {
	UUID                string `json:"uuid"`
	Name                string `json:"name"`
	COE                 string `json:"coe"`
	ImageID             string `json:"image_id"`
	FlavorID            string `json:"flavor_id"`
	MasterFlavorID      string `json:"master_flavor_id"`
	DNSNameserver       string `json:"dns_nameserver"`
	KeypairID           string `json:"keypair_id"`
	ExternalNetworkID   string `json:"external_network_id"`
	FixedNetwork        string `json:"fixed_network"`
	FixedSubnet         string `json:"fixed_subnet"`
	NetworkDriver       string `json:"network_driver"`
	APIServerPort       *int   `json:"apiserver_port"`
	DockerVolumeSize    *int   `json:"docker_volume_size"`
	ClusterDistro       string `json:"cluster_distro"`
	HTTPProxy           string `json:"http_proxy"`
	HTTPSProxy          string `json:"https_proxy"`
	NoProxy             string `json:"no_proxy"`
	VolumeDriver        string `json:"volume_driver"`
	RegistryEnabled     bool   `json:"registry_enabled"`
	Labels              Labels `json:"labels"`
	TLSDisabled         bool   `json:"tls_disabled"`
	Public              bool   `json:"public"`
	ServerType          string `json:"server_type"`
	InsecureRegistry    string `json:"insecure_registry"`
	DockerStorageDriver string `json:"docker_storage_driver"`
	MasterLBEnabled     bool   `json:"master_lb_enabled"`
	FloatingIPEnabled   bool   `json:"floating_ip_enabled"`
	Hidden              bool   `json:"hidden"`
	Tags                string `json:"tags"`
	Driver              string `json:"driver"`
	// DriverReported says the template body has a "driver" key at all,
	// null or not: Magnum 18.0 (2024.1) and later report it (8a30ad34).
	DriverReported bool      `json:"-"`
	ProjectID      string    `json:"project_id"`
	UserID         string    `json:"user_id"`
	Links          []Link    `json:"links"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func (t *ClusterTemplate) UnmarshalJSON(b []byte) error {
	type plain ClusterTemplate
	w := struct {
		*plain
		CreatedAt Timestamp       `json:"created_at"`
		UpdatedAt Timestamp       `json:"updated_at"`
		Driver    json.RawMessage `json:"driver"`
	}{plain: (*plain)(t)}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	t.CreatedAt, t.UpdatedAt = w.CreatedAt.Time, w.UpdatedAt.Time
	// A RawMessage receives null too, so a present key is never empty.
	t.Driver, t.DriverReported = "", len(w.Driver) > 0
	if t.DriverReported {
		var d *string
		if err := json.Unmarshal(w.Driver, &d); err != nil {
			return fmt.Errorf("driver: %w", err)
		}
		if d != nil {
			t.Driver = *d
		}
	}
	return nil
}

// HeatDriverName is the in-tree Heat driver of Magnum 15 to 22, for
// Kubernetes on Fedora CoreOS images.
const HeatDriverName = "k8s_fedora_coreos_v1"

// RefusesInPlaceUpgrade reports whether the cloud that served this
// template refuses to upgrade its bays in place: Magnum 18.0 (2024.1) and
// later answer 400 "Upgrading a cluster that uses the Magnum Heat driver
// is not supported." for a bay on the Heat driver (2fd3059f). Such clouds
// report the template's "driver", which is the Heat driver's name or,
// when the image names none, null on a fedora-coreos image (the one
// os_distro the Heat driver claims).
func (t *ClusterTemplate) RefusesInPlaceUpgrade() bool {
	if !t.DriverReported {
		return false
	}
	return t.Driver == HeatDriverName || (t.Driver == "" && t.ClusterDistro == "fedora-coreos")
}

// ClusterTemplateCreate is the POST body. A nil pointer or map leaves the
// field out so Magnum applies its default; a pointer to a zero value sends
// the zero value. The same struct feeds DiffClusterTemplate.
type ClusterTemplateCreate struct {
	Name                *string           `json:"name,omitempty"`
	COE                 string            `json:"coe"`
	ImageID             string            `json:"image_id"`
	KeypairID           *string           `json:"keypair_id,omitempty"`
	FlavorID            *string           `json:"flavor_id,omitempty"`
	MasterFlavorID      *string           `json:"master_flavor_id,omitempty"`
	DNSNameserver       *string           `json:"dns_nameserver,omitempty"`
	ExternalNetworkID   *string           `json:"external_network_id,omitempty"`
	FixedNetwork        *string           `json:"fixed_network,omitempty"`
	FixedSubnet         *string           `json:"fixed_subnet,omitempty"`
	NetworkDriver       *string           `json:"network_driver,omitempty"`
	VolumeDriver        *string           `json:"volume_driver,omitempty"`
	DockerStorageDriver *string           `json:"docker_storage_driver,omitempty"`
	DockerVolumeSize    *int              `json:"docker_volume_size,omitempty"`
	APIServerPort       *int              `json:"apiserver_port,omitempty"`
	ClusterDistro       *string           `json:"cluster_distro,omitempty"`
	HTTPProxy           *string           `json:"http_proxy,omitempty"`
	HTTPSProxy          *string           `json:"https_proxy,omitempty"`
	NoProxy             *string           `json:"no_proxy,omitempty"`
	InsecureRegistry    *string           `json:"insecure_registry,omitempty"`
	Labels              map[string]string `json:"labels,omitempty"`
	RegistryEnabled     *bool             `json:"registry_enabled,omitempty"`
	TLSDisabled         *bool             `json:"tls_disabled,omitempty"`
	Public              *bool             `json:"public,omitempty"`
	Hidden              *bool             `json:"hidden,omitempty"`
	MasterLBEnabled     *bool             `json:"master_lb_enabled,omitempty"`
	FloatingIPEnabled   *bool             `json:"floating_ip_enabled,omitempty"`
	ServerType          *string           `json:"server_type,omitempty"`
	Tags                *string           `json:"tags,omitempty"`
	// Driver exists only on Magnum ≥ 18; Zed rejects it as unknown.
	Driver *string `json:"driver,omitempty"`
}

// CreateClusterTemplate POSTs a template (201). A template POST is not
// retried after an unknown outcome: two templates with one name make later
// lookups by name fail with 409.
func (c *Client) CreateClusterTemplate(ctx context.Context, opts ClusterTemplateCreate) (*ClusterTemplate, error) {
	var out ClusterTemplate
	err := c.call(ctx, request{method: http.MethodPost, url: c.url("clustertemplates"), out: &out, safety: unsafe,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clustertemplates.Create(ctx, sc, opts).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetClusterTemplate reads a template by UUID or name (a name shared by
// several templates gives 409).
func (c *Client) GetClusterTemplate(ctx context.Context, idOrName string) (*ClusterTemplate, error) {
	var out ClusterTemplate
	err := c.call(ctx, request{method: http.MethodGet, url: c.url("clustertemplates", idOrName), out: &out, safety: read,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clustertemplates.Get(ctx, sc, esc(idOrName)).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ListClusterTemplates returns every template visible to the project,
// following next links.
func (c *Client) ListClusterTemplates(ctx context.Context, opts ListOpts) ([]ClusterTemplate, error) {
	return listAll[ClusterTemplate](ctx, c, []string{"clustertemplates"}, "clustertemplates", opts)
}

// UpdateClusterTemplate applies JSON-patch ops (200 with the object). Ops
// built by DiffClusterTemplate are replace/remove only, so a repeat after a
// lost response does no harm and the request is retried like a GET.
func (c *Client) UpdateClusterTemplate(ctx context.Context, id string, ops []PatchOp) (*ClusterTemplate, error) {
	var out ClusterTemplate
	err := c.call(ctx, request{method: http.MethodPatch, url: c.url("clustertemplates", id), out: &out, safety: patchSafety(ops),
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clustertemplates.Update(ctx, sc, esc(id), ops).Result
		}})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteClusterTemplate deletes a template (204). A template still used by
// a cluster gives 400 "ClusterTemplate <uuid> is referenced by one or
// multiple clusters."
func (c *Client) DeleteClusterTemplate(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodDelete, url: c.url("clustertemplates", id), safety: idempotent,
		send: func(ctx context.Context, sc *gophercloud.ServiceClient) gophercloud.Result {
			return clustertemplates.Delete(ctx, sc, esc(id)).Result
		}})
}
