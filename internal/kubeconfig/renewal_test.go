package kubeconfig

import (
	"strings"
	"testing"
	"time"
)

func TestNeedsRenewal(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	ca := newTestCA(t, "bay")
	rotated := newTestCA(t, "bay")
	const addr = "https://10.0.0.5:6443"

	fresh, freshKey := ca.newClient(t, now.Add(365*24*time.Hour))
	soon, soonKey := ca.newClient(t, now.Add(10*24*time.Hour))
	expired, expiredKey := ca.newClient(t, now.Add(-time.Hour))
	foreign, foreignKey := rotated.newClient(t, now.Add(365*24*time.Hour))
	_, otherKey := ca.newClient(t, now.Add(365*24*time.Hour))

	cred := func(cert, key, caPEM, address string) Credentials {
		return Credentials{CertPEM: cert, KeyPEM: key, CAPEM: caPEM, APIAddress: address}
	}
	cases := []struct {
		name        string
		current     Credentials
		caPEM, addr string
		renewBefore time.Duration
		want        bool
		reason      string
	}{
		{"fresh certificate", cred(fresh, freshKey, ca.pem, addr), ca.pem, addr, 0, false, ""},
		{"CA PEM reformatted only", cred(fresh, freshKey, strings.ReplaceAll(ca.pem, "\n", "\r\n")+"\n", addr), ca.pem, addr, 0, false, ""},
		{"nothing cached", Credentials{APIAddress: addr}, ca.pem, addr, 0, true, "no client certificate"},
		{"unreadable certificate", cred("garbage", freshKey, ca.pem, addr), ca.pem, addr, 0, true, "cannot be read"},
		{"key does not match", cred(fresh, otherKey, ca.pem, addr), ca.pem, addr, 0, true, "key does not match"},
		{"api_address changed", cred(fresh, freshKey, ca.pem, "https://10.0.0.9:6443"), ca.pem, addr, 0, true, "API address changed"},
		{"CA rotated", cred(fresh, freshKey, ca.pem, addr), rotated.pem, addr, 0, true, "CA certificate changed"},
		// The cached CA matches but the certificate came from elsewhere, e.g.
		// state edited by hand or a CA rotated twice back to an old PEM.
		{"cert not signed by CA", cred(foreign, foreignKey, ca.pem, addr), ca.pem, addr, 0, true, "not signed by the cluster's current CA"},
		{"CA bundle containing the signer", cred(foreign, foreignKey, ca.pem+rotated.pem, addr), ca.pem + rotated.pem, addr, 0, false, ""},
		{"expires within default 30 days", cred(soon, soonKey, ca.pem, addr), ca.pem, addr, 0, true, "within the renewal window of 720h0m0s"},
		{"outside a shorter window", cred(soon, soonKey, ca.pem, addr), ca.pem, addr, 24 * time.Hour, false, ""},
		{"already expired", cred(expired, expiredKey, ca.pem, addr), ca.pem, addr, 0, true, "expired at"},
		{"TLS disabled, nothing cached", Credentials{APIAddress: "http://10.0.0.5:8080"}, "", "http://10.0.0.5:8080", 0, false, ""},
		{"TLS turned off", cred(fresh, freshKey, ca.pem, addr), "", addr, 0, true, "no longer uses TLS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, reason := NeedsRenewal(tc.current, tc.caPEM, tc.addr, now, tc.renewBefore)
			if got != tc.want {
				t.Fatalf("NeedsRenewal = %v (%q), want %v", got, reason, tc.want)
			}
			if tc.want && !strings.Contains(reason, tc.reason) {
				t.Fatalf("reason = %q, want it to contain %q", reason, tc.reason)
			}
			if !tc.want && reason != "" {
				t.Fatalf("no renewal but reason %q", reason)
			}
		})
	}
}

func FuzzNeedsRenewal(f *testing.F) {
	ca := newTestCA(f, "seed")
	cert, key := ca.newClient(f, time.Now().Add(time.Hour))
	f.Add(cert, key, ca.pem, ca.pem)
	f.Add("", "", "", ca.pem)
	f.Add("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n", key, ca.pem, ca.pem)
	f.Fuzz(func(t *testing.T, certPEM, keyPEM, cachedCA, caPEM string) {
		renew, reason := NeedsRenewal(Credentials{CertPEM: certPEM, KeyPEM: keyPEM, CAPEM: cachedCA, APIAddress: "a"}, caPEM, "a", time.Now(), 0)
		if renew == (reason == "") {
			t.Fatalf("renew=%v but reason=%q", renew, reason)
		}
	})
}
