package kubeconfig

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"
)

// ParseCertPEM returns the first certificate in s, skipping any other PEM
// blocks (a key pasted before the certificate, for instance).
func ParseCertPEM(s string) (*x509.Certificate, error) {
	certs, err := ParseCertsPEM(s)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// ParseCertsPEM returns every certificate in s, in order. A CA bundle may
// hold several once Magnum has rotated the CA and an operator concatenated
// old and new.
func ParseCertsPEM(s string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := []byte(s)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parsing certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// CertNotAfter returns the expiry of the first certificate in certPEM.
func CertNotAfter(certPEM string) (time.Time, error) {
	c, err := ParseCertPEM(certPEM)
	if err != nil {
		return time.Time{}, err
	}
	return c.NotAfter, nil
}
