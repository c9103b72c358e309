package kubeconfig

import "strings"

// DockerSettings is what a Docker client needs to reach a Swarm bay: the
// DOCKER_HOST value and, unless TLS is disabled, the three PEMs that go into
// DOCKER_CERT_PATH as ca.pem, cert.pem and key.pem.
type DockerSettings struct {
	Host      string
	CAPEM     string
	CertPEM   string
	KeyPEM    string
	TLSVerify bool
}

// DockerTLS builds DockerSettings from a Swarm bay's api_address and
// credentials. Magnum already reports swarm addresses as tcp://IP:port; a bare
// host:port gets the tcp scheme Docker requires. TLS verification is on only
// when all three PEMs are present, matching magnumclient, which leaves
// DOCKER_TLS_VERIFY empty for tls_disabled templates.
func DockerTLS(apiAddress, ca, cert, key string) DockerSettings {
	host := apiAddress
	if host != "" && !strings.Contains(host, "://") {
		host = "tcp://" + host
	}
	s := DockerSettings{Host: host}
	if ca != "" && cert != "" && key != "" {
		s.CAPEM, s.CertPEM, s.KeyPEM = ca, cert, key
		s.TLSVerify = true
	}
	return s
}

// Env returns the environment for the docker CLI, with certPath the directory
// the caller wrote ca.pem, cert.pem and key.pem into.
func (d DockerSettings) Env(certPath string) map[string]string {
	env := map[string]string{"DOCKER_HOST": d.Host}
	if d.TLSVerify {
		env["DOCKER_CERT_PATH"] = certPath
		env["DOCKER_TLS_VERIFY"] = "1"
	}
	return env
}
