package main

import (
	"os"
	"runtime"
	"strings"
)

// cliEnvironment sets what the CDK CLI would see before it looks for
// credentials: profile (when not empty) as AWS_PROFILE, and, as the CLI does
// off EC2, AWS_EC2_METADATA_DISABLED=true unless it is set already, so that
// no credentials are sought from an instance metadata service that is not
// there.
func cliEnvironment(profile string) {
	if profile != "" {
		os.Setenv("AWS_PROFILE", profile)
	}
	if _, set := os.LookupEnv("AWS_EC2_METADATA_DISABLED"); !set && !onEC2() {
		os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	}
}

// onEC2 reports whether this is an EC2 instance by the files the CDK CLI
// reads on Linux (the board's asset tag is the instance id; Xen instances
// have a hypervisor UUID starting with "ec2"). Elsewhere it answers false,
// as the CLI does except on Windows, where it asks the registry.
func onEC2() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return strings.ToLower(strings.TrimSpace(string(b)))
	}
	return strings.HasPrefix(read("/sys/devices/virtual/dmi/id/board_asset_tag"), "i-") ||
		strings.HasPrefix(read("/sys/hypervisor/uuid"), "ec2")
}
