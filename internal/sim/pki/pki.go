// Package pki reproduces the certificate authority Magnum 15 keeps for each
// cluster: how the CA certificate looks, and how a client's CSR is turned into
// a certificate (magnum/common/x509 in the Zed release, with its default
// [x509] configuration). The simulator core serves it on /v1/certificates and
// the per-bay Kubernetes endpoint (package kube) trusts it.
//
// Fidelity notes, all taken from a running Magnum 15 (captures/FINDINGS.md
// step 6) and its source:
//   - The CA is RSA-2048/SHA-256, subject = issuer = CN=<name>, with only two
//     extensions, both critical: basicConstraints CA:TRUE pathlen:0 and
//     keyUsage keyCertSign. The captured certificate has cRLSign unset, so it
//     is unset here too.
//   - Every certificate is backdated by one day and expires TermOfValidity
//     after "now", so NotAfter-NotBefore is 1826 days.
//   - Serial numbers are random 128-bit values (Magnum uses uuid4's integer).
//   - No subjectKeyIdentifier or authorityKeyIdentifier is ever added.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

const (
	// TermOfValidity is Magnum's default [x509]term_of_validity.
	TermOfValidity = 1825 * 24 * time.Hour
	// Backdate is how far before "now" Magnum starts a certificate's
	// validity, to absorb clock skew between the conductor and the nodes.
	Backdate = 24 * time.Hour

	rsaKeyBits = 2048
)

var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
)

// allowedExtensions is Magnum's default [x509]allowed_extensions; every other
// CSR extension is dropped, or refused when critical.
var allowedExtensions = map[string]string{
	oidKeyUsage.String():         "keyUsage",
	oidExtKeyUsage.String():      "extendedKeyUsage",
	oidSubjectAltName.String():   "subjectAltName",
	oidBasicConstraints.String(): "basicConstraints",
	oidSubjectKeyID.String():     "subjectKeyIdentifier",
}

// Key usage bits in RFC 5280 order (bit 0 is the most significant bit of the
// first octet).
const (
	kuDigitalSignature = iota
	kuContentCommitment
	kuKeyEncipherment
	kuDataEncipherment
	kuKeyAgreement
	kuKeyCertSign
	kuCRLSign
	kuEncipherOnly
	kuDecipherOnly
	kuCount
)

// allowedKeyUsage is Magnum's default [x509]allowed_key_usage ("Digital
// Signature", "Key Encipherment", "Non Repudiation"); the CA bits are never
// allowed because [x509]allow_ca defaults to false.
var allowedKeyUsage = [kuCount]bool{
	kuDigitalSignature:  true,
	kuContentCommitment: true,
	kuKeyEncipherment:   true,
}

var keyUsageNames = [kuCount]string{
	"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment",
	"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
}

// InvalidCSRError is returned by SignCSR when the input is not a PEM-encoded
// certificate request. Its message is the one Magnum's API returns with 400.
type InvalidCSRError struct {
	CSR string
}

func (e *InvalidCSRError) Error() string {
	return fmt.Sprintf("Received invalid csr %s.", pythonBytesRepr([]byte(e.CSR)))
}

// ExtensionNotAllowedError is returned by SignCSR when the CSR carries a
// critical extension Magnum refuses to copy. Real Magnum 15 raises
// CertificateValidationError in the conductor, fails to serialize it over RPC
// and the API answers 500 after the RPC timeout; the core decides whether to
// reproduce that or answer 400.
type ExtensionNotAllowedError struct {
	OID  asn1.ObjectIdentifier
	Name string
	// Detail says what was wrong with an allowed extension, e.g. the
	// key usage that may not be granted; empty for a disallowed extension.
	Detail string
}

func (e *ExtensionNotAllowedError) Error() string {
	name := e.Name
	if name == "" {
		name = e.OID.String()
	}
	if e.Detail != "" {
		return fmt.Sprintf("Extension '%s' is not allowed: %s", name, e.Detail)
	}
	return fmt.Sprintf("Extension '%s' is not allowed", name)
}

// CA is one cluster certificate authority. It is immutable after NewCA and
// safe for concurrent use.
type CA struct {
	cert    *x509.Certificate
	certPEM string
	key     *rsa.PrivateKey
	pool    *x509.CertPool
}

// NewCA creates a CA the way Magnum does when a cluster is created; commonName
// is the cluster name (or its UUID when it has no name).
func NewCA(commonName string, now time.Time) (*CA, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
	if err != nil {
		return nil, fmt.Errorf("generating CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	name := pkix.Name{CommonName: commonName}
	bc, err := asn1.Marshal(basicConstraints{IsCA: true, MaxPathLen: 0})
	if err != nil {
		return nil, err
	}
	ku, err := marshalKeyUsage([kuCount]bool{kuKeyCertSign: true})
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		Subject:            name,
		Issuer:             name,
		NotBefore:          now.Add(-Backdate).UTC().Truncate(time.Second),
		NotAfter:           now.Add(TermOfValidity).UTC().Truncate(time.Second),
		SignatureAlgorithm: x509.SHA256WithRSA,
		// The extensions are written by hand rather than through IsCA and
		// KeyUsage: crypto/x509 would otherwise add a subjectKeyIdentifier,
		// which Magnum's CA does not have, and whose presence would make
		// every signed certificate grow an authorityKeyIdentifier.
		ExtraExtensions: []pkix.Extension{
			{Id: oidBasicConstraints, Critical: true, Value: bc},
			{Id: oidKeyUsage, Critical: true, Value: ku},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("self-signing CA: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{
		cert:    cert,
		certPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		key:     key,
		pool:    pool,
	}, nil
}

// CertPEM is the CA certificate as GET /v1/certificates/{cluster} returns it.
func (c *CA) CertPEM() string { return c.certPEM }

// Certificate is the parsed CA certificate. Callers must not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// Pool is a certificate pool holding only this CA, for verifying client or
// server certificates it issued. Callers must not modify it.
func (c *CA) Pool() *x509.CertPool { return c.pool }

// SignCSR signs a PEM certificate request the way Magnum's
// POST /v1/certificates does: the subject is copied unchanged, the issuer is
// the CA, and only the allowed extensions survive with their CA powers
// removed. A CSR without extensions yields a certificate without extensions.
//
// Like Magnum, SignCSR does not check the CSR's self-signature.
func (c *CA) SignCSR(csrPEM string, now time.Time) (string, error) {
	block, _ := pem.Decode([]byte(csrPEM))
	if block == nil || (block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST") {
		return "", &InvalidCSRError{CSR: csrPEM}
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return "", &InvalidCSRError{CSR: csrPEM}
	}
	exts, err := filterExtensions(csr.Extensions)
	if err != nil {
		return "", err
	}
	der, err := c.sign(csr.RawSubject, csr.PublicKey, exts, now)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// IssueClientCert creates a key pair and a client certificate for the given
// subject, shaped like the certificate Magnum's conductor makes for itself
// (critical keyUsage digitalSignature+keyEncipherment, extendedKeyUsage
// clientAuth, critical basicConstraints CA:FALSE). Tests and the simulator
// use it wherever a kubeconfig needs a credential without a CSR round trip.
func (c *CA) IssueClientCert(commonName string, organizations []string, now time.Time) (certPEM, keyPEM string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	subject, err := asn1.Marshal(pkix.Name{CommonName: commonName, Organization: organizations}.ToRDNSequence())
	if err != nil {
		return "", "", err
	}
	ku, err := marshalKeyUsage([kuCount]bool{kuDigitalSignature: true, kuKeyEncipherment: true})
	if err != nil {
		return "", "", err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}})
	if err != nil {
		return "", "", err
	}
	bc, err := asn1.Marshal(basicConstraints{MaxPathLen: -1})
	if err != nil {
		return "", "", err
	}
	der, err := c.sign(subject, &key.PublicKey, []pkix.Extension{
		{Id: oidKeyUsage, Critical: true, Value: ku},
		{Id: oidExtKeyUsage, Value: eku},
		{Id: oidBasicConstraints, Critical: true, Value: bc},
	}, now)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})), nil
}

// IssueServerCert creates a TLS server certificate for the given host names
// and IP addresses, signed by the CA, as a Kubernetes API server would
// present. An empty hosts list means 127.0.0.1 and localhost.
func (c *CA) IssueServerCert(hosts []string, now time.Time) (tls.Certificate, error) {
	if len(hosts) == 0 {
		hosts = []string{"127.0.0.1", "localhost"}
	}
	// ECDSA keeps the simulator fast; kubectl does not care which key type the
	// server uses as long as the chain verifies.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kube-apiserver"},
		NotBefore:             now.Add(-Backdate).UTC().Truncate(time.Second),
		NotAfter:              now.Add(TermOfValidity).UTC().Truncate(time.Second),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, &key.PublicKey, c.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// sign issues a certificate whose subject is rawSubject verbatim (so RDN
// order and string types survive, as Magnum copies csr.subject) with exactly
// the given extensions.
func (c *CA) sign(rawSubject []byte, pub crypto.PublicKey, exts []pkix.Extension, now time.Time) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		RawSubject:         rawSubject,
		NotBefore:          now.Add(-Backdate).UTC().Truncate(time.Second),
		NotAfter:           now.Add(TermOfValidity).UTC().Truncate(time.Second),
		SignatureAlgorithm: x509.SHA256WithRSA,
		ExtraExtensions:    exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, pub, c.key)
	if err != nil {
		return nil, fmt.Errorf("signing certificate: %w", err)
	}
	return der, nil
}

// filterExtensions applies Magnum's validator.filter_extensions with the
// default configuration.
func filterExtensions(in []pkix.Extension) ([]pkix.Extension, error) {
	var out []pkix.Extension
	for _, ext := range in {
		name, ok := allowedExtensions[ext.Id.String()]
		if !ok {
			if ext.Critical {
				return nil, &ExtensionNotAllowedError{OID: ext.Id}
			}
			continue
		}
		switch {
		case ext.Id.Equal(oidKeyUsage):
			merged, err := mergeKeyUsage(ext)
			if err != nil {
				return nil, err
			}
			ext = merged
		case ext.Id.Equal(oidBasicConstraints):
			var bc basicConstraints
			if _, err := asn1.Unmarshal(ext.Value, &bc); err != nil {
				return nil, &ExtensionNotAllowedError{OID: ext.Id, Name: name, Detail: "malformed"}
			}
			if bc.IsCA {
				if ext.Critical {
					return nil, &ExtensionNotAllowedError{OID: ext.Id, Name: name, Detail: "CA:TRUE may not be requested"}
				}
				// BasicConstraints(ca=False, path_length=None) encodes as an
				// empty SEQUENCE.
				ext = pkix.Extension{Id: oidBasicConstraints, Value: []byte{0x30, 0x00}}
			}
		}
		out = append(out, ext)
	}
	return out, nil
}

// mergeKeyUsage drops the usages Magnum does not grant, or refuses them when
// the extension is critical.
func mergeKeyUsage(ext pkix.Extension) (pkix.Extension, error) {
	var bits asn1.BitString
	if _, err := asn1.Unmarshal(ext.Value, &bits); err != nil {
		return ext, &ExtensionNotAllowedError{OID: ext.Id, Name: "keyUsage", Detail: "malformed"}
	}
	var usages [kuCount]bool
	for i := range usages {
		usages[i] = bits.At(i) == 1
	}
	// pyca/cryptography reports encipherOnly/decipherOnly as unset unless
	// keyAgreement is set, so Magnum silently drops them in that case.
	if !usages[kuKeyAgreement] {
		usages[kuEncipherOnly], usages[kuDecipherOnly] = false, false
	}
	for i, set := range usages {
		if set && !allowedKeyUsage[i] {
			if ext.Critical {
				return ext, &ExtensionNotAllowedError{OID: ext.Id, Name: "keyUsage", Detail: keyUsageNames[i] + " may not be requested"}
			}
			usages[i] = false
		}
	}
	value, err := marshalKeyUsage(usages)
	if err != nil {
		return ext, err
	}
	return pkix.Extension{Id: oidKeyUsage, Critical: ext.Critical, Value: value}, nil
}

type basicConstraints struct {
	IsCA       bool `asn1:"optional"`
	MaxPathLen int  `asn1:"optional,default:-1"`
}

// marshalKeyUsage encodes the usages as a DER BIT STRING without trailing
// zero bits, as DER requires for named bit lists.
func marshalKeyUsage(usages [kuCount]bool) ([]byte, error) {
	last := -1
	for i, set := range usages {
		if set {
			last = i
		}
	}
	bs := asn1.BitString{BitLength: last + 1, Bytes: make([]byte, (last+8)/8)}
	for i, set := range usages {
		if set {
			bs.Bytes[i/8] |= 0x80 >> uint(i%8)
		}
	}
	return asn1.Marshal(bs)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generating serial number: %w", err)
	}
	// A zero serial is not allowed by RFC 5280.
	if serial.Sign() == 0 {
		serial.SetInt64(1)
	}
	return serial, nil
}

// pythonBytesRepr renders b the way Python 3's repr(bytes) does, because
// Magnum interpolates the encoded CSR into its error message.
func pythonBytesRepr(b []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(b, '\'') >= 0 && bytes.IndexByte(b, '"') < 0 {
		quote = '"'
	}
	var sb strings.Builder
	sb.WriteString("b")
	sb.WriteByte(quote)
	for _, c := range b {
		switch {
		case c == quote || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c == '\t':
			sb.WriteString(`\t`)
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, c)
		default:
			sb.WriteByte(c)
		}
	}
	sb.WriteByte(quote)
	return sb.String()
}

// ErrNotSignedByCA is returned by VerifyClient when a certificate does not
// chain to the CA.
var ErrNotSignedByCA = errors.New("certificate is not signed by this CA")

// VerifyClient checks that certPEM was issued by this CA and is usable for
// client authentication at the given time.
func (c *CA) VerifyClient(certPEM string, now time.Time) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil {
		return nil, errors.New("no PEM certificate found")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       c.pool,
		CurrentTime: now,
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotSignedByCA, err)
	}
	return cert, nil
}
