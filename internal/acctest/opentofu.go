package acctest

import (
	"context"
	"os"
	"path/filepath"

	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// OpenTofu reports whether the acceptance tests run with OpenTofu rather
// than Terraform (scripts/tofu.sh sets the registry host tofu needs).
func OpenTofu() bool {
	return os.Getenv("TF_ACC_PROVIDER_HOST") == "registry.opentofu.org" ||
		filepath.Base(os.Getenv("TF_ACC_TERRAFORM_PATH")) == "tofu"
}

// SkipOnOpenTofu is a version check for features OpenTofu's version number
// does not tell apart (OpenTofu 1.10 has no ephemeral resources, which
// Terraform has from 1.10).
func SkipOnOpenTofu(reason string) tfversion.TerraformVersionCheck {
	return skipOnOpenTofu{reason: reason}
}

type skipOnOpenTofu struct{ reason string }

func (s skipOnOpenTofu) CheckTerraformVersion(_ context.Context, _ tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if OpenTofu() {
		resp.Skip = "not run with OpenTofu: " + s.reason
	}
}
