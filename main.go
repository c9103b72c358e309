package main

import (
	"context"
	"flag"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/magnumtf/terraform-provider-magnum/internal/provider"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers like delve")
	flag.Parse()
	quietSDKLogs()

	err := providerserver.Serve(context.Background(), provider.New(version), providerserver.ServeOpts{
		Address: "registry.terraform.io/magnumtf/magnum",
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err.Error())
	}
}

// quietSDKLogs turns the SDK's own logs off when no TF_LOG* variable asks
// for any log. terraform-plugin-log emits the framework's and the protocol
// layer's TRACE lines unless told otherwise (terraform-plugin-framework
// issue 1269), and Terraform then parses and drops every one of them: a
// trace line per attribute per plan modifier, about a third of the
// provider's CPU in a plan of 20 bays. Set any TF_LOG* variable (TF_LOG,
// TF_LOG_PROVIDER, TF_LOG_SDK_FRAMEWORK...) and they are emitted as usual.
func quietSDKLogs() {
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TF_LOG") && v != "" {
			return
		}
	}
	_ = os.Setenv("TF_LOG_SDK", "off")
}
