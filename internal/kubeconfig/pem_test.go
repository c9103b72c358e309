package kubeconfig

import (
	"strings"
	"testing"
	"time"
)

func TestParseCertsPEM(t *testing.T) {
	t.Parallel()
	old, cur := newTestCA(t, "old"), newTestCA(t, "new")
	_, keyPEM, err := NewKey(KeyECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		in      string
		wantCNs []string
		wantErr string
	}{
		{"single", cur.pem, []string{"new"}, ""},
		{"bundle keeps order", old.pem + cur.pem, []string{"old", "new"}, ""},
		{"other blocks skipped", keyPEM + "\n" + cur.pem, []string{"new"}, ""},
		{"CRLF line endings", strings.ReplaceAll(cur.pem, "\n", "\r\n"), []string{"new"}, ""},
		{"empty", "", nil, "no PEM certificate"},
		{"key only", keyPEM, nil, "no PEM certificate"},
		{"garbage DER", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", nil, "parsing certificate 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			certs, err := ParseCertsPEM(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var cns []string
			for _, c := range certs {
				cns = append(cns, c.Subject.CommonName)
			}
			if strings.Join(cns, ",") != strings.Join(tc.wantCNs, ",") {
				t.Fatalf("CNs = %v, want %v", cns, tc.wantCNs)
			}
		})
	}
}

func TestCertNotAfter(t *testing.T) {
	t.Parallel()
	ca := newTestCA(t, "bay")
	want := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	certPEM, _ := ca.newClient(t, want)
	got, err := CertNotAfter(certPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("CertNotAfter = %s, want %s", got, want)
	}
	if _, err := CertNotAfter("not a pem"); err == nil {
		t.Fatal("CertNotAfter accepted garbage")
	}
}

func FuzzParseCertPEM(f *testing.F) {
	ca := newTestCA(f, "seed")
	f.Add(ca.pem)
	f.Add(ca.pem + ca.pem)
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	f.Add("-----BEGIN CERTIFICATE-----\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		certs, err := ParseCertsPEM(s)
		if err == nil && len(certs) == 0 {
			t.Fatal("no certificates and no error")
		}
		first, err1 := ParseCertPEM(s)
		if (err == nil) != (err1 == nil) {
			t.Fatalf("ParseCertsPEM err=%v but ParseCertPEM err=%v", err, err1)
		}
		if err == nil && first != certs[0] && !first.Equal(certs[0]) {
			t.Fatal("ParseCertPEM did not return the first certificate")
		}
		if _, err := CertNotAfter(s); (err == nil) != (err1 == nil) {
			t.Fatalf("CertNotAfter disagrees with ParseCertPEM on %q", s)
		}
	})
}
