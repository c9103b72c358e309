package session

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// BuildTLS turns the Settings file paths into a tls.Config. Files named by
// the configuration or environment replace what clouds.yaml set.
func BuildTLS(r Settings) (*tls.Config, diag.Diagnostics) {
	var diags diag.Diagnostics
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if r.CloudTLS != nil {
		cfg.RootCAs = r.CloudTLS.RootCAs
		cfg.Certificates = r.CloudTLS.Certificates
	}
	if r.CACertFile != "" {
		name := expandHome(r.CACertFile)
		pemBytes, err := os.ReadFile(name)
		if err != nil {
			diags.AddAttributeError(path.Root("cacert_file"), "Cannot read CA certificate file",
				fmt.Sprintf("Reading %q (cacert_file or OS_CACERT) failed: %s", name, err))
			return nil, diags
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemBytes) {
			diags.AddAttributeError(path.Root("cacert_file"), "Invalid CA certificate file",
				fmt.Sprintf("%q (cacert_file or OS_CACERT) holds no PEM certificate.", name))
			return nil, diags
		}
		cfg.RootCAs = pool
	}
	if r.ClientCertFile != "" {
		certFile, keyFile := expandHome(r.ClientCertFile), expandHome(r.ClientKeyFile)
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			diags.AddAttributeError(path.Root("cert"), "Cannot load TLS client certificate",
				fmt.Sprintf("Loading the client certificate %q with key %q (cert/key or OS_CERT/OS_KEY) failed: %s", certFile, keyFile, err))
			return nil, diags
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	if r.Insecure {
		cfg.InsecureSkipVerify = true
		diags.AddAttributeWarning(path.Root("insecure"), "TLS certificate verification is disabled",
			"insecure (or OS_INSECURE, or verify: false in clouds.yaml) turns off certificate checks for Keystone, Magnum and Heat, "+
				"so credentials can be intercepted. Prefer cacert_file with the cloud's CA.")
	}
	return cfg, diags
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
