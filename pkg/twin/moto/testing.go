package moto

import (
	"context"
	"errors"
	"testing"
)

// StartTest starts a moto server for a test and stops it, by its process
// group, when the test ends. It skips the test, saying what to install, when
// moto_server is not on this machine.
func StartTest(t testing.TB) *Server {
	t.Helper()
	srv, err := Start(context.Background(), nil)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(Install)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}
