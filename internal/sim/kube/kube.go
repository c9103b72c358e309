// Package kube serves a tiny Kubernetes API endpoint for one simulated bay:
// HTTPS on loopback with a server certificate from the bay's CA, client
// certificates required and verified against that CA. It implements just
// enough of the API (version, discovery, namespaces, nodes) for kubectl to work
// with a kubeconfig built from Magnum's certificate endpoints, which is what
// proves the provider's kubeconfig output is usable.
package kube

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// DefaultGitVersion is what /version reports until SetVersion is called; it
// matches the kube_tag the captured Magnum 15 clusters ran.
const DefaultGitVersion = "v1.23.3"

// Request is what the server recorded about one authenticated request.
type Request struct {
	Method  string
	Path    string
	Subject pkix.Name
}

// Server is one bay's Kubernetes API endpoint. It is safe for concurrent
// use.
type Server struct {
	clusterName string
	ln          net.Listener
	srv         *http.Server
	url         string
	now         func() time.Time

	mu         sync.Mutex
	ca         *pki.CA
	tlsConfig  *tls.Config
	gitVersion string
	namespaces map[string]*namespace
	nodes      map[string]*nodeEntry
	requests   []Request
	conns      map[net.Conn]struct{}
	rvCounter  int
	// serveErr is why the server stopped serving before Close.
	serveErr error
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func Start(ca *pki.CA, clusterName string) (*Server, error) {
	if ca == nil {
		return nil, errors.New("kube: a CA is required")
	}
	s := &Server{
		clusterName: clusterName,
		now:         time.Now,
		gitVersion:  DefaultGitVersion,
		namespaces:  map[string]*namespace{},
		nodes:       map[string]*nodeEntry{},
		conns:       map[net.Conn]struct{}{},
	}
	if err := s.setCA(ca); err != nil {
		return nil, err
	}
	created := s.now().Add(-time.Hour)
	for _, name := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		s.addNamespace(name, created)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("kube: listen: %w", err)
	}
	s.ln = ln
	s.url = "https://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		// The config is looked up per handshake so that RotateCA takes
		// effect for every new connection.
		TLSConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
				s.mu.Lock()
				defer s.mu.Unlock()
				return s.tlsConfig, nil
			},
		},
		ConnState: s.trackConn,
		ErrorLog:  discardLogger(),
	}
	go func() {
		if err := s.srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
			s.mu.Lock()
			s.serveErr = fmt.Errorf("kube: serving: %w", err)
			s.mu.Unlock()
		}
	}()
	return s, nil
}

// Err is why the server stopped serving before Close was called; nil
// while it serves.
func (s *Server) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serveErr
}

// URL is the endpoint for a kubeconfig's server field, e.g.
// "https://127.0.0.1:40123".
func (s *Server) URL() string { return s.url }

// Close stops the server and drops every connection.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// RotateCA switches the endpoint to a new CA, as Magnum's CA rotation does
// on the nodes: the server certificate is reissued, client certificates
// from the old CA are refused, and open connections are closed so that
// nobody keeps talking over a session authenticated by the old CA.
func (s *Server) RotateCA(ca *pki.CA) error {
	if err := s.setCA(ca); err != nil {
		return err
	}
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return nil
}

// SetVersion changes the gitVersion reported by /version, e.g. after a
// simulated upgrade.
func (s *Server) SetVersion(gitVersion string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gitVersion = gitVersion
}

// Requests returns every authenticated request served so far, oldest first,
// with the subject of the client certificate that made it.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// LastSubject is the client certificate subject of the most recent request,
// and false when there has been none.
func (s *Server) LastSubject() (pkix.Name, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		return pkix.Name{}, false
	}
	return s.requests[len(s.requests)-1].Subject, true
}

func (s *Server) setCA(ca *pki.CA) error {
	if ca == nil {
		return errors.New("kube: a CA is required")
	}
	cert, err := ca.IssueServerCert([]string{"127.0.0.1", "localhost"}, time.Now())
	if err != nil {
		return fmt.Errorf("kube: issuing server certificate: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		NextProtos:   []string{"h2", "http/1.1"},
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ca = ca
	s.tlsConfig = cfg
	return nil
}

func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch state {
	case http.StateNew:
		s.conns[c] = struct{}{}
	case http.StateClosed, http.StateHijacked:
		delete(s.conns, c)
	}
}

func (s *Server) record(r *http.Request) {
	var subject pkix.Name
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		subject = r.TLS.PeerCertificates[0].Subject
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Subject: subject})
}

// peerVerifiedBy reports whether the request's client certificate chains to
// ca. A connection set up before RotateCA is closed by it, but a request
// could still race in; this check makes the rotation airtight.
func peerVerifiedBy(r *http.Request, ca *pki.CA) bool {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return false
	}
	_, err := r.TLS.PeerCertificates[0].Verify(x509.VerifyOptions{
		Roots:     ca.Pool(),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return err == nil
}
