package kubeconfig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
)

// Key kinds accepted by NewKey. Magnum's signer (python cryptography) copies
// the public key into the certificate whatever its algorithm, so ECDSA keys
// work as well as RSA ones.
const (
	KeyRSA2048   = "rsa-2048"
	KeyRSA4096   = "rsa-4096"
	KeyECDSAP256 = "ecdsa-p256"
)

// Defaults match what python-magnumclient requests, so that a certificate
// from this package carries the same Kubernetes RBAC identity as one made by
// `openstack coe cluster config`.
const (
	DefaultCommonName   = "admin"
	DefaultOrganization = "system:masters"
)

// KeyKinds lists the values NewKey accepts, for schema validators and
// messages.
func KeyKinds() []string {
	return []string{KeyRSA2048, KeyRSA4096, KeyECDSAP256}
}

// NewKey generates a private key of the given kind ("" means RSA-2048) and
// returns it with its PEM encoding. RSA keys are written as PKCS#1
// ("RSA PRIVATE KEY"), which is what magnumclient writes and every kubectl and
// docker release reads; ECDSA keys as PKCS#8 ("PRIVATE KEY").
func NewKey(kind string) (crypto.Signer, string, error) {
	switch kind {
	case "", KeyRSA2048, KeyRSA4096:
		bits := 2048
		if kind == KeyRSA4096 {
			bits = 4096
		}
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, "", fmt.Errorf("generating RSA-%d key: %w", bits, err)
		}
		block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
		return k, string(pem.EncodeToMemory(block)), nil
	case KeyECDSAP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("generating ECDSA P-256 key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, "", fmt.Errorf("encoding ECDSA key: %w", err)
		}
		return k, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
	default:
		return nil, "", fmt.Errorf("unsupported key kind %q: use one of %q", kind, KeyKinds())
	}
}

// NewCSR builds a PEM certificate signing request for key. Empty commonName
// and organization fall back to DefaultCommonName and DefaultOrganization.
//
// The request carries no extensions: Magnum drops or rewrites most of them,
// and a critical keyUsage with keyCertSign makes Magnum 15 hang for a minute
// before answering 500 instead of rejecting it.
func NewCSR(key crypto.Signer, commonName, organization string) (string, error) {
	if key == nil {
		return "", errors.New("no private key to sign the CSR with")
	}
	if commonName == "" {
		commonName = DefaultCommonName
	}
	if organization == "" {
		organization = DefaultOrganization
	}
	tmpl := &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: commonName, Organization: []string{organization}},
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return "", fmt.Errorf("creating CSR: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// ParsePrivateKeyPEM reads the first private key block in s, in PKCS#1,
// PKCS#8 or SEC 1 form.
func ParsePrivateKeyPEM(s string) (crypto.Signer, error) {
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#1 private key: %w", err)
			}
			return k, nil
		case "EC PRIVATE KEY":
			k, err := x509.ParseECPrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing EC private key: %w", err)
			}
			return k, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parsing PKCS#8 private key: %w", err)
			}
			signer, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("PKCS#8 key of type %T cannot sign", k)
			}
			return signer, nil
		}
	}
}
