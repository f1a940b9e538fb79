package proc

import (
	"os/exec"
	"testing"
	"time"
)

func TestStopKillsTheWholeGroup(t *testing.T) {
	// A shell that starts a grandchild ignoring SIGTERM.
	cmd := exec.Command("sh", "-c", "trap '' TERM; sleep 60 & wait")
	p, err := Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if !GroupAlive(p.Pid()) {
		t.Fatalf("GroupAlive(%d) = false before Stop; want true", p.Pid())
	}
	start := time.Now()
	p.Stop(200 * time.Millisecond)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Stop took %s; want about the grace period", d)
	}
	deadline := time.Now().Add(2 * time.Second)
	for GroupAlive(p.Pid()) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if GroupAlive(p.Pid()) {
		t.Errorf("GroupAlive(%d) = true after Stop; want false", p.Pid())
	}
	p.Stop(0) // a second Stop returns at once
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil || port <= 0 {
		t.Fatalf("FreePort() = %d, %v; want a port", port, err)
	}
}
