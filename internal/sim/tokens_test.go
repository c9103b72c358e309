package sim

import (
	"net/http"
	"slices"
	"testing"
)

func TestIssuedTokens(t *testing.T) {
	s := startSim(t, Options{})
	if got := s.IssuedTokens(); len(got) != 0 {
		t.Fatalf("a fresh simulator holds tokens: %v", got)
	}
	first := login(t, s, "demo")
	second := login(t, s, "alt")
	got := s.IssuedTokens()
	if len(got) != 2 || !slices.Contains(got, first) || !slices.Contains(got, second) {
		t.Fatalf("IssuedTokens() = %v, want %q and %q", got, first, second)
	}
	if !slices.IsSorted(got) {
		t.Errorf("IssuedTokens() not sorted: %v", got)
	}
}

func TestSetPassword(t *testing.T) {
	s := startSim(t, Options{})
	if err := s.SetPassword("demo", "n3w-Passw0rd"); err != nil {
		t.Fatal(err)
	}
	if got := s.Credentials("demo").Password; got != "n3w-Passw0rd" {
		t.Fatalf("Credentials reports password %q", got)
	}
	auth := func(password string) int {
		body := passwordAuth("demo", "demo")
		body["auth"].(map[string]any)["identity"].(map[string]any)["password"].(map[string]any)["user"].(map[string]any)["password"] = password
		return call(t, "POST", s.AuthURL()+"/auth/tokens", "", body).status
	}
	if got := auth("n3w-Passw0rd"); got != http.StatusCreated {
		t.Errorf("login with the new password: %d", got)
	}
	if got := auth(simPassword); got != http.StatusUnauthorized {
		t.Errorf("login with the old password: %d", got)
	}
	if err := s.SetPassword("nobody", "x"); err == nil {
		t.Fatal("an unknown user was accepted")
	}
}
