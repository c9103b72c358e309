package kubeconfig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind    string
		pemType string
		check   func(t *testing.T, k any)
		slow    bool
	}{
		{"", "RSA PRIVATE KEY", rsaBits(2048), false},
		{KeyRSA2048, "RSA PRIVATE KEY", rsaBits(2048), false},
		{KeyRSA4096, "RSA PRIVATE KEY", rsaBits(4096), true},
		{KeyECDSAP256, "PRIVATE KEY", func(t *testing.T, k any) {
			ec, ok := k.(*ecdsa.PrivateKey)
			if !ok || ec.Curve != elliptic.P256() {
				t.Fatalf("key is %T, want an ECDSA P-256 key", k)
			}
		}, false},
	}
	for _, tc := range cases {
		t.Run("kind="+tc.kind, func(t *testing.T) {
			t.Parallel()
			if tc.slow && testing.Short() {
				t.Skip("RSA-4096 generation is slow")
			}
			key, keyPEM, err := NewKey(tc.kind)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode([]byte(keyPEM))
			if block == nil || block.Type != tc.pemType {
				t.Fatalf("PEM block type = %v, want %q", block, tc.pemType)
			}
			parsed, err := ParsePrivateKeyPEM(keyPEM)
			if err != nil {
				t.Fatalf("the PEM NewKey wrote does not parse back: %v", err)
			}
			tc.check(t, parsed)
			if !parsed.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(key.Public()) {
				t.Fatal("the PEM holds a different key than the one returned")
			}
		})
	}
}

func rsaBits(bits int) func(*testing.T, any) {
	return func(t *testing.T, k any) {
		r, ok := k.(*rsa.PrivateKey)
		if !ok || r.N.BitLen() != bits {
			t.Fatalf("key is %T, want RSA-%d", k, bits)
		}
	}
}

func TestNewKeyRejectsUnknownKind(t *testing.T) {
	t.Parallel()
	_, _, err := NewKey("dsa-1024")
	if err == nil || !strings.Contains(err.Error(), `"dsa-1024"`) || !strings.Contains(err.Error(), KeyECDSAP256) {
		t.Fatalf("error = %v, want it to name the bad kind and the allowed ones", err)
	}
}

func TestNewCSR(t *testing.T) {
	t.Parallel()
	key, _, err := NewKey(KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cn, org   string
		wantCN, wantOrg string
	}{
		{"magnumclient defaults", "", "", "admin", "system:masters"},
		{"custom identity", "ci-bot", "developers", "ci-bot", "developers"},
		{"custom CN keeps default O", "ops", "", "ops", "system:masters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			csrPEM, err := NewCSR(key, tc.cn, tc.org)
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode([]byte(csrPEM))
			if block == nil || block.Type != "CERTIFICATE REQUEST" {
				t.Fatalf("not a PEM CSR: %q", csrPEM)
			}
			csr, err := x509.ParseCertificateRequest(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if err := csr.CheckSignature(); err != nil {
				t.Fatalf("CSR signature: %v", err)
			}
			if csr.Subject.CommonName != tc.wantCN || len(csr.Subject.Organization) != 1 || csr.Subject.Organization[0] != tc.wantOrg {
				t.Fatalf("subject = %v, want CN=%s O=%s", csr.Subject, tc.wantCN, tc.wantOrg)
			}
			// Magnum hangs on some critical extensions; the CSR must carry none.
			if len(csr.Extensions) != 0 {
				t.Fatalf("CSR has %d extensions, want none", len(csr.Extensions))
			}
		})
	}
	if _, err := NewCSR(nil, "", ""); err == nil {
		t.Fatal("NewCSR(nil) succeeded")
	}
}

func TestParsePrivateKeyPEMSkipsOtherBlocks(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "bay")
	key, keyPEM, err := NewKey(KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKeyPEM(ca.pem + keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Public().(*ecdsa.PublicKey).Equal(key.Public()) {
		t.Fatal("parsed the wrong key")
	}
	if _, err := ParsePrivateKeyPEM(ca.pem); err == nil {
		t.Fatal("a certificate alone parsed as a private key")
	}
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	_, rsaPEM, err := NewKey(KeyRSA2048)
	if err != nil {
		f.Fatal(err)
	}
	_, ecPEM, err := NewKey(KeyECDSAP256)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(rsaPEM)
	f.Add(ecPEM)
	f.Add("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")
	f.Add("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePrivateKeyPEM(s)
		if err == nil && k == nil {
			t.Fatal("nil key without an error")
		}
	})
}
