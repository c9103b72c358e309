package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 27, 23, 16, 18, 0, time.UTC)

// The CA is expensive (RSA-2048), so tests share one.
var (
	sharedOnce sync.Once
	sharedCA   *CA
	sharedErr  error
)

func testCA(t *testing.T) *CA {
	t.Helper()
	sharedOnce.Do(func() { sharedCA, sharedErr = NewCA("c1-231358", testNow) })
	if sharedErr != nil {
		t.Fatalf("NewCA: %v", sharedErr)
	}
	return sharedCA
}

func parsePEMCert(t *testing.T, s string) *x509.Certificate {
	t.Helper()
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) != 0 {
		t.Fatalf("not exactly one PEM certificate: %q", s)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("ParseCertificate: %v", err)
	}
	return cert
}

func TestNewCA_matchesMagnum(t *testing.T) {
	ca := testCA(t)
	cert := parsePEMCert(t, ca.CertPEM())

	if got, want := cert.Subject.String(), "CN=c1-231358"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	if got, want := cert.Issuer.String(), "CN=c1-231358"; got != want {
		t.Errorf("issuer = %q, want %q", got, want)
	}
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
	if pub, ok := cert.PublicKey.(interface{ Size() int }); !ok || pub.Size() != 256 {
		t.Errorf("public key is not RSA-2048: %T", cert.PublicKey)
	}
	if got, want := cert.NotBefore, testNow.Add(-24*time.Hour); !got.Equal(want) {
		t.Errorf("NotBefore = %v, want %v", got, want)
	}
	if got, want := cert.NotAfter.Sub(cert.NotBefore), 1826*24*time.Hour; got != want {
		t.Errorf("validity = %v, want %v", got, want)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid || cert.MaxPathLen != 0 || !cert.MaxPathLenZero {
		t.Errorf("basicConstraints: IsCA=%v valid=%v pathlen=%d zero=%v, want CA:TRUE pathlen:0",
			cert.IsCA, cert.BasicConstraintsValid, cert.MaxPathLen, cert.MaxPathLenZero)
	}
	if cert.KeyUsage != x509.KeyUsageCertSign {
		t.Errorf("keyUsage = %b, want keyCertSign only", cert.KeyUsage)
	}
	if len(cert.SubjectKeyId) != 0 || len(cert.AuthorityKeyId) != 0 {
		t.Errorf("unexpected key identifiers: ski=%x aki=%x", cert.SubjectKeyId, cert.AuthorityKeyId)
	}
	var ids []string
	for _, ext := range cert.Extensions {
		if !ext.Critical {
			t.Errorf("extension %v is not critical", ext.Id)
		}
		ids = append(ids, ext.Id.String())
	}
	if got, want := strings.Join(ids, ","), "2.5.29.19,2.5.29.15"; got != want {
		t.Errorf("extensions = %s, want %s", got, want)
	}
	if cert.SerialNumber.BitLen() < 64 {
		t.Errorf("serial %v looks too small for a random 128-bit value", cert.SerialNumber)
	}
}

type csrSpec struct {
	subject pkix.Name
	exts    []pkix.Extension
}

func makeCSR(t *testing.T, spec csrSpec) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:         spec.subject,
		ExtraExtensions: spec.exts,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyUsageExt(t *testing.T, critical bool, bits ...int) pkix.Extension {
	t.Helper()
	var u [kuCount]bool
	for _, b := range bits {
		u[b] = true
	}
	v, err := marshalKeyUsage(u)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidKeyUsage, Critical: critical, Value: v}
}

func TestSignCSR(t *testing.T) {
	ca := testCA(t)
	adminSubject := pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}
	someone := pkix.Name{CommonName: "someone", Organization: []string{"devs"}}
	clientAuth := pkix.Extension{Id: oidExtKeyUsage, Value: mustMarshal(t, []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}})}
	san := pkix.Extension{Id: oidSubjectAltName, Value: mustMarshal(t, []asn1.RawValue{{Tag: 2, Class: asn1.ClassContextSpecific, Bytes: []byte("client.example")}})}
	caTrue := pkix.Extension{Id: oidBasicConstraints, Value: mustMarshal(t, basicConstraints{IsCA: true, MaxPathLen: -1})}

	tests := []struct {
		name    string
		csr     csrSpec
		wantErr any
		check   func(t *testing.T, cert *x509.Certificate)
	}{
		{
			name: "no extensions gives a certificate with none",
			csr:  csrSpec{subject: adminSubject},
			check: func(t *testing.T, cert *x509.Certificate) {
				if len(cert.Extensions) != 0 {
					t.Errorf("extensions = %v, want none", cert.Extensions)
				}
				if got, want := cert.Subject.String(), "CN=admin,O=system:masters"; got != want {
					t.Errorf("subject = %q, want %q", got, want)
				}
			},
		},
		{
			name: "CA powers are stripped and the rest kept",
			csr: csrSpec{subject: someone, exts: []pkix.Extension{
				caTrue,
				keyUsageExt(t, false, kuDigitalSignature, kuKeyEncipherment, kuKeyCertSign),
				clientAuth,
				san,
			}},
			check: func(t *testing.T, cert *x509.Certificate) {
				if cert.IsCA || !cert.BasicConstraintsValid {
					t.Errorf("basicConstraints: IsCA=%v valid=%v, want CA:FALSE", cert.IsCA, cert.BasicConstraintsValid)
				}
				if want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment; cert.KeyUsage != want {
					t.Errorf("keyUsage = %b, want %b", cert.KeyUsage, want)
				}
				if len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
					t.Errorf("extKeyUsage = %v, want clientAuth", cert.ExtKeyUsage)
				}
				if len(cert.DNSNames) != 1 || cert.DNSNames[0] != "client.example" {
					t.Errorf("DNS SANs = %v, want [client.example]", cert.DNSNames)
				}
				var ids []string
				for _, ext := range cert.Extensions {
					if ext.Critical {
						t.Errorf("extension %v became critical", ext.Id)
					}
					ids = append(ids, ext.Id.String())
				}
				if got, want := strings.Join(ids, ","), "2.5.29.19,2.5.29.15,2.5.29.37,2.5.29.17"; got != want {
					t.Errorf("extensions = %s, want %s (CSR order, nothing added)", got, want)
				}
			},
		},
		{
			name: "disallowed non-critical extension is dropped",
			csr: csrSpec{subject: adminSubject, exts: []pkix.Extension{
				{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{0x05, 0x00}},
			}},
			check: func(t *testing.T, cert *x509.Certificate) {
				if len(cert.Extensions) != 0 {
					t.Errorf("extensions = %v, want none", cert.Extensions)
				}
			},
		},
		{
			name: "critical keyUsage asking for keyCertSign is refused",
			csr: csrSpec{subject: adminSubject, exts: []pkix.Extension{
				keyUsageExt(t, true, kuDigitalSignature, kuKeyCertSign),
			}},
			wantErr: &ExtensionNotAllowedError{},
		},
		{
			name: "critical unknown extension is refused",
			csr: csrSpec{subject: adminSubject, exts: []pkix.Extension{
				{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{0x05, 0x00}},
			}},
			wantErr: &ExtensionNotAllowedError{},
		},
		{
			name: "critical CA:TRUE is refused",
			csr: csrSpec{subject: adminSubject, exts: []pkix.Extension{
				{Id: oidBasicConstraints, Critical: true, Value: caTrue.Value},
			}},
			wantErr: &ExtensionNotAllowedError{},
		},
		{
			name: "critical keyUsage within the allowed set keeps its criticality",
			csr: csrSpec{subject: adminSubject, exts: []pkix.Extension{
				keyUsageExt(t, true, kuDigitalSignature),
			}},
			check: func(t *testing.T, cert *x509.Certificate) {
				if len(cert.Extensions) != 1 || !cert.Extensions[0].Critical || cert.KeyUsage != x509.KeyUsageDigitalSignature {
					t.Errorf("extensions = %v keyUsage=%b, want one critical digitalSignature", cert.Extensions, cert.KeyUsage)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ca.SignCSR(makeCSR(t, tt.csr), testNow)
			if tt.wantErr != nil {
				var target *ExtensionNotAllowedError
				if !errors.As(err, &target) {
					t.Fatalf("err = %v, want ExtensionNotAllowedError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SignCSR: %v", err)
			}
			cert := parsePEMCert(t, out)
			if got, want := cert.Issuer.String(), "CN=c1-231358"; got != want {
				t.Errorf("issuer = %q, want %q", got, want)
			}
			if got, want := cert.NotBefore, testNow.Add(-24*time.Hour); !got.Equal(want) {
				t.Errorf("NotBefore = %v, want %v", got, want)
			}
			if got, want := cert.NotAfter, testNow.Add(1825*24*time.Hour); !got.Equal(want) {
				t.Errorf("NotAfter = %v, want %v", got, want)
			}
			if cert.SignatureAlgorithm != x509.SHA256WithRSA {
				t.Errorf("signature algorithm = %v", cert.SignatureAlgorithm)
			}
			if err := cert.CheckSignatureFrom(ca.Certificate()); err != nil {
				t.Errorf("not signed by the CA: %v", err)
			}
			tt.check(t, cert)
		})
	}
}

func TestSignCSR_subjectCopiedVerbatim(t *testing.T) {
	ca := testCA(t)
	// O before CN, as the captured Magnum answer shows "O=system:masters,CN=admin".
	rdn := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: "system:masters"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "admin"}},
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{RawSubject: mustMarshal(t, rdn)}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, _ := x509.ParseCertificateRequest(der)
	out, err := ca.SignCSR(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), testNow)
	if err != nil {
		t.Fatal(err)
	}
	cert := parsePEMCert(t, out)
	if string(cert.RawSubject) != string(csr.RawSubject) {
		t.Errorf("subject re-encoded: got %x, want %x", cert.RawSubject, csr.RawSubject)
	}
}

func TestSignCSR_invalid(t *testing.T) {
	ca := testCA(t)
	tests := []struct {
		in, want string
	}{
		{"garbage", "Received invalid csr b'garbage'."},
		{"", "Received invalid csr b''."},
		{"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
			`Received invalid csr b'-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'.`},
		{"it's", `Received invalid csr b"it's".`},
	}
	for _, tt := range tests {
		_, err := ca.SignCSR(tt.in, testNow)
		var target *InvalidCSRError
		if !errors.As(err, &target) {
			t.Errorf("SignCSR(%q) err = %v, want InvalidCSRError", tt.in, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("SignCSR(%q) message = %q, want %q", tt.in, err.Error(), tt.want)
		}
	}
}

func TestSignedClientCert_verifiesForClientAuth(t *testing.T) {
	ca := testCA(t)
	out, err := ca.SignCSR(makeCSR(t, csrSpec{subject: pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}}), testNow)
	if err != nil {
		t.Fatal(err)
	}
	// Magnum's certificate has no extendedKeyUsage, which Go (and the
	// Kubernetes API server) treat as "any".
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageAny} {
		if _, err := parsePEMCert(t, out).Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: testNow, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("verify with usage %v: %v", usage, err)
		}
	}
	if _, err := ca.VerifyClient(out, testNow); err != nil {
		t.Errorf("VerifyClient: %v", err)
	}

	other, err := NewCA("other", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.VerifyClient(out, testNow); !errors.Is(err, ErrNotSignedByCA) {
		t.Errorf("other CA VerifyClient err = %v, want ErrNotSignedByCA", err)
	}
	if _, err := ca.VerifyClient(out, testNow.Add(1826*24*time.Hour)); err == nil {
		t.Error("certificate still valid after its term")
	}
}

func TestIssueClientCert(t *testing.T) {
	ca := testCA(t)
	certPEM, keyPEM, err := ca.IssueClientCert("admin", []string{"system:masters"}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		t.Fatalf("cert and key do not pair: %v", err)
	}
	cert, err := ca.VerifyClient(certPEM, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cert.Subject.String(), "CN=admin,O=system:masters"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
}

func TestIssueServerCert_TLSHandshake(t *testing.T) {
	ca := testCA(t)
	now := time.Now()
	serverCert, err := ca.IssueServerCert(nil, now)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}}
	srv.StartTLS()
	defer srv.Close()

	for _, host := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
		resp, err := client.Get(host)
		if err != nil {
			t.Errorf("GET %s: %v", host, err)
			continue
		}
		resp.Body.Close()
	}
}
