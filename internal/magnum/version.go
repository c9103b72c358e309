package magnum

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Magnum API microversion such as 1.10. It compares
// numerically, so 1.9 sorts before 1.10.
type Version struct {
	Major, Minor int
}

// Microversions this client knows how to speak. A cloud offering more is
// driven at MaxKnownVersion; fields added after it are ignored.
var (
	MinServerVersion = Version{1, 1} // Magnum treats a request without a header as 1.1.
	MaxKnownVersion  = Version{1, 14}
)

// Microversions that gate features, named so that call sites read as intent.
var (
	VersionResize    = Version{1, 7}
	VersionUpgrade   = Version{1, 8}
	VersionNodeGroup = Version{1, 9}
	VersionZeroNodes = Version{1, 10}
	VersionClusterID = Version{1, 13}
)

// ParseVersion reads "1.10". It also accepts the header form
// "container-infra 1.10" that Magnum echoes in its responses.
func ParseVersion(s string) (Version, error) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		s = s[i+1:]
	}
	major, minor, ok := strings.Cut(s, ".")
	if !ok {
		return Version{}, fmt.Errorf("invalid microversion %q: want MAJOR.MINOR", s)
	}
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil || ma < 0 || mi < 0 {
		return Version{}, fmt.Errorf("invalid microversion %q: want MAJOR.MINOR", s)
	}
	return Version{Major: ma, Minor: mi}, nil
}

// MustParseVersion is ParseVersion for constants known to be valid.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// IsZero reports whether v is unset.
func (v Version) IsZero() bool { return v == Version{} }

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	if v.Major != o.Major {
		return v.Major < o.Major
	}
	return v.Minor < o.Minor
}

// AtLeast reports whether v is o or newer.
func (v Version) AtLeast(o Version) bool { return !v.Less(o) }

func minVersion(vs ...Version) Version {
	m := vs[0]
	for _, v := range vs[1:] {
		if v.Less(m) {
			m = v
		}
	}
	return m
}
