package sim

import (
	"errors"
	"net/http"
	"strings"

	"github.com/magnumtf/terraform-provider-magnum/internal/sim/pki"
)

// Certificates (/v1/certificates): each cluster's CAs and the CSR signing
// `openstack coe cluster config` relies on.

// certAllowed is the default certificate:get/create policy: the user who
// created the cluster, or an admin. The lookup has already confined the
// caller to the cluster's project, so another project's admin never gets
// this far (FINDINGS #278-#281).
func certAllowed(p *principal, c *clusterRow) bool {
	return p.user.id == c.userID || p.isAdmin()
}

// caFor returns the CA for ca_cert_type, creating the etcd and front-proxy
// CAs on first use: they are distinct from the Kubernetes CA, and unknown
// types fall back to the Kubernetes CA as Magnum does. Callers hold st.mu.
func (s *magnumService) caFor(c *clusterRow, caType string) (*pki.CA, error) {
	slot := &c.ca
	switch caType {
	case "etcd":
		slot = &c.etcdCA
	case "front_proxy", "front-proxy":
		slot = &c.proxyCA
	}
	if *slot == nil {
		ca, err := pki.NewCA(c.name, s.now())
		if err != nil {
			return nil, err
		}
		*slot = ca
	}
	return *slot, nil
}

func (s *magnumService) certBody(c *clusterRow, base string) *pyDict {
	out := newPyDict()
	if s.profile.bays {
		out.Set("bay_uuid", c.uuid)
	}
	out.Set("cluster_uuid", c.uuid)
	out.Set("links", s.clusterLink(base, "certificates", c.uuid))
	return out
}

func (s *magnumService) getCertificate(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	if aerr := checkQueryArgs(r, "ca_cert_type"); aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	if aerr == nil && !certAllowed(c.p, cl) {
		aerr = errf(http.StatusForbidden, "Policy doesn't allow certificate:get to be performed.")
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	ca, err := s.caFor(cl, r.URL.Query().Get("ca_cert_type"))
	if err != nil {
		writeMagnumError(w, errf(http.StatusInternalServerError, "%v", err))
		return
	}
	out := s.certBody(cl, c.base)
	out.Set("pem", ca.CertPEM())
	writeMagnumJSON(w, http.StatusOK, out)
}

func (s *magnumService) signCertificate(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	body, aerr := readJSONBody(r)
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	in, ok := body.(*pyDict)
	if !ok {
		if body == nil {
			writeMagnumError(w, invalidInput("certificate", nil, "Mandatory field missing."))
		} else {
			writeMagnumError(w, invalidInput("certificate", body, "Value not a valid dict: "+pyStr(body)))
		}
		return
	}
	allowed := map[string]bool{"cluster_uuid": true, "csr": true, "ca_cert_type": true, "links": true, "pem": true}
	if s.profile.bays {
		allowed["bay_uuid"] = true
	}
	var unknown []string
	for _, k := range in.Keys() {
		if ks, _ := k.(string); !allowed[ks] {
			unknown = append(unknown, pyStr(k))
		}
	}
	if len(unknown) > 0 {
		writeMagnumError(w, errf(http.StatusBadRequest, "Unknown attribute for argument certificate: %s", strings.Join(unknown, ", ")))
		return
	}
	ident, _ := in.Get("cluster_uuid")
	if ident == nil {
		ident, _ = in.Get("bay_uuid")
	}
	id, isStr := ident.(string)
	if !isStr || id == "" {
		// Magnum 15 tries to send the unset attribute over RPC and fails
		// to serialise it (FINDINGS #274).
		writeMagnumError(w, errf(http.StatusInternalServerError, "Circular reference detected"))
		return
	}
	csr, _ := in.Get("csr")
	caType, _ := in.Get("ca_cert_type")
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, id, scopeOwn)
	if aerr != nil {
		aerr.status = http.StatusBadRequest
		writeMagnumError(w, aerr)
		return
	}
	if !certAllowed(c.p, cl) {
		writeMagnumError(w, errf(http.StatusForbidden, "Policy doesn't allow certificate:create to be performed."))
		return
	}
	ca, err := s.caFor(cl, pyStr(caType))
	if err != nil {
		writeMagnumError(w, errf(http.StatusInternalServerError, "%v", err))
		return
	}
	csrPEM, _ := csr.(string)
	pem, err := ca.SignCSR(csrPEM, s.now())
	var invalid *pki.InvalidCSRError
	var ext *pki.ExtensionNotAllowedError
	switch {
	case errors.As(err, &invalid):
		writeMagnumError(w, errf(http.StatusBadRequest, "%s", invalid.Error()))
		return
	case errors.As(err, &ext):
		// Real Magnum answers this only after its 60 s RPC timeout; the
		// simulator gives the same answer at once.
		writeMagnumError(w, errf(http.StatusInternalServerError, "Timed out waiting for a reply to message ID %s", randomHex(16)))
		return
	case err != nil:
		writeMagnumError(w, errf(http.StatusInternalServerError, "%v", err))
		return
	}
	out := s.certBody(cl, c.base)
	out.Set("csr", csrPEM)
	out.Set("pem", pem)
	writeMagnumJSON(w, http.StatusCreated, out)
}

func (s *magnumService) rotateCertificate(w http.ResponseWriter, r *http.Request, c *magnumCall) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	cl, aerr := s.findCluster(c.p, r.PathValue("id"), scopeOwn)
	if aerr == nil {
		aerr = s.cond.rotateCA(cl)
	}
	if aerr != nil {
		writeMagnumError(w, aerr)
		return
	}
	writeMagnumJSON(w, http.StatusAccepted, map[string]any{"uuid": cl.uuid})
}
