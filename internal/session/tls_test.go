package session

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"
)

func TestBuildTLS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, selfSignedPEM(t))
	junk := filepath.Join(dir, "junk.pem")
	writeFile(t, junk, "not a certificate")

	cases := []struct {
		name    string
		r       Settings
		errs    []string
		attr    string
		warn    string
		inspect func(t *testing.T, c *tls.Config)
	}{
		{name: "CA bundle loaded", r: Settings{CACertFile: caFile}, inspect: func(t *testing.T, c *tls.Config) {
			if c.RootCAs == nil || c.InsecureSkipVerify {
				t.Fatal("RootCAs not set")
			}
		}},
		{name: "missing CA file", r: Settings{CACertFile: filepath.Join(dir, "absent.pem")}, errs: []string{"Cannot read CA certificate file", "absent.pem"}, attr: "cacert_file"},
		{name: "CA file without PEM", r: Settings{CACertFile: junk}, errs: []string{"holds no PEM certificate", junk}, attr: "cacert_file"},
		{name: "bad client pair", r: Settings{ClientCertFile: junk, ClientKeyFile: junk}, errs: []string{"Cannot load TLS client certificate", junk}, attr: "cert"},
		{name: "insecure warns", r: Settings{Insecure: true}, warn: "TLS certificate verification is disabled", inspect: func(t *testing.T, c *tls.Config) {
			if !c.InsecureSkipVerify {
				t.Fatal("InsecureSkipVerify not set")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, diags := BuildTLS(tc.r)
			if len(tc.errs) > 0 {
				assertError(t, diags, tc.attr, tc.errs...)
				return
			}
			if diags.HasError() {
				t.Fatal(diags)
			}
			if tc.warn != "" {
				assertWarnings(t, diags, tc.warn)
			} else {
				assertWarnings(t, diags)
			}
			if tc.inspect != nil {
				tc.inspect(t, c)
			}
		})
	}
}

func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
