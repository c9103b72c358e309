package kubeconfig

import (
	"maps"
	"testing"
)

func TestDockerTLS(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		addr          string
		ca, cert, key string
		want          DockerSettings
		wantEnv       map[string]string
	}{
		{
			name: "swarm with TLS", addr: "tcp://10.0.0.7:2376", ca: "CA", cert: "CERT", key: "KEY",
			want:    DockerSettings{Host: "tcp://10.0.0.7:2376", CAPEM: "CA", CertPEM: "CERT", KeyPEM: "KEY", TLSVerify: true},
			wantEnv: map[string]string{"DOCKER_HOST": "tcp://10.0.0.7:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1"},
		},
		{
			name: "tls_disabled template", addr: "tcp://10.0.0.7:2375",
			want:    DockerSettings{Host: "tcp://10.0.0.7:2375"},
			wantEnv: map[string]string{"DOCKER_HOST": "tcp://10.0.0.7:2375"},
		},
		{
			name: "bare host:port gets tcp scheme", addr: "10.0.0.7:2376", ca: "CA", cert: "CERT", key: "KEY",
			want:    DockerSettings{Host: "tcp://10.0.0.7:2376", CAPEM: "CA", CertPEM: "CERT", KeyPEM: "KEY", TLSVerify: true},
			wantEnv: map[string]string{"DOCKER_HOST": "tcp://10.0.0.7:2376", "DOCKER_CERT_PATH": "/certs", "DOCKER_TLS_VERIFY": "1"},
		},
		{
			// Half the material is no use to docker; verifying would only fail.
			name: "partial credentials", addr: "tcp://h:2376", ca: "CA",
			want:    DockerSettings{Host: "tcp://h:2376"},
			wantEnv: map[string]string{"DOCKER_HOST": "tcp://h:2376"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := DockerTLS(tc.addr, tc.ca, tc.cert, tc.key)
			if got != tc.want {
				t.Fatalf("DockerTLS = %+v, want %+v", got, tc.want)
			}
			if env := got.Env("/certs"); !maps.Equal(env, tc.wantEnv) {
				t.Fatalf("Env = %v, want %v", env, tc.wantEnv)
			}
		})
	}
}
