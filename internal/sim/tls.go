package sim

import (
	"crypto/tls"
	"net"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// serveTLS wraps the listener in TLS with a server certificate for
// 127.0.0.1 and localhost, signed by a CA made for this simulator alone, so
// a client verifies it only when given CACertPEM.
func (s *Sim) serveTLS(ln net.Listener) (net.Listener, error) {
	ca, err := pki.NewCA("magnum-sim test CA", s.now())
	if err != nil {
		return nil, err
	}
	cert, err := ca.IssueServerCert(nil, s.now())
	if err != nil {
		return nil, err
	}
	s.caPEM = ca.CertPEM()
	return tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// HTTP/1.1 only: the reset and drop-response faults hijack the
		// connection, which HTTP/2 does not allow.
		NextProtos: []string{"http/1.1"},
	}), nil
}

// CACertPEM is the PEM certificate of the CA that signed the HTTPS
// listener's certificate (Options.TLS), for cacert_file or OS_CACERT; empty
// when the simulator serves plain HTTP.
func (s *Sim) CACertPEM() string { return s.caPEM }
