package kubeconfig

import (
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Names python-magnumclient writes; kept identical so scripts that select
// `--context default` or the `admin` user work with either tool.
const (
	ContextName = "default"
	UserName    = "admin"
)

// Params is everything a kubeconfig for one Magnum cluster carries.
type Params struct {
	// ClusterName names the kubeconfig cluster entry; Magnum's own name for
	// the bay keeps several kubeconfigs mergeable.
	ClusterName string
	// APIAddress is the cluster's api_address, already a full URL.
	APIAddress string
	// TLSDisabled is the template's tls_disabled: the file then holds only
	// the server address, as there is no CA and no client certificate.
	TLSDisabled   bool
	CACertPEM     string
	ClientCertPEM string
	ClientKeyPEM  string
}

// The structs mirror the subset of client-go's clientcmd v1 schema that
// Magnum credentials need. Field order follows kubectl's own output so a
// rendered file diffs cleanly against `kubectl config view --raw`.
type kubeConfig struct {
	APIVersion     string         `yaml:"apiVersion"`
	Kind           string         `yaml:"kind"`
	Clusters       []namedCluster `yaml:"clusters"`
	Contexts       []namedContext `yaml:"contexts"`
	CurrentContext string         `yaml:"current-context"`
	Preferences    struct{}       `yaml:"preferences"`
	Users          []namedUser    `yaml:"users,omitempty"`
}

type namedCluster struct {
	Name    string  `yaml:"name"`
	Cluster cluster `yaml:"cluster"`
}

type cluster struct {
	Server                   string `yaml:"server"`
	CertificateAuthorityData string `yaml:"certificate-authority-data,omitempty"`
}

type namedContext struct {
	Name    string  `yaml:"name"`
	Context context `yaml:"context"`
}

type context struct {
	Cluster string `yaml:"cluster"`
	User    string `yaml:"user,omitempty"`
}

type namedUser struct {
	Name string `yaml:"name"`
	User user   `yaml:"user"`
}

type user struct {
	ClientCertificateData string `yaml:"client-certificate-data,omitempty"`
	ClientKeyData         string `yaml:"client-key-data,omitempty"`
}

// Render returns kubeconfig YAML for in. With TLS on it checks that the CA
// parses and that the client certificate and key belong together, so that a
// broken file fails here rather than in a later kubectl call.
func Render(in Params) (string, error) {
	if in.ClusterName == "" {
		return "", errors.New("kubeconfig: cluster name is empty")
	}
	if in.APIAddress == "" {
		return "", fmt.Errorf("kubeconfig: cluster %q has no api_address yet", in.ClusterName)
	}
	cfg := kubeConfig{
		APIVersion:     "v1",
		Kind:           "Config",
		Clusters:       []namedCluster{{Name: in.ClusterName, Cluster: cluster{Server: in.APIAddress}}},
		Contexts:       []namedContext{{Name: ContextName, Context: context{Cluster: in.ClusterName}}},
		CurrentContext: ContextName,
	}
	if !in.TLSDisabled {
		if err := checkTLSMaterial(in.CACertPEM, in.ClientCertPEM, in.ClientKeyPEM); err != nil {
			return "", fmt.Errorf("kubeconfig for cluster %q: %w", in.ClusterName, err)
		}
		cfg.Clusters[0].Cluster.CertificateAuthorityData = b64(in.CACertPEM)
		cfg.Contexts[0].Context.User = UserName
		cfg.Users = []namedUser{{Name: UserName, User: user{
			ClientCertificateData: b64(in.ClientCertPEM),
			ClientKeyData:         b64(in.ClientKeyPEM),
		}}}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return "", fmt.Errorf("kubeconfig: encoding YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("kubeconfig: encoding YAML: %w", err)
	}
	return buf.String(), nil
}

// Parse reads a kubeconfig back into Params, following current-context to its
// cluster and user. It accepts what Render writes and what magnumclient
// writes, and is how a stored kubeconfig is checked for staleness.
func Parse(raw string) (Params, error) {
	var cfg kubeConfig
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		return Params{}, fmt.Errorf("kubeconfig: invalid YAML: %w", err)
	}
	ctxName := cfg.CurrentContext
	if ctxName == "" {
		return Params{}, errors.New("kubeconfig: no current-context")
	}
	var ctx *context
	for i := range cfg.Contexts {
		if cfg.Contexts[i].Name == ctxName {
			ctx = &cfg.Contexts[i].Context
			break
		}
	}
	if ctx == nil {
		return Params{}, fmt.Errorf("kubeconfig: current-context %q is not defined", ctxName)
	}
	var cl *cluster
	for i := range cfg.Clusters {
		if cfg.Clusters[i].Name == ctx.Cluster {
			cl = &cfg.Clusters[i].Cluster
			break
		}
	}
	if cl == nil {
		return Params{}, fmt.Errorf("kubeconfig: context %q names undefined cluster %q", ctxName, ctx.Cluster)
	}
	out := Params{ClusterName: ctx.Cluster, APIAddress: cl.Server}
	ca, err := unb64("certificate-authority-data", cl.CertificateAuthorityData)
	if err != nil {
		return Params{}, err
	}
	out.CACertPEM = ca
	var u *user
	if ctx.User != "" {
		for i := range cfg.Users {
			if cfg.Users[i].Name == ctx.User {
				u = &cfg.Users[i].User
				break
			}
		}
		if u == nil {
			return Params{}, fmt.Errorf("kubeconfig: context %q names undefined user %q", ctxName, ctx.User)
		}
		if out.ClientCertPEM, err = unb64("client-certificate-data", u.ClientCertificateData); err != nil {
			return Params{}, err
		}
		if out.ClientKeyPEM, err = unb64("client-key-data", u.ClientKeyData); err != nil {
			return Params{}, err
		}
	}
	out.TLSDisabled = out.CACertPEM == "" && out.ClientCertPEM == "" && out.ClientKeyPEM == ""
	return out, nil
}

func checkTLSMaterial(caPEM, certPEM, keyPEM string) error {
	switch {
	case caPEM == "":
		return errors.New("the cluster CA certificate is empty")
	case certPEM == "":
		return errors.New("the client certificate is empty")
	case keyPEM == "":
		return errors.New("the client key is empty")
	}
	if _, err := ParseCertsPEM(caPEM); err != nil {
		return fmt.Errorf("cluster CA certificate: %w", err)
	}
	if _, err := tls.X509KeyPair([]byte(certPEM), []byte(keyPEM)); err != nil {
		return fmt.Errorf("client certificate and key do not form a pair: %w", err)
	}
	return nil
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func unb64(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", fmt.Errorf("kubeconfig: %s is not base64: %w", field, err)
	}
	return string(b), nil
}
