package sim

import (
	"fmt"
	"sort"
)

// IssuedTokens returns the ID of every Keystone token the simulator has
// issued and still holds, expired ones included, sorted. Tests use it to
// check that no token a client was given ends up in a log or a state file.
// Revoked tokens are forgotten, and tokens expired for more than an hour are
// pruned when the next one is issued.
func (s *Sim) IssuedTokens() []string {
	s.ident.mu.Lock()
	defer s.ident.mu.Unlock()
	out := make([]string, 0, len(s.ident.tokens))
	for id := range s.ident.tokens {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// SetPassword changes a user's password, so a test can use one that cannot
// be mistaken for an ordinary word when it searches a log for it. Call it
// before anything logs in: logins read passwords without a lock.
func (s *Sim) SetPassword(userName, password string) error {
	u := s.ident.users[userName]
	if u == nil {
		return fmt.Errorf("sim: no user %q", userName)
	}
	u.password = password
	return nil
}
