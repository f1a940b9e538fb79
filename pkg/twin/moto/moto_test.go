package moto

import (
	"context"
	"errors"
	"testing"

	"github.com/s3uploader/s3uploader/pkg/proc"
)

func TestStartStop(t *testing.T) {
	s, err := Start(context.Background(), nil)
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(Install)
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if proc.GroupAlive(s.Pid()) {
		t.Errorf("moto group %d alive after Stop", s.Pid())
	}
}
