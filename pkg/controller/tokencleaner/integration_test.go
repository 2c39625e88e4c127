package tokencleaner_test

import (
	"context"
	"testing"
	"time"

	"skiff/pkg/api"
	"skiff/pkg/apiserver/apiservertest"
	bt "skiff/pkg/bootstrap"
	"skiff/pkg/client"
	"skiff/pkg/controller/controllertest"
	"skiff/pkg/controller/tokencleaner"
)

func TestExpiredTokensAreDeleted(t *testing.T) {
	s := apiservertest.Start(t)
	ctx := context.Background()
	secrets := client.Secrets(s.Client, api.NamespaceSystem)
	create := func(tok string, exp time.Time) {
		sec, _ := bt.NewSecret(tok, "", exp, []string{"authentication"}, nil)
		if _, err := secrets.Create(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}
	create("expire.0123456789abcdef", time.Now().Add(-time.Minute))
	create("forevr.0123456789abcdef", time.Time{})
	create("hourly.0123456789abcdef", time.Now().Add(time.Hour))
	controllertest.RunController(t, s, tokencleaner.New)
	// Expires while the cleaner runs: deleted when its time comes.
	create("soonxx.0123456789abcdef", time.Now().Add(2*time.Second))
	for _, id := range []string{"expire", "soonxx"} {
		controllertest.WaitFor(t, "token "+id+" deleted", func() (bool, error) {
			_, err := secrets.Get(ctx, bt.SecretName(id))
			return api.IsNotFound(err), nil
		})
	}
	for _, id := range []string{"forevr", "hourly"} {
		if _, err := secrets.Get(ctx, bt.SecretName(id)); err != nil {
			t.Errorf("token %s: %v", id, err)
		}
	}
}
