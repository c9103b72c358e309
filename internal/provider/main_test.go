package provider

import (
	"os"
	"testing"

	"github.com/magnumtf/terraform-provider-magnum/internal/phasecache"
)

// TestMain turns the phase cache off for this package's tests unless the
// caller set it: each test starts a simulator of its own, whose grid must
// not reach another test that gets the same port later. The tests of the
// cache turn it on in a directory of their own.
func TestMain(m *testing.M) {
	if _, set := os.LookupEnv(phasecache.EnvVar); !set {
		_ = os.Setenv(phasecache.EnvVar, "off")
	}
	os.Exit(m.Run())
}
