package provider

import (
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/mapvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The baymodel schema, shared by the magnum_baymodel resource and the
// magnum_baymodel data source (which reads it as computed attributes).

func baymodelResourceOnlyAttributes() map[string]schema.Attribute {
	attrs := baymodelResourceAttributes()
	attrs["adopt_existing"] = adoptExistingAttribute("baymodel")
	return attrs
}

func baymodelResourceAttributes() map[string]schema.Attribute {
	optString := func(desc string, validators ...validator.String) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: desc,
			Optional:            true,
			Validators:          append([]validator.String{stringvalidator.LengthBetween(1, 255)}, validators...),
		}
	}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The baymodel's UUID.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"name": schema.StringAttribute{
			MarkdownDescription: "The baymodel's name, 1 to 255 characters. The provider generates one (`tf-baymodel-` and 8 hex digits, such as `tf-baymodel-3f9a0c1e`) when it is left out, so that a create whose answer is lost can be found again. Names need not be unique in Magnum, but a name shared by several baymodels cannot be used to look one up, so the provider refuses to create a second baymodel of a name that exists in the project.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"coe": schema.StringAttribute{
			MarkdownDescription: "The container orchestration engine: " + mdValues(coeValues) + ". Clouds accept only the engines their drivers provide (Magnum 15: `kubernetes`, `swarm`, `swarm-mode`; current Magnum: `kubernetes`).",
			Required:            true,
			Validators:          []validator.String{stringvalidator.OneOf(coeValues...)},
		},
		"image_id": schema.StringAttribute{
			MarkdownDescription: "The Glance image (name or UUID) for the bay's servers. Its `os_distro` property selects Magnum's driver and becomes `cluster_distro`.",
			Required:            true,
			Validators:          []validator.String{stringvalidator.LengthBetween(1, 255)},
		},
		"keypair_id":          optString("The Nova keypair injected into the bay's servers. Bays may override it with their own `keypair`."),
		"external_network_id": optString("The Neutron external network (name or UUID) that provides floating IPs. Magnum cannot unset it in place, so removing it replaces the baymodel."),
		"flavor_id":           optString("The Nova flavor (name or UUID) for worker nodes."),
		"master_flavor_id":    optString("The Nova flavor (name or UUID) for master nodes."),
		"docker_volume_size": schema.Int64Attribute{
			MarkdownDescription: "The size in GB of the Cinder volume for container storage on each node; at least 1 (at least 3 with the `devicemapper` storage driver)." + volumeSizeNote(),
			Optional:            true,
			Validators:          []validator.Int64{int64validator.AtLeast(1), atMost(maxVolumeSizeGB)},
		},
		"docker_storage_driver": optString("The Docker storage driver: "+mdValues(storageDriverValues)+".", stringvalidator.OneOf(storageDriverValues...)),
		"network_driver": schema.StringAttribute{
			MarkdownDescription: "The container network driver. Kubernetes: `flannel`, `calico` (and `cilium` on current Magnum); Swarm: `docker` or `flannel`. Magnum picks `flannel` (Kubernetes) or `docker` (Swarm) when it is left out.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.OneOf(networkDriverValues...)},
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"volume_driver": optString("The volume driver for persistent storage: `cinder` (Kubernetes) or `rexray` (Swarm).", stringvalidator.OneOf(volumeDriverValues...)),
		"dns_nameserver": schema.StringAttribute{
			MarkdownDescription: "The DNS server(s) for the bay's private network: a comma-separated list of IP addresses. " +
				"vexxhost's Cluster API driver (a `driver` of `k8s_cluster_api_*`) needs it: without it every bay fails to create " +
				"(`'NoneType' object has no attribute 'split'`); the `magnum_baymodel` resource warns when it is unset.",
			Optional:   true,
			Validators: []validator.String{ipListValidator{}},
		},
		"fixed_network": optString("An existing Neutron network (name or UUID) for the bay, instead of a new one."),
		"fixed_subnet":  optString("An existing Neutron subnet (name or UUID) for the bay, with `fixed_network`."),
		"http_proxy":    optString("The `http_proxy` set on the bay's nodes."),
		"https_proxy":   optString("The `https_proxy` set on the bay's nodes."),
		"no_proxy":      optString("The `no_proxy` set on the bay's nodes."),
		"labels": schema.MapAttribute{
			MarkdownDescription: "Driver-specific key/value settings, such as `kube_tag` or `auto_scaling_enabled`. Magnum stores every value as a string.",
			ElementType:         types.StringType,
			Optional:            true,
			Computed:            true,
			Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
			Validators:          []validator.Map{mapvalidator.KeysAre(stringvalidator.RegexMatches(labelKeyRegexp, "must be letters, digits, '_', '-', '.' or '/'"))},
		},
		"tls_disabled": schema.BoolAttribute{
			MarkdownDescription: "Serve the bay's API without TLS. Defaults to `false`. Bays of a TLS-disabled baymodel have no CA or client certificates.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"public": schema.BoolAttribute{
			MarkdownDescription: "Share the baymodel with every project. Defaults to `false`; setting it needs Magnum's `clustertemplate:publish` policy (admins by default).",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"hidden": schema.BoolAttribute{
			MarkdownDescription: "Hide a public baymodel from other projects' lists while keeping it usable by id. Defaults to `false`; needs the same policy as `public`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"registry_enabled": schema.BoolAttribute{
			MarkdownDescription: "Run a Docker registry in the bay, backed by Swift. Defaults to `false`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"insecure_registry": optString("An insecure Docker registry URL the bay's nodes may pull from."),
		"server_type": schema.StringAttribute{
			MarkdownDescription: "The kind of servers: " + mdValues(serverTypeValues) + ". Defaults to `vm`.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString("vm"),
			Validators:          []validator.String{stringvalidator.OneOf(serverTypeValues...)},
		},
		"master_lb_enabled": schema.BoolAttribute{
			MarkdownDescription: "Put a load balancer in front of the masters; needed for more than one master. Defaults to `false`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"floating_ip_enabled": schema.BoolAttribute{
			MarkdownDescription: "Give the bay's nodes floating IPs. Defaults to `true`.",
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(true),
		},
		"apiserver_port": schema.Int64Attribute{
			MarkdownDescription: "The port the bay's API server listens on, 1024 to 65535.",
			Optional:            true,
			Validators:          []validator.Int64{int64validator.Between(1024, 65535)},
		},
		"tags": schema.StringAttribute{
			MarkdownDescription: "Free-form tags, up to 255 characters. Like `name`, `public` and `hidden`, they can change while bays use the baymodel.",
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtMost(255)},
		},
		"cluster_distro": schema.StringAttribute{
			MarkdownDescription: "The image's operating system as Magnum read it from the Glance image's `os_distro` property (for example `fedora-coreos`).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"driver": schema.StringAttribute{
			MarkdownDescription: "The Magnum driver that builds this baymodel's bays, as the cloud reports it (Magnum 18.0, 2024.1, and later). " +
				"Magnum copies it from the Glance image's `magnum_driver` property (for example `k8s_capi_helm_v1` for a Cluster API driver); " +
				"it is null when the image has no such property, in which case Magnum picks the driver from the image's `os_distro` " +
				"(`k8s_fedora_coreos_v1`, the Heat driver, for `fedora-coreos`), and on clouds older than 2024.1, which do not report it.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"project_id": schema.StringAttribute{
			MarkdownDescription: "The project that owns the baymodel.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"user_id": schema.StringAttribute{
			MarkdownDescription: "The user who created the baymodel.",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"created_at": schema.StringAttribute{
			MarkdownDescription: "When the baymodel was created (RFC 3339).",
			Computed:            true,
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"updated_at": schema.StringAttribute{
			MarkdownDescription: "When the baymodel was last changed (RFC 3339); empty until the first change.",
			Computed:            true,
		},
	}
}
