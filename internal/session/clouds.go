package session

import (
	"crypto/tls"

	"github.com/gophercloud/gophercloud/v2"
	"github.com/gophercloud/gophercloud/v2/openstack/config/clouds"
)

// CloudEntry is one clouds.yaml cloud as gophercloud flattens it.
type CloudEntry struct {
	AuthOptions gophercloud.AuthOptions
	Endpoint    gophercloud.EndpointOpts
	TLS         *tls.Config
}

// CloudsLoader reads the named cloud; getenv supplies OS_CLIENT_CONFIG_FILE.
type CloudsLoader func(name string, getenv func(string) string) (CloudEntry, error)

// LoadCloudsYAML reads a cloud with gophercloud's parser. The region and
// interface options are blanked so the result holds only what the file says;
// Resolve applies the environment on top with the CLI's precedence.
func LoadCloudsYAML(name string, getenv func(string) string) (CloudEntry, error) {
	opts := []clouds.ParseOption{clouds.WithCloudName(name), clouds.WithRegion(""), clouds.WithEndpointType("")}
	if f := getenv("OS_CLIENT_CONFIG_FILE"); f != "" {
		opts = append(opts, clouds.WithLocations(f))
	}
	ao, eo, tlsConfig, err := clouds.Parse(opts...)
	if err != nil {
		return CloudEntry{}, err
	}
	return CloudEntry{AuthOptions: ao, Endpoint: eo, TLS: tlsConfig}, nil
}
