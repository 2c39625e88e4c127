package authn

import (
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"skiff/pkg/apiserver/request"
)

// TokenFile authenticates bearer tokens listed in a CSV file in Kubernetes'
// format: token,user,uid,"group1,group2" (the groups column is optional).
type TokenFile struct {
	tokens map[string]*request.User
}

var _ Authenticator = (*TokenFile)(nil)

// LoadTokenFile reads a token file.
func LoadTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.Comment = '#'
	tf := &TokenFile{tokens: map[string]*request.User{}}
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("token file %s: %w", path, err)
		}
		if len(rec) < 3 || rec[0] == "" || rec[1] == "" {
			return nil, fmt.Errorf("token file %s: line %d: want token,user,uid[,\"groups\"]", path, line)
		}
		u := &request.User{Name: rec[1], UID: rec[2]}
		if len(rec) > 3 && rec[3] != "" {
			for _, g := range strings.Split(rec[3], ",") {
				if g = strings.TrimSpace(g); g != "" {
					u.Groups = append(u.Groups, g)
				}
			}
		}
		if _, dup := tf.tokens[rec[0]]; dup {
			return nil, fmt.Errorf("token file %s: line %d: duplicate token", path, line)
		}
		tf.tokens[rec[0]] = u
	}
	return tf, nil
}

// Authenticate implements Authenticator.
func (a *TokenFile) Authenticate(r *http.Request) (*request.User, bool, error) {
	token, ok := BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	for t, u := range a.tokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			cp := *u
			cp.Groups = append([]string(nil), u.Groups...)
			return &cp, true, nil
		}
	}
	// Other token authenticators (bootstrap, service accounts) may know it.
	return nil, false, nil
}

// BearerToken returns the token of an "Authorization: Bearer" header.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
