package kubeconfig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync/atomic"
	"testing"
	"time"
)

// testCA is a throwaway CA shaped like Magnum's: CN is the cluster name,
// CA:TRUE with pathlen 0. ECDSA keeps the tests fast.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  string
}

// serial is shared by parallel tests.
var serial atomic.Int64

func nextSerial() *big.Int {
	return big.NewInt(serial.Add(1))
}

func newTestCA(t testing.TB, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          nextSerial(),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(5 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// sign issues a client certificate for pub the way Magnum does: subject
// copied, no extensions.
func (ca testCA) sign(t testing.TB, pub crypto.PublicKey, notBefore, notAfter time.Time) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: nextSerial(),
		Subject:      pkix.Name{CommonName: DefaultCommonName, Organization: []string{DefaultOrganization}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// newClient returns a key PEM and a certificate for it signed by ca, valid
// until notAfter.
func (ca testCA) newClient(t testing.TB, notAfter time.Time) (certPEM, keyPEM string) {
	t.Helper()
	key, keyPEM, err := NewKey(KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return ca.sign(t, key.Public(), time.Now().Add(-24*time.Hour), notAfter), keyPEM
}
